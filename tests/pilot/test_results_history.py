"""The Results page's Over-time chart: at most the newest runs, each cached under a fingerprint
of its stored rows that any change to those rows moves (issue 10, item 11)."""

from __future__ import annotations

from pathlib import Path

from helpers import seeded_store, write_cases

from pilot.core.models import SystemConfig
from pilot.define.bars import MatchRule
from pilot.goldensets.versions import import_goldenset
from pilot.results.view import HISTORY_RUNS, history_keys, history_runs, run_metrics
from pilot.runs.scoring import score
from pilot.runs.start import start_or_resume


def test_history_shows_only_the_newest_runs_on_the_chosen_version() -> None:
    # newest first, as finished_runs gives them; every third run is on another version
    runs = [
        {"run_id": f"r{i:03d}", "goldenset_version": "b" if i % 3 == 0 else "a"} for i in range(60)
    ]
    on_a = [r["run_id"] for r in runs if r["goldenset_version"] == "a"]  # 40 runs
    shown, eligible = history_runs(runs, "a")
    assert [r["run_id"] for r in shown] == on_a[:HISTORY_RUNS] and eligible == 40
    shown, eligible = history_runs(runs, None)  # any version
    assert [r["run_id"] for r in shown] == [f"r{i:03d}" for i in range(HISTORY_RUNS)]
    assert eligible == 60
    assert history_runs(runs[:3], "a") == (runs[1:3], 2)


def test_a_runs_fingerprint_moves_when_its_rows_change_and_only_then(tmp_path: Path) -> None:
    store = seeded_store(tmp_path / "h.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 12), name="leave")
    first = start_or_resume(store, "priya", goldenset="leave", config=SystemConfig()).run_id
    second = start_or_resume(store, "priya", goldenset="leave", config=SystemConfig()).run_id
    with store.read() as con:
        before = history_keys(con, [first, second, "no-such-run"])
        again = history_keys(con, [first, second])
        accuracy = run_metrics(con, first)["accuracy"].value
    assert again == {first: before[first], second: before[second]}  # stable while unchanged
    assert before[first] != before[second]  # two runs, two fingerprints
    assert before["no-such-run"] == "0:" and before[first].startswith("12:")
    with store.transaction() as con:  # rescore the first run under a stricter rule
        score(con, first, MatchRule(rule="exact"))
    with store.read() as con:
        after = history_keys(con, [first, second])
        rescored = run_metrics(con, first)["accuracy"].value
    assert after[second] == before[second]
    assert after[first] != before[first]
    # the figure the old key cached is not the figure now: a cache keyed by the finish time
    # alone would have kept showing the old one
    assert rescored != accuracy


def test_one_measure_is_the_same_figure_as_in_the_full_set(tmp_path: Path) -> None:
    """The chart computes only the measure it draws; that figure is the one the full
    computation gives, for every measure, and nothing else is computed."""
    from metrics import metric_names

    store = seeded_store(tmp_path / "m.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 12), name="leave")
    run_id = start_or_resume(store, "priya", goldenset="leave", config=SystemConfig()).run_id
    with store.read() as con:
        full = run_metrics(con, run_id)
        alone = {name: run_metrics(con, run_id, (name,)) for name in metric_names()}
    assert set(full) == set(metric_names())
    for name, found in alone.items():
        assert list(found) == [name]
        assert found[name] == full[name], name
