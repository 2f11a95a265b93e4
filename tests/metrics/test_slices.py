from __future__ import annotations

import polars as pl
import pytest
from metric_frames import Builder, Frames

from metrics.intervals import wilson
from metrics.registry import count_all, metric_names
from metrics.slices import per_tag


def figures(table: pl.DataFrame, tag: str) -> dict[str, tuple[int, int]]:
    rows = table.filter(pl.col("tag") == tag)
    return {m: (k, n) for m, k, n in rows.select("metric", "k", "n").iter_rows()}


def test_per_tag_hand_worked(run: Frames) -> None:
    table = per_tag(**run)
    assert table.columns == ["tag", "metric", "value", "low", "high", "n", "k"]
    assert table.get_column("tag").unique().sort().to_list() == ["policy", "ugly"]
    # policy = c1, c2. accuracy 1/2; precision c1 3/7 + c2 1/1 = 4/8; coverage c1 yes, c2 no;
    # recall c1 hit, c2 miss; no unanswerable cases (n=0); neither abstained: 0/2.
    assert figures(table, "policy") == {
        "accuracy": (1, 2),
        "citation_precision": (4, 8),
        "citation_coverage": (1, 2),
        "evidence_recall": (1, 2),
        "abstain_rate_unanswerable": (0, 0),
        "false_abstain_rate": (0, 2),
        "infra_error_rate": (0, 2),
    }
    # ugly = c1, c4, c5. accuracy 1/3; precision c1's 3/7; coverage only c1 is answered: 1/1;
    # recall c1 hit, c4 miss (c5 is unanswerable); c5 errored: 0/1; c4 abstained of c1, c4: 1/2.
    assert figures(table, "ugly") == {
        "accuracy": (1, 3),
        "citation_precision": (3, 7),
        "citation_coverage": (1, 1),
        "evidence_recall": (1, 2),
        "abstain_rate_unanswerable": (0, 1),
        "false_abstain_rate": (1, 2),
        "infra_error_rate": (1, 3),
    }


def test_per_tag_rows_follow_metric_order_and_carry_intervals(run: Frames) -> None:
    table = per_tag(**run)
    assert table.filter(pl.col("tag") == "ugly").get_column("metric").to_list() == [
        m for m in metric_names() if not m.startswith(("latency", "cost"))
    ]  # no calls frame given: the latency and cost metrics cannot be computed
    row = table.filter((pl.col("tag") == "ugly") & (pl.col("metric") == "accuracy")).row(
        0, named=True
    )
    assert row["value"] == pytest.approx(1 / 3)
    assert (row["low"], row["high"]) == pytest.approx(wilson(1, 3))
    empty = table.filter(pl.col("n") == 0)
    assert empty.get_column("value").null_count() == empty.height
    assert empty.get_column("low").null_count() == empty.height


def test_citation_metrics_only_when_frames_given(run: Frames) -> None:
    table = per_tag(run["results"])
    assert table.get_column("metric").unique().sort().to_list() == sorted(
        ["accuracy", "abstain_rate_unanswerable", "false_abstain_rate", "infra_error_rate"]
    )


def test_a_repeated_tag_counts_its_case_once(results: Builder) -> None:
    table = per_tag(results({"case_id": "a", "correct": True, "tags": ["x", "x"]}))
    assert figures(table, "x")["accuracy"] == (1, 1)


def test_shared_counts_give_the_same_table(run: Frames) -> None:
    assert per_tag(run["results"], counts=count_all(**run)).equals(per_tag(**run))


def test_untagged_or_empty_results(results: Builder, empty: Frames) -> None:
    assert per_tag(results({"case_id": "a"})).is_empty()
    table = per_tag(**empty)
    assert table.is_empty()
    assert table.columns == ["tag", "metric", "value", "low", "high", "n", "k"]


def test_a_tag_of_one_case_has_its_value_and_counts_given_keep_the_names_asked(
    run: Frames,
) -> None:
    # Tag the first case alone: c1 is right (accuracy 1 of 1, Wilson's interval for 1 of 1).
    results = run["results"].with_columns(
        tags=pl.when(pl.col("case_id") == "c1")
        .then(pl.lit(["solo"], dtype=pl.List(pl.String)))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
    )
    counts = count_all(results)
    table = per_tag(results, counts=counts, names=("accuracy",))
    assert table.rows() == [("solo", "accuracy", 1.0, *wilson(1, 1), 1, 1)]
    with pytest.raises(ValueError) as refused:
        per_tag(results.drop("tags"), counts=counts)
    assert str(refused.value).startswith("results frame is missing column(s) tags")
