"""Sampling: seeded, stratified, stored, reproducible; consequential outputs oversampled."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from review_data import output, write_jsonl

from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.review import ingest, sampling

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live(users_store: Store, tmp_path: Path) -> Store:
    # 200 outputs in 2026-W40: 40 consequential, tags ugly/numeric; 5 in another week
    records = [output(i) for i in range(200)]
    records += [output(1000 + i, timestamp="2026-10-20T09:00:00Z") for i in range(5)]
    (result,) = ingest.ingest(users_store, "priya", str(write_jsonl(tmp_path / "o.jsonl", records)))
    assert result.ok and result.inserted == 205
    return users_store


def test_allocation_hand_worked() -> None:
    # populations 80/80/40 (last consequential, weight 3): weighted 80/80/120 of 280 → 20 items:
    # quotas 5.71, 5.71, 8.57 → floors 5, 5, 8 → 2 left, by largest remainder: 5.71, 5.71 → 6, 6
    assert sampling.allocate([80, 80, 40], [1, 1, 3], 20) == [6, 6, 8]
    assert sampling.allocate([2, 100], [3, 1], 50) == [2, 48]  # capped, rest redistributed
    assert sampling.allocate([3, 4], [1, 1], 100) == [3, 4]  # never more than exist


def test_draw_is_reproducible_stratified_and_stored(live: Store) -> None:
    first = sampling.draw(live, "priya", "2026-W40", 40, 7)
    assert first["created"] and first["n_items"] == 40
    again = sampling.draw(live, "priya", "2026-W40", 40, 7)
    assert not again["created"]
    assert again["items"] == first["items"]
    other = sampling.draw(live, "priya", "2026-W40", 40, 8)
    assert {i["output_id"] for i in other["items"]} != {i["output_id"] for i in first["items"]}
    with live.read() as con:
        rows = dict(
            con.execute(
                "SELECT id, consequential FROM live_outputs WHERE week = '2026-W40'"
            ).fetchall()
        )
    chosen = [i["output_id"] for i in first["items"]]
    assert len(set(chosen)) == 40 and all(c in rows for c in chosen)
    share = sum(rows[c] for c in chosen) / 40
    assert share > 40 / 200 * 2  # consequential are 20% of the week, well over that in the sample
    strata = Counter(i["stratum"] for i in first["items"])
    assert {s["key"]: s["drawn"] for s in first["strata"]} == dict(strata)
    assert first["n_double"] == 4
    assert sum(i["graders"] == 2 for i in first["items"]) == 4


def test_draw_is_the_same_in_a_fresh_process_with_many_threads(live: Store) -> None:
    code = (
        "import sys, json; from pilot.core.store import Store; from pilot.review import sampling;"
        "import duckdb; s = Store(sys.argv[1]);\n"
        "with s.read() as con: con.execute('SET threads = 8')\n"
        "print(json.dumps(sampling.draw(s, 'priya', '2026-W40', 30, 99)['items']))"
    )
    first = sampling.draw(live, "priya", "2026-W40", 30, 99)["items"]
    live.write(lambda con: con.execute("DELETE FROM sample_items; DELETE FROM samples"))
    out = subprocess.run(
        [sys.executable, "-c", code, str(live.path)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin"},
    )
    assert json.loads(out.stdout) == first


def test_bad_requests(live: Store) -> None:
    with pytest.raises(InputError, match="ISO week"):
        sampling.draw(live, "priya", "2026-40", 10, 1)
    with pytest.raises(InputError, match="no live outputs in 2027-W01"):
        sampling.draw(live, "priya", "2027-W01", 10, 1)


def _independent(store: Store, drawn: dict, seed: int) -> set[str]:
    """Each stratum's `drawn` ids with the smallest hash(id, seed), hashed row by row by DuckDB
    and sorted here: what the draw must return, computed without its key or its threshold."""
    with store.read() as con:
        rows = con.execute(
            "SELECT id, stratum_tag, stage, consequential, hash(id, ?::BIGINT) FROM live_outputs "
            "WHERE week = ?",
            [seed, drawn["window"]],
        ).fetchall()
    chosen: set[str] = set()
    for s in drawn["strata"]:
        mine = sorted(
            (h, i)
            for i, t, st, c, h in rows
            if (t, st, c) == (s["tag"], s["stage"], s["consequential"])
        )
        chosen |= {i for _, i in mine[: s["drawn"]]}
    return chosen


def test_draw_is_the_smallest_hash_per_stratum(live: Store) -> None:
    with live.read() as con:
        for seed in (0, 1, 7, -3, 2**40):
            differ = con.execute(
                "SELECT count(*) FROM live_outputs "
                "WHERE id_key IS NULL OR xor(id_key, hash(?::BIGINT)) <> hash(id, ?::BIGINT)",
                [seed, seed],
            ).fetchone()[0]
            assert differ == 0, seed  # the key kept at ingest is DuckDB's hash(id, seed)
    for seed in (7, 11):
        drawn = sampling.draw(live, "priya", "2026-W40", 40, seed)
        assert {i["output_id"] for i in drawn["items"]} == _independent(live, drawn, seed)


def test_the_threshold_and_its_fallback_give_the_same_sample(
    live: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def again() -> list[dict]:
        live.write(lambda con: con.execute("DELETE FROM sample_items; DELETE FROM samples"))
        return sampling.draw(live, "priya", "2026-W40", 40, 5)["items"]

    first = sampling.draw(live, "priya", "2026-W40", 40, 5)["items"]  # small strata: exact
    assert {i["output_id"] for i in first} == _independent(live, load(live), 5)
    calls: list[str] = []
    real = sampling._grouped

    def spy(con, sql, params):  # type: ignore[no-untyped-def]
        calls.append("threshold" if "k <= ?" in sql else "exact")
        return real(con, sql, params)

    monkeypatch.setattr(sampling, "_grouped", spy)
    monkeypatch.setattr(sampling, "WIDE", 1e9)  # every stratum through the threshold
    assert again() == first and calls == ["threshold"]
    # a threshold far too tight: every stratum keeps too few rows and is drawn again exactly
    monkeypatch.setattr(sampling, "OVERSHOOT", 0.3)
    monkeypatch.setattr(sampling, "SLACK", 0)
    calls.clear()
    assert again() == first and calls == ["threshold", "exact"]
    with pytest.raises(duckdb.ConstraintException):  # every stored output has its key
        live.write(lambda con: con.execute("UPDATE live_outputs SET id_key = NULL"))


def load(live: Store) -> dict:
    with live.read() as con:
        (sid,) = con.execute("SELECT sample_id FROM samples").fetchone()
        return sampling.load(con, sid)


def test_stratum_counts_kept_at_ingest_match_the_outputs(live: Store, tmp_path: Path) -> None:
    def both() -> tuple[list, list]:
        with live.read() as con:
            kept = con.execute(
                "SELECT week, stratum_tag, stage, consequential, outputs, simulated "
                "FROM live_strata ORDER BY ALL"
            ).fetchall()
            counted = con.execute(
                "SELECT week, stratum_tag, stage, consequential, count(*), "
                "count(*) FILTER (WHERE simulated) FROM live_outputs GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        return kept, counted

    kept, counted = both()
    assert kept == counted and sum(r[4] for r in kept) == 205
    more = [output(i, tags=["dates", "zz"], stage=3, simulated=True) for i in range(200, 230)]
    again = write_jsonl(tmp_path / "more.jsonl", more + [output(0)])  # out-0000 already stored
    (result,) = ingest.ingest(live, "priya", str(again))
    assert result.ok and (result.inserted, result.already) == (30, 1)
    kept, counted = both()
    assert kept == counted and sum(r[4] for r in kept) == 235
    assert ("2026-W40", "dates", 3, False, 24, 24) in kept  # i % 5 != 0 of 200..229
