from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metric_frames import (
    CITATIONS_SCHEMA,
    CLAIMS_SCHEMA,
    EVIDENCE_SCHEMA,
    RESULTS_SCHEMA,
    SOURCES_SCHEMA,
    Frames,
)

import metrics
from metrics.estimate import Estimate
from metrics.registry import (
    compute_all,
    count_all,
    get_metric,
    metric,
    metric_names,
    registered,
)

QUALITY = (
    "accuracy",
    "citation_precision",
    "citation_coverage",
    "evidence_recall",
    "abstain_rate_unanswerable",
    "false_abstain_rate",
)
SERVICE = ("cost_per_case_usd", "infra_error_rate", "latency_p50_ms", "latency_p95_ms")


def test_every_registered_metric_is_reported_in_section_order() -> None:
    assert metric_names() == QUALITY + SERVICE
    assert set(metric_names()) == set(registered())
    assert get_metric("accuracy").counts is metrics.accuracy_counts


def test_unknown_metric_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="accuracy"):
        get_metric("acuracy")


def test_compute_all_hand_worked(run: Frames) -> None:
    # The figures worked out case by case in test_accuracy, test_abstention, test_citations.
    got = {name: (est.value, est.n) for name, est in compute_all(**run).items()}
    assert got == {
        "accuracy": (0.4, 5),
        "citation_precision": (0.5, 8),
        "citation_coverage": (pytest.approx(1 / 3), 3),
        "evidence_recall": (0.25, 4),
        "abstain_rate_unanswerable": (0.0, 1),
        "false_abstain_rate": (0.25, 4),
        "infra_error_rate": (0.2, 5),
        "cost_per_case_usd": (None, 0),
        "latency_p50_ms": (None, 0),
        "latency_p95_ms": (None, 0),
    }
    assert list(got) == list(metric_names())


def test_missing_frames_give_empty_citation_metrics(run: Frames) -> None:
    out = compute_all(run["results"])
    for name in ("citation_precision", "citation_coverage", "evidence_recall"):
        assert out[name] == Estimate.missing(name)
    assert out["accuracy"].n == 5
    # sources without evidence: evidence recall cannot be computed, the others can
    partial = compute_all(run["results"], run["citations"], run["claims"], run["sources"])
    assert partial["evidence_recall"].n == 0
    assert partial["citation_coverage"].n == 3


def test_empty_run(empty: Frames) -> None:
    out = compute_all(**empty)
    assert all(est.value is None and est.n == 0 for est in out.values())
    assert {name: est.to_dict() for name, est in out.items()}["accuracy"] == {
        "value": None,
        "low": None,
        "high": None,
        "n": 0,
    }


def test_counts_align_with_results(run: Frames) -> None:
    counts = count_all(**run)
    missing = [name for name, frame in counts.items() if frame is None]
    assert missing == ["cost_per_case_usd", "latency_p50_ms", "latency_p95_ms"]  # no calls frame
    for frame in counts.values():
        if frame is None:
            continue
        assert frame.get_column("case_id").to_list() == ["c1", "c2", "c3", "c4", "c5"]


def random_run(seed: int) -> dict[str, pl.DataFrame]:
    """A seeded run of up to 30 cases with unicode sources and valid, invalid and stray
    citations, claims and evidence."""
    rng = random.Random(seed)
    words = ["fee", "£12", "“30 days”", "café", "refund", "the", "notice", "—"]
    results, citations, claims, sources, evidence = [], [], [], [], []
    for i in range(rng.randint(0, 30)):
        case = f"c{i}"
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 8)))
        sources.append((case, "s1", text))
        if rng.random() < 0.3:
            sources.append((case, "s2", text[::-1]))
        answerable, abstained = rng.random() < 0.7, rng.random() < 0.3
        error = "timeout" if rng.random() < 0.1 else None
        tags = rng.sample(["a", "b", "c"], rng.randint(0, 2))
        correct = rng.choice([True, False, None])
        results.append((case, None, abstained, correct, error, answerable, None, tags, False))
        for claim in range(rng.randint(0, 3)):
            claims.append((case, claim, "claim"))
            for _ in range(rng.randint(0, 2)):
                start = rng.randint(-1, len(text))
                end = rng.randint(start, len(text) + 1)
                quoted = text[max(start, 0) : end] if rng.random() < 0.8 else "fee"
                source = rng.choice(["s1", "s1", "s2", "s9"])
                citations.append((case, claim, source, quoted, start, end))
        if rng.random() < 0.7:
            a, b = sorted(rng.sample(range(len(text) + 1), 2))
            evidence.append((case, text[a:b]))
    citations.append(("stray", 0, "s1", "x", 0, 1))  # a case not in this run
    return {
        "results": pl.DataFrame(results, schema=RESULTS_SCHEMA, orient="row"),
        "citations": pl.DataFrame(citations, schema=CITATIONS_SCHEMA, orient="row"),
        "claims": pl.DataFrame(claims, schema=CLAIMS_SCHEMA, orient="row"),
        "sources": pl.DataFrame(sources, schema=SOURCES_SCHEMA, orient="row"),
        "evidence": pl.DataFrame(evidence, schema=EVIDENCE_SCHEMA, orient="row"),
    }


def reference_counts(frames: dict[str, pl.DataFrame]) -> dict[str, tuple[int, int]]:
    """The six metrics' (k, n), case by case in plain Python, straight from DESIGN.md."""
    text = {}
    for case, source, body in frames["sources"].iter_rows():
        text.setdefault((case, source), body)
    valid_by_case: dict[str, list[tuple[int, str, int, int]]] = {}
    n_cites: dict[str, list[int]] = {}
    for case, claim, source, quoted, start, end in frames["citations"].iter_rows():
        body = text.get((case, source))
        ok = body is not None and 0 <= start < end <= len(body) and body[start:end] == quoted
        n_cites.setdefault(case, [0, 0])
        n_cites[case][0] += ok
        n_cites[case][1] += 1
        if ok:
            valid_by_case.setdefault(case, []).append((claim, source, start, end))
    claims: dict[str, set[int]] = {}
    for case, claim, _ in frames["claims"].iter_rows():
        claims.setdefault(case, set()).add(claim)
    gold: dict[str, list[str]] = {}
    for case, body in frames["evidence"].iter_rows():
        if body:
            gold.setdefault(case, []).append(body)
    out = dict.fromkeys(QUALITY, (0, 0))

    def add(name: str, k: int, n: int) -> None:
        out[name] = (out[name][0] + k, out[name][1] + n)

    for row in frames["results"].iter_rows(named=True):
        case, ok = row["case_id"], row["error"] is None
        add("accuracy", int(bool(row["correct"]) and ok), 1)
        abstained = int(row["abstained"] and ok)
        add(
            "false_abstain_rate" if row["answerable"] else "abstain_rate_unanswerable", abstained, 1
        )
        add("citation_precision", *n_cites.get(case, [0, 0]))
        valid = valid_by_case.get(case, [])
        if not row["abstained"] and ok:
            want = claims.get(case, set())
            add("citation_coverage", int(bool(want) and want <= {c for c, *_ in valid}), 1)
        if row["answerable"] and case in gold:
            spans = [
                (source, at, at + len(g))
                for g in gold[case]
                for (c, source), body in text.items()
                if c == case
                for at in occurrences(body, g)
            ]
            hit = any(
                s == gs and start < ge and gs0 < end
                for _, s, start, end in valid
                for gs, gs0, ge in spans
            )
            add("evidence_recall", int(hit and ok), 1)
    return out


def occurrences(body: str, passage: str) -> list[int]:
    """Every start offset of `passage` in `body`, overlapping ones included."""
    found, at = [], body.find(passage)
    while at >= 0:
        found.append(at)
        at = body.find(passage, at + 1)
    return found


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_compute_all_matches_a_plain_python_reference(seed: int) -> None:
    frames = random_run(seed)
    got = {name: (est.value, est.n) for name, est in compute_all(**frames).items()}
    for name, (k, n) in reference_counts(frames).items():
        assert got[name] == ((k / n if n else None), n), name


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_metrics_are_invariant_to_row_order(seed: int, shuffle: int) -> None:
    frames = random_run(seed)
    shuffled = {
        name: frame.sample(fraction=1.0, shuffle=True, seed=shuffle + i)
        for i, (name, frame) in enumerate(frames.items())
    }
    assert compute_all(**shuffled) == compute_all(**frames)
    by_tag = metrics.per_tag(**frames).sort("tag", "metric")
    assert metrics.per_tag(**shuffled).sort("tag", "metric").equals(by_tag)


def test_frames_may_be_lazy(run: Frames) -> None:
    lazy = {name: frame.lazy() for name, frame in run.items()}
    assert compute_all(**lazy) == compute_all(**run)


def test_a_metric_unregistered_is_forgotten_and_an_unknown_name_is_no_error() -> None:
    name = "test_only_unregistered"

    @metric(name, label="Test only", direction="higher", meaning="registered to be forgotten")
    def test_only_counts(results: pl.DataFrame) -> pl.LazyFrame:
        return results.lazy()

    try:
        assert get_metric(name).counts is test_only_counts
    finally:
        metrics.registry.unregister(name)
    assert name not in registered()
    with pytest.raises(KeyError, match=name):
        get_metric(name)
    metrics.registry.unregister(name)  # already gone: nothing to do, no error
    assert metric_names() == QUALITY + SERVICE


def test_a_registration_holds_what_it_was_given_and_its_defaults() -> None:
    """Every field of a new metric's spec, defaults first, then each argument given; a module
    reloaded registers the same function again, keeping its place in the report order."""
    from metrics.summaries import PROPORTION, Mean

    name = "test_only_registration"
    last = max(spec.order for spec in registered().values())

    def defaults(results: pl.DataFrame) -> pl.LazyFrame:
        return results.lazy()

    try:
        assert metric(name, label="Plain", direction="higher", meaning="defaults")(defaults) is (
            defaults
        )
        spec = get_metric(name)
        assert (spec.name, spec.counts, spec.needs, spec.per_case) == (
            name,
            defaults,
            ("results",),
            True,
        )
        assert (spec.label, spec.direction, spec.population, spec.unit) == (
            "Plain",
            "higher",
            "all",
            "percent",
        )
        assert (spec.meaning, spec.section, spec.summary, spec.order) == (
            "defaults",
            "other",
            PROPORTION,
            spec.order,
        )
        assert spec.order > last and list(registered())[-1] == name  # "other" comes last
        metric(
            name,
            label="Given",
            direction="lower",
            meaning="everything given",
            population="unanswerable",
            unit="ms",
            section="answers",
            summary=Mean(),
            needs=("calls", "results"),
            per_case=False,
        )(defaults)
        again = get_metric(name)
        assert (again.counts, again.needs, again.per_case, again.label) == (
            defaults,
            ("calls", "results"),
            False,
            "Given",
        )
        assert (again.direction, again.population, again.unit, again.meaning) == (
            "lower",
            "unanswerable",
            "ms",
            "everything given",
        )
        assert (again.section, again.summary, again.order) == ("answers", Mean(), spec.order)
        assert list(registered()).index(name) == QUALITY.index("accuracy") + 1  # in "answers"
    finally:
        metrics.registry.unregister(name)


def test_a_section_or_unit_not_known_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError) as refused:
        metric("test_only_bad", label="Bad", direction="higher", meaning="x", section="misc")
    assert str(refused.value) == (
        "metric 'test_only_bad': section 'misc' is not one of "
        "answers, citations, abstention, service, other"
    )
    with pytest.raises(ValueError) as refused:
        metric("test_only_bad", label="Bad", direction="higher", meaning="x", unit="kg")  # type: ignore[arg-type]
    assert str(refused.value) == "metric 'test_only_bad': unit 'kg' is not one of percent, ms, usd"
    assert "test_only_bad" not in registered()


def test_a_name_cannot_be_taken_twice() -> None:
    with pytest.raises(ValueError) as refused:

        @metric("accuracy", label="Accuracy", direction="higher", meaning="again")
        def impostor(results: pl.DataFrame) -> pl.LazyFrame:
            return results.lazy()

    assert str(refused.value) == "metric 'accuracy' is already registered by metrics.accuracy"
    assert get_metric("accuracy").counts is metrics.accuracy_counts


def test_calls_given_in_another_order_are_counted_against_their_own_cases() -> None:
    """A thousand cases whose call records arrive shuffled, one missing: each case's cost and
    latency are its own (polars' streaming join does not keep order unless asked)."""
    import numpy as np

    ids = [f"c{i}" for i in range(1000)]
    results = pl.DataFrame(
        [(i, "x", False, True, None, True, "x", [], False) for i in ids],
        schema=RESULTS_SCHEMA,
        orient="row",
    )
    order = np.random.default_rng(5).permutation(1000)[:-1]  # the last shuffled case has none
    calls = pl.DataFrame(
        {
            "case_id": [ids[i] for i in order],
            "latency_ms": [float(i) for i in order],
            "cached": [False] * 999,
            "attempts": [1] * 999,
            "model": ["m"] * 999,
            "cost_usd": [i / 1000 for i in order],
        }
    )
    missing = ids[int(np.random.default_rng(5).permutation(1000)[-1])]
    counts = count_all(results, calls=calls, names=("cost_per_case_usd", "latency_p50_ms"))
    for name, own in (("cost_per_case_usd", lambda i: i / 1000), ("latency_p50_ms", float)):
        frame = counts[name]
        assert frame is not None and frame["case_id"].to_list() == ids
        expected = [None if c == missing else own(int(c[1:])) for c in ids]
        assert frame["x"].to_list() == expected, name


def test_only_the_names_asked_are_computed_and_each_bad_input_is_named(run: Frames) -> None:
    assert list(compute_all(run["results"], names=("accuracy",))) == ["accuracy"]
    assert list(count_all(run["results"], names=("infra_error_rate",))) == ["infra_error_rate"]
    for frames, message in (
        ({"results": [1]}, "results must be a polars DataFrame, got list"),
        ({"results": run["results"], "claims": [1]}, "claims must be a polars DataFrame, got list"),
    ):
        with pytest.raises(TypeError) as refused:
            compute_all(**frames)  # type: ignore[arg-type]
        assert str(refused.value) == message
    wrong = pl.DataFrame({"unrelated": [1]})
    for extra, what in (
        ({"calls": wrong}, "calls"),
        ({"citations": wrong, "sources": run["sources"]}, "citations"),
    ):
        with pytest.raises(ValueError) as refused:
            compute_all(run["results"], **extra)
        assert str(refused.value).startswith(f"{what} frame is missing column(s) ")


def test_counts_that_do_not_align_with_results_are_refused(run: Frames) -> None:
    name = "test_only_misaligned"

    @metric(name, label="Misaligned", direction="higher", meaning="one row too few")
    def misaligned(results: pl.DataFrame) -> pl.LazyFrame:
        return results.lazy().head(4).select("case_id", k=pl.lit(1), n=pl.lit(1))

    try:
        with pytest.raises(ValueError) as refused:
            count_all(run["results"], names=(name,))
    finally:
        metrics.registry.unregister(name)
    assert str(refused.value) == (
        f"metric '{name}' gave 4 rows for 5 results rows; "
        "a metric's counts must align with results, one row per results row"
    )


def test_an_unknown_name_lists_every_known_one() -> None:
    with pytest.raises(KeyError) as refused:
        get_metric("acuracy")
    known = ", ".join(sorted(QUALITY + SERVICE))
    assert refused.value.args[0] == f"no metric named 'acuracy'; known metrics: {known}"
