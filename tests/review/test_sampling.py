"""Sampling: seeded, stratified, stored, reproducible; consequential outputs oversampled."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

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
