"""Twenty evaluators at once, as threads in one process and across two processes on one file:
no grade is lost and no item is handed out twice (or twice to the same person)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from helpers import seeded_store
from review_data import output, write_jsonl

from pilot.core import access
from pilot.core.store import Store
from pilot.review import grades, ingest, queue, sampling

ROOT = Path(__file__).resolve().parents[2]
N_EVALUATORS = 20


def setup(path: Path, folder: Path) -> tuple[Store, int]:
    store = seeded_store(path)
    for i in range(N_EVALUATORS):
        access.add_user(store, "ada", f"ev{i:02d}", "evaluator")
    records = [output(i) for i in range(300)]
    (result,) = ingest.ingest(store, "priya", str(write_jsonl(folder / "o.jsonl", records)))
    assert result.ok
    drawn = sampling.draw(store, "priya", "2026-W40", 100, 11, double_share=0.2)
    return store, drawn["n_items"] + drawn["n_double"]  # slots to fill


def work(store: Store, who: str, log: list[str]) -> None:
    while (item := queue.next_item(store, who)) is not None:
        grades.grade(store, who, item, "correct", "none", note=f"{who} graded {item}")
        log.append(item)


def check(store: Store, slots: int, graded: dict[str, list[str]]) -> None:
    with store.read() as con:
        rows = con.execute("SELECT output_id, evaluator FROM grades").fetchall()
        needed = dict(con.execute("SELECT output_id, graders FROM sample_items").fetchall())
        per_item = dict(con.execute("SELECT output_id, count(*) FROM assignments GROUP BY 1")
                        .fetchall())  # fmt: skip
    assert len(rows) == slots  # every slot graded once: nothing lost, nothing extra
    assert len(set(rows)) == len(rows)  # never the same item twice to one person
    assert per_item == needed  # one evaluator per item, two for the agreement share
    reported = {(item, who) for who, items in graded.items() for item in items}
    assert reported == set(rows)  # every grade a worker saw saved is in the database


def test_twenty_threads_in_one_process(tmp_path: Path) -> None:
    store, slots = setup(tmp_path / "p.duckdb", tmp_path)
    graded: dict[str, list[str]] = {f"ev{i:02d}": [] for i in range(N_EVALUATORS)}
    threads = [threading.Thread(target=work, args=(store, who, log)) for who, log in graded.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert sum(len(v) for v in graded.values()) == slots
    assert sum(1 for v in graded.values() if v) > 1  # the work really was shared
    check(store, slots, graded)


WORKER = """
import json, sys, threading
sys.path.insert(0, sys.argv[3])
from test_concurrency import work
from pilot.core.store import Store
store = Store(sys.argv[1], lock_timeout=120)
names = sys.argv[2].split(",")
graded = {n: [] for n in names}
threads = [threading.Thread(target=work, args=(store, n, graded[n])) for n in names]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps(graded))
"""


def test_two_processes_on_one_file(tmp_path: Path) -> None:
    store, slots = setup(tmp_path / "p.duckdb", tmp_path)
    names = [f"ev{i:02d}" for i in range(N_EVALUATORS)]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                str(store.path),
                ",".join(half),
                str(Path(__file__).parent),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )  # fmt: skip
        for half in (names[::2], names[1::2])
    ]
    graded: dict[str, list[str]] = {}
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
        graded |= json.loads(out)
    assert sum(len(v) for v in graded.values()) == slots
    check(store, slots, graded)
