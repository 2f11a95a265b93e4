"""The acceptance bar: drafts, signatures, immutability, diffs, plain language, CLI (the planner
is tested in test_bar_planner.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, seeded_store

from pilot.core import audit
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store
from pilot.define import bar_versions, bars, criteria
from pilot.define.bars import AcceptanceBar, MatchRule
from pilot.define.criteria import Criterion

BAR = AcceptanceBar(
    criteria=(
        Criterion(metric="accuracy", threshold=0.9, judged_on="lower_bound"),
        Criterion(
            metric="citation_coverage", threshold=0.95, scope="tag:numeric", judged_on="point"
        ),
    ),
    min_cases=60,
    when_unsure="abstain and route to HR",
)


# --- models and plain language -------------------------------------------------------------


@pytest.mark.parametrize(
    ("criterion", "text"),
    [
        (
            Criterion(metric="accuracy", threshold=0.9, judged_on="lower_bound"),
            "Accuracy on all cases must be at least 90%, judged on the 95% lower bound",
        ),
        (
            Criterion(
                metric="citation_coverage", threshold=0.95, scope="tag:numeric", judged_on="point"
            ),
            "Citation coverage on cases tagged 'numeric' must be at least 95%, judged on the point "
            "estimate",
        ),
        (
            Criterion(metric="false_abstain_rate", threshold=0.05, judged_on="point"),
            "False-abstain rate on all cases must be at most 5%, judged on the point estimate",
        ),
        (
            Criterion(metric="false_abstain_rate", threshold=0.1, judged_on="lower_bound"),
            "False-abstain rate on all cases must be at most 10%, judged on the 95% upper bound",
        ),
        (
            Criterion(metric="abstain_rate_unanswerable", threshold=0.8, judged_on="point"),
            "Abstain rate on unanswerable cases must be at least 80%, judged on the point estimate",
        ),
        (
            Criterion(metric="evidence_recall", threshold=0.925, scope="tag:ugly"),
            "Evidence recall on cases tagged 'ugly' must be at least 92.5%, judged on the 95% "
            "lower bound",
        ),
    ],
)
def test_describe_criterion(criterion: Criterion, text: str) -> None:
    assert criteria.describe_criterion(criterion) == text


def test_metric_names_match_the_metrics_package() -> None:
    from metrics.registry import registered

    assert criteria.metric_choices() == {n: spec.label for n, spec in registered().items()}


def test_direction_and_judging() -> None:
    acc = Criterion(metric="accuracy", threshold=0.9)
    fa = Criterion(metric="false_abstain_rate", threshold=0.1)
    assert acc.comparison == "at_least" and fa.comparison == "at_most"
    assert acc.passes(0.95, 0.91, 0.97) and not acc.passes(0.95, 0.89, 0.97)
    assert fa.passes(0.05, 0.02, 0.09) and not fa.passes(0.05, 0.02, 0.11)
    point = Criterion(metric="false_abstain_rate", threshold=0.1, judged_on="point")
    assert point.passes(0.1, 0.0, 0.5)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"metric": "speed", "threshold": 0.5}, "unknown metric 'speed'"),
        ({"metric": "accuracy", "threshold": 90}, "write 0.9 for 90%"),
        ({"metric": "accuracy", "threshold": 0.9, "scope": "numeric"}, "use 'all' or 'tag:<name>'"),
        ({"metric": "accuracy", "threshold": 0.9, "judged_on": "upper"}, "judged_on"),
    ],
)
def test_criterion_validation(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Criterion.model_validate(data)


def test_bar_validation_names_the_field() -> None:
    from pilot.define.workflow import parse_model

    twice = {"criteria": [{"metric": "accuracy", "threshold": 0.9}] * 2}
    with pytest.raises(InputError, match="bar.json: field criteria: .*criteria 0 and 1"):
        parse_model(AcceptanceBar, twice, "bar.json")
    with pytest.raises(InputError, match=r"field criteria\.0\.threshold"):
        parse_model(AcceptanceBar, {"criteria": [{"metric": "accuracy", "threshold": 2}]}, "b")
    with pytest.raises(InputError, match="field min_cases"):
        parse_model(AcceptanceBar, {"min_cases": 0}, "b")


def test_match_rule_drops_unused_parameters_so_equal_rules_hash_equally() -> None:
    assert MatchRule(rule="contains", threshold=0.7, tolerance=2) == MatchRule(rule="contains")
    assert MatchRule(rule="f1").threshold == 0.5
    assert MatchRule(rule="numeric").tolerance == 0.0


def test_describe_bar() -> None:
    lines = bars.describe_bar(BAR)
    assert lines[2:] == [
        "At least 60 cases in the golden set",
        "No critical errors",
        "An answer is correct when it contains the expected answer after normalising case and "
        "punctuation",
        "When unsure, the system must: abstain and route to HR",
    ]


def test_diff() -> None:
    edited = BAR.model_copy(
        update={
            "criteria": (
                Criterion(metric="accuracy", threshold=0.92, judged_on="lower_bound"),
                Criterion(metric="false_abstain_rate", threshold=0.1, judged_on="point"),
            ),
            "min_cases": 100,
        }
    )
    diff = bars.diff_bars(BAR, edited)
    assert [c.metric for c in diff.added] == ["false_abstain_rate"]
    assert [c.scope for c in diff.removed] == ["tag:numeric"]
    assert [(a.threshold, b.threshold) for a, b in diff.changed] == [(0.9, 0.92)]
    assert diff.fields == [("min_cases", 60, 100)]
    assert diff.lines()[2].startswith("changed: Accuracy on all cases must be at least 90%")
    assert bars.diff_bars(BAR, BAR).empty and bars.diff_bars(BAR, BAR).lines() == ["no differences"]
    assert json.dumps(diff.as_dict())


# --- versions, signatures, immutability ----------------------------------------------------


def test_draft_sign_then_edit_makes_a_new_draft_with_parent(users_store: Store) -> None:
    with users_store.read() as con:
        assert bar_versions.latest_bar(con) is None and bar_versions.is_exploratory(None)
    draft = bar_versions.save_draft(users_store, "priya", BAR)
    assert draft.version == 1 and not draft.signed and bar_versions.is_exploratory(draft)
    assert bar_versions.save_draft(users_store, "priya", BAR) == draft  # identical content: no-op
    signed = bar_versions.sign_bar(users_store, "priya")
    assert (
        signed.signed_by == "priya" and signed.signed_at and not bar_versions.is_exploratory(signed)
    )
    assert signed.signature_hash == bar_versions.signature_hash(
        1, draft.content_hash, "priya", signed.signed_at
    )

    edited = BAR.model_copy(update={"min_cases": 100})
    new = bar_versions.save_draft(users_store, "priya", edited, base=1)
    assert (new.version, new.parent_version, new.signed) == (2, 1, False)
    with users_store.read() as con:
        v1 = bar_versions.bar_version(con, 1)
        assert v1 == signed and v1.bar == BAR and not v1.problems()
        assert bar_versions.latest_signed_bar(con).version == 1
        assert bar_versions.latest_bar(con).version == 2
        assert [h.version for h in bar_versions.bar_history(con)] == [2, 1]
        actions = [(e.action, e.object) for e in audit.events(con, action="bar.")]
        assert audit.verify(con).intact
    assert actions == [("bar.draft", "bar:v2"), ("bar.sign", "bar:v1"), ("bar.draft", "bar:v1")]


def test_a_signed_version_can_never_change(users_store: Store) -> None:
    bar_versions.save_draft(users_store, "priya", BAR)
    signed = bar_versions.sign_bar(users_store, "priya")
    with pytest.raises(bar_versions.BarImmutable, match="already signed|can never change"):
        bar_versions.sign_bar(users_store, "priya", 1)
    # the one UPDATE the library has refuses a signed row, even called directly
    with users_store.transaction() as con, pytest.raises(bar_versions.BarImmutable):
        bar_versions._fill_signature(con, 1, "mallory", "2030-01-01", "0" * 64)
    with users_store.read() as con:
        assert bar_versions.bar_version(con, 1) == signed


def test_edits_made_outside_the_library_are_detected(users_store: Store) -> None:
    bar_versions.save_draft(users_store, "priya", BAR)
    bar_versions.sign_bar(users_store, "priya")
    with users_store.transaction() as con:
        con.execute(
            "UPDATE bar_versions SET bar = replace(bar::VARCHAR, '0.9', '0.5')::JSON, "
            "signed_by = 'mallory' WHERE version = 1"
        )
    with users_store.read() as con:
        problems = bar_versions.bar_version(con, 1).problems()
    assert len(problems) == 2


def test_a_stale_edit_is_refused(users_store: Store) -> None:
    bar_versions.save_draft(users_store, "priya", BAR)
    bar_versions.sign_bar(users_store, "priya")
    bar_versions.save_draft(users_store, "priya", BAR.model_copy(update={"min_cases": 80}), base=1)
    with pytest.raises(InputError, match="changed since you opened version 1"):
        bar_versions.save_draft(
            users_store, "priya", BAR.model_copy(update={"min_cases": 90}), base=1
        )


def test_only_the_latest_complete_draft_can_be_signed(users_store: Store) -> None:
    with pytest.raises(InputError, match="no acceptance bar to sign"):
        bar_versions.sign_bar(users_store, "priya")
    bar_versions.save_draft(users_store, "priya", AcceptanceBar())
    with pytest.raises(InputError, match="field criteria.*field when_unsure"):
        bar_versions.sign_bar(users_store, "priya")
    bar_versions.save_draft(users_store, "priya", BAR)
    with pytest.raises(InputError, match="superseded by version 2"):
        bar_versions.sign_bar(users_store, "priya", 1)
    with pytest.raises(InputError, match="--version 9: no such bar version"):
        bar_versions.sign_bar(users_store, "priya", 9)


def test_evaluator_cannot_sign_and_viewer_cannot_draft(users_store: Store) -> None:
    bar_versions.save_draft(users_store, "priya", BAR)
    with pytest.raises(PermissionDenied, match="may not sign the bar"):
        bar_versions.sign_bar(users_store, "marco")
    with pytest.raises(PermissionDenied, match="may not edit the workflow, draft the bar"):
        bar_versions.save_draft(users_store, "dana", BAR.model_copy(update={"min_cases": 5}))
    with users_store.read() as con:
        assert [(h.version, h.signed) for h in bar_versions.bar_history(con)] == [(1, False)]
        denied = audit.events(con, action="access.denied")
    assert [(e.actor, e.payload["attempted"]) for e in denied] == [
        ("dana", "bar.draft"),
        ("marco", "bar.sign"),
    ]


def test_demo_bar_is_signed_once(users_store: Store) -> None:
    first = bar_versions.seed_demo_bar(users_store)
    assert first.signed and first.bar == bars.demo_bar()
    assert bar_versions.seed_demo_bar(users_store) == first


def test_seed_demo_twice_adds_nothing(store: Store) -> None:
    from pilot.demo import seed_demo

    seed_demo(store)
    with store.read() as con:
        before = con.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        assert bar_versions.latest_signed_bar(con).bar == bars.demo_bar()
    seed_demo(store)
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM audit_events").fetchone()[0] == before


# --- CLI -----------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, *args)


def test_cli_draft_sign_show_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "p.duckdb")
    seeded_store(Path(db))
    as_priya = ("--db", db, "--user", "priya")
    code, out, _ = run(capsys, "--db", db, "bar", "show", "--json")
    assert code == 0 and json.loads(out) == {"version": None}
    path = tmp_path / "bar.json"
    path.write_text(json.dumps(BAR.content()))
    code, out, _ = run(capsys, *as_priya, "bar", "draft", str(path), "--json")
    assert code == 0 and json.loads(out)["status"] == "draft"
    code, out, err = run(capsys, *as_priya, "bar", "sign", "--json")
    assert code == 0 and json.loads(out)["signed_by"] == "priya" and "SIGNED by priya" in err
    path.write_text(json.dumps({**BAR.content(), "min_cases": 100}))
    code, out, _ = run(capsys, *as_priya, "bar", "draft", str(path))
    assert code == 0 and out.strip() == "2"
    code, out, _ = run(capsys, "--db", db, "bar", "show", "--version", "1", "--json")
    shown = json.loads(out)
    assert shown["version"] == 1 and shown["status"] == "signed" and not shown["exploratory"]
    assert shown["description"][0].startswith("Accuracy on all cases must be at least 90%")
    code, out, _ = run(capsys, "--db", db, "bar", "show")
    assert code == 0 and out.startswith("DRAFT (exploratory): version 2")
    code, out, _ = run(capsys, "--db", db, "bar", "diff", "1", "2", "--json")
    diff = json.loads(out)
    assert code == 0 and diff["fields"] == [{"field": "min_cases", "from": 60, "to": 100}]
    code, out, _ = run(capsys, "--db", db, "bar", "diff", "1", "2")
    assert out.strip() == "min_cases: 60 → 100"


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "p.duckdb")
    seeded_store(Path(db))
    path = tmp_path / "bar.json"
    path.write_text(json.dumps({"criteria": [{"metric": "accuracy", "threshold": 90}]}))
    code, _, err = run(capsys, "--db", db, "--user", "priya", "bar", "draft", str(path))
    assert code == 2 and "field criteria.0.threshold" in err and "bar.json" in err
    path.write_text(json.dumps(BAR.content()))
    code, _, err = run(capsys, "--db", db, "--user", "dana", "bar", "draft", str(path))
    assert code == 4
    assert run(capsys, "--db", db, "--user", "priya", "bar", "draft", str(path))[0] == 0
    code, _, err = run(capsys, "--db", db, "--user", "marco", "bar", "sign")
    assert code == 4 and "may not sign" in err
    assert run(capsys, "--db", db, "--user", "priya", "bar", "sign")[0] == 0
    code, _, err = run(capsys, "--db", db, "--user", "priya", "bar", "sign", "--version", "1")
    assert code == 2 and "can never change" in err
    code, _, err = run(capsys, "--db", db, "bar", "show", "--version", "7")
    assert code == 2 and "--version 7: no such bar version" in err
    code, _, err = run(capsys, "--db", db, "bar", "diff", "1", "3")
    assert code == 2 and "B 3: no such bar version" in err


def test_the_bar_offers_every_computed_match_rule_and_the_judge() -> None:
    from metrics.matching import MATCH_RULES as COMPUTED

    assert set(bars.MATCH_RULES) == {*COMPUTED, "judge"}
