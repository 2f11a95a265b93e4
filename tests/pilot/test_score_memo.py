"""Reusing an identical run's scores (`pilot.runs.score_memo`, issue #14): a fully cached re-run
whose scoring inputs hash the same as an intact scored run's copies that run's `correct` values
and summary, and these equal a fresh scoring; a changed row, golden set, bar or scoring code
misses, and so does a source run whose record changed after it finished."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers import seeded_store, write_cases

from pilot.core import audit
from pilot.core.models import SystemConfig
from pilot.core.store import Store
from pilot.define.bar_versions import save_draft, sign_bar
from pilot.define.bars import AcceptanceBar, MatchRule
from pilot.define.criteria import Criterion
from pilot.goldensets.versions import import_goldenset
from pilot.runs import score_memo
from pilot.runs.run_bar import bar_for_run, match_rule_for_run
from pilot.runs.scoring import score, summarise
from pilot.runs.start import start_or_resume


def leave_pilot(tmp_path: Path, n: int = 8) -> Store:
    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", n), name="leave")
    return store


def run(store: Store) -> str:
    return start_or_resume(store, "priya", goldenset="leave", config=SystemConfig()).run_id


def finishes(store: Store) -> dict[str, dict[str, Any]]:
    """run id -> its `run.finish` payload."""
    with store.read() as con:
        events = audit.events(con, action="run.finish")
    return {e.object.removeprefix("run:"): e.payload for e in events}


def stored(store: Store, run_id: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    with store.read() as con:
        summary = json.loads(
            con.execute("SELECT summary FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
        )
        rows = con.execute(
            "SELECT case_id, correct, match_rule FROM results WHERE run_id = ? ORDER BY case_id",
            [run_id],
        ).fetchall()
    return summary, rows


def fresh(store: Store, run_id: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """The run scored again from nothing: `correct` cleared, scored by its rule, summarised."""
    with store.transaction() as con:
        con.execute(
            "UPDATE results SET correct = NULL, match_rule = NULL WHERE run_id = ?", [run_id]
        )
        score(con, run_id, match_rule_for_run(con, run_id))
        summary = summarise(con, run_id)
        rows = con.execute(
            "SELECT case_id, correct, match_rule FROM results WHERE run_id = ? ORDER BY case_id",
            [run_id],
        ).fetchall()
    return summary, rows


def key_of(store: Store, run_id: str) -> str | None:
    with store.read() as con:
        version = bar_for_run(con, run_id)
        gs = con.execute("SELECT goldenset_version FROM runs WHERE run_id = ?", [run_id]).fetchone()
        return score_memo.score_key(con, run_id, gs[0], version, match_rule_for_run(con, run_id))


def test_a_cached_rerun_reuses_the_scores_of_the_identical_run_and_they_equal_a_fresh_scoring(
    tmp_path: Path,
) -> None:
    store = leave_pilot(tmp_path)
    live, first_cached, second_cached = run(store), run(store), run(store)
    payloads = finishes(store)
    # the live run's latencies make its key unique: it records none
    assert "score_key" not in payloads[live]
    # the first cached run is scored afresh and records its key; the second reuses it
    assert "scores_from" not in payloads[first_cached]
    assert payloads[first_cached]["score_key"] == payloads[second_cached]["score_key"]
    assert payloads[second_cached]["scores_from"] == first_cached
    summary, rows = stored(store, second_cached)
    assert summary == stored(store, first_cached)[0]
    assert [r[1:] for r in rows] == [r[1:] for r in stored(store, first_cached)[1]]
    assert summary["metrics"]["accuracy"]["value"] == 4 / 8  # as the live run scored it
    assert (summary, rows) == fresh(store, second_cached)
    assert summary["verdict"]["exploratory"] is True and rows[0][2] == "contains"


def test_latencies_of_cached_answers_are_not_a_scoring_input(tmp_path: Path) -> None:
    """Why the key leaves `latency_ms` out: no metric reads it for an answer no call made."""
    store = leave_pilot(tmp_path)
    run(store)
    cached = run(store)
    key = key_of(store, cached)
    before = fresh(store, cached)
    with store.transaction() as con:
        con.execute(
            "UPDATE results SET latency_ms = latency_ms * 7 + 250 WHERE run_id = ?", [cached]
        )
    assert fresh(store, cached) == before
    assert key_of(store, cached) == key


def test_each_changed_input_misses_the_memo(tmp_path: Path, monkeypatch: Any) -> None:
    store = leave_pilot(tmp_path)
    run(store)
    cached = run(store)
    key = key_of(store, cached)
    assert key is not None and key == key_of(store, cached)  # a function of the inputs only
    # a changed row (its answer), then restored
    with store.transaction() as con:
        answer = con.execute(
            "SELECT answer FROM results WHERE run_id = ? AND case_id = 'c-001'", [cached]
        ).fetchone()[0]
        con.execute(
            "UPDATE results SET answer = 'Forty days.' WHERE run_id = ? AND case_id = 'c-001'",
            [cached],
        )
    assert key_of(store, cached) not in (key, None)
    with store.transaction() as con:
        con.execute(
            "UPDATE results SET answer = ? WHERE run_id = ? AND case_id = 'c-001'",
            [answer, cached],
        )
    assert key_of(store, cached) == key
    # another golden set version, bar version or match rule
    with store.read() as con:
        assert score_memo.score_key(con, cached, "another-version", None, MatchRule()) != key
        assert score_memo.score_key(con, cached, None, None, MatchRule(rule="exact")) != key
        assert score_memo.score_key(con, cached, None, None, MatchRule(rule="judge")) is None
    # other scoring code
    monkeypatch.setattr(score_memo, "code_hash", lambda: "metrics changed")
    assert key_of(store, cached) not in (key, None)


def test_a_changed_bar_is_scored_afresh(tmp_path: Path) -> None:
    store = leave_pilot(tmp_path)
    run(store)
    run(store)
    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.4, judged_on="point"),),
        min_cases=5,
        when_unsure="abstain",
    )
    save_draft(store, "priya", bar)
    drafted, drafted_again = run(store), run(store)
    sign_bar(store, "priya")
    signed, signed_again = run(store), run(store)
    payloads = finishes(store)
    # a new bar version, and the same version once signed, each miss the runs before them
    assert "scores_from" not in payloads[drafted] and "scores_from" not in payloads[signed]
    assert payloads[drafted_again]["scores_from"] == drafted
    assert payloads[signed_again]["scores_from"] == signed
    assert stored(store, drafted)[0]["verdict"]["exploratory"] is True
    summary = stored(store, signed_again)[0]
    assert summary["verdict"]["exploratory"] is False and summary["verdict"]["passed"] is True
    assert stored(store, signed_again) == fresh(store, signed_again)


def test_a_new_golden_set_version_is_scored_afresh_though_the_answers_are_the_same(
    tmp_path: Path,
) -> None:
    """The golden set version is in the key because the result rows do not hold the expected
    answers: a second version that only changes c-000's expected answer ("25 days" to "20
    days") gives the same cached answers, so the same rows, yet c-000 is no longer right."""
    store = leave_pilot(tmp_path)
    run(store)
    before = run(store)  # cached, scored afresh, its key recorded
    edited = (tmp_path / "c.jsonl").read_text().replace('"25 days"', '"20 days"', 1)
    (tmp_path / "c2.jsonl").write_text(edited)
    import_goldenset(store, "priya", tmp_path / "c2.jsonl", name="leave")
    after = run(store)
    payloads = finishes(store)
    assert payloads[after]["score_key"] != payloads[before]["score_key"]
    assert "scores_from" not in payloads[after]
    (_, rows_before), (_, rows_after) = stored(store, before), stored(store, after)
    assert rows_before[0][:2] == ("c-000", True) and rows_after[0][:2] == ("c-000", False)
    assert rows_after[1:] == rows_before[1:]  # the other cases scored as before
    assert stored(store, after) == fresh(store, after)


def test_a_source_run_changed_after_it_finished_is_not_reused(tmp_path: Path) -> None:
    store = leave_pilot(tmp_path)
    run(store)
    source = run(store)
    with store.transaction() as con:  # its `correct` flipped without the pilot key
        con.execute("UPDATE results SET correct = NOT correct WHERE run_id = ?", [source])
    again = run(store)
    assert "scores_from" not in finishes(store)[again]
    assert stored(store, again) == fresh(store, again)
    with store.transaction() as con:  # now the newer run's stored summary is edited
        con.execute(
            "UPDATE runs SET summary = replace(summary, '\"passed\": false', '\"passed\": true') "
            "WHERE run_id = ?",
            [again],
        )
    third = run(store)
    assert "scores_from" not in finishes(store)[third]
    assert stored(store, third)[0]["verdict"]["passed"] is False


def test_the_code_hash_covers_every_metrics_source_file(tmp_path: Path) -> None:
    package = Path(score_memo.__file__).parents[2] / "metrics"
    copy = tmp_path / "metrics"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = score_memo.code_hash((copy,))
    assert score_memo.code_hash((copy,)) == before
    target = copy / "latency.py"
    target.write_text(target.read_text() + "\n# a change\n")
    assert score_memo.code_hash((copy,)) != before
    assert len(score_memo.code_hash()) == 64


REUSED_RUN = """
import json, sys
from pilot.core.models import SystemConfig
from pilot.core.store import Store
from pilot.runs.start import start_or_resume
outcome = start_or_resume(Store(sys.argv[1]), "priya", goldenset="leave", config=SystemConfig())
heavy = sorted(m for m in ("polars", "numpy", "pyarrow", "metrics") if m in sys.modules)
print(json.dumps([outcome.run_id, heavy]))
"""


def test_a_reused_rerun_under_a_signed_bar_loads_neither_polars_nor_the_metrics(
    tmp_path: Path,
) -> None:
    """What the memo is for: a CI re-run, fully cached, under a signed bar (read back from the
    database without looking its metrics up again) imports none of the scoring libraries."""
    store = leave_pilot(tmp_path)
    save_draft(
        store,
        "priya",
        AcceptanceBar(
            criteria=(Criterion(metric="accuracy", threshold=0.4, judged_on="lower_bound"),),
            min_cases=5,
            when_unsure="abstain",
        ),
    )
    sign_bar(store, "priya")
    run(store)
    scored = run(store)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", REUSED_RUN, str(store.path)],
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    run_id, heavy = json.loads(done.stdout.strip().splitlines()[-1])
    assert heavy == []
    assert finishes(store)[run_id]["scores_from"] == scored
    assert stored(store, run_id) == fresh(store, run_id)
