"""Ingest: idempotent by id, atomic per file, every problem with file, line and field."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from helpers import run_cli
from review_data import output, write_jsonl

from pilot.core.store import Store
from pilot.review import ingest

ROOT = Path(__file__).resolve().parents[2]


def count(store: Store, table: str = "live_outputs") -> int:
    with store.read() as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_ingest_is_idempotent_and_keeps_fields(users_store: Store, tmp_path: Path) -> None:
    records = [output(i) for i in range(10)]
    records[0]["approval"] = {"decision": "edited", "approver": "omar", "edited_text": "24 days"}
    path = write_jsonl(tmp_path / "a.jsonl", records[:5] + [""] + records[5:])  # a blank line
    first = ingest.ingest(users_store, "priya", str(path))
    assert [(r.inserted, r.already, r.approvals) for r in first] == [(10, 0, 1)]
    again = ingest.ingest(users_store, "priya", str(path))
    assert [(r.inserted, r.already, r.approvals) for r in again] == [(0, 10, 0)]
    assert count(users_store) == 10
    with users_store.read() as con:
        row = con.execute(
            "SELECT week, stage, consequential, stratum_tag, ts FROM live_outputs "
            "WHERE id = 'out-0000'"
        ).fetchone()
        approval = con.execute("SELECT decision, approver, edited_text FROM approvals").fetchall()
    assert row[:4] == ("2026-W40", 2, True, "ugly")
    assert str(row[4]) == "2026-09-28 10:00:00"
    assert approval == [("edited", "omar", "24 days")]


def test_bad_file_keeps_nothing_and_names_every_problem(users_store: Store, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "a-good.jsonl", [output(1)])
    bad = write_jsonl(
        tmp_path / "b-bad.jsonl",
        [
            output(2),
            output(3, stage=9, consequential="yes"),
            output(4, timestamp="last tuesday", tags="ugly"),
            output(2, input="again"),
            "{not json",
            output(5, approval={"decision": "maybe"}),
        ],
    )
    results = ingest.ingest(users_store, "priya", str(tmp_path / "*.jsonl"))
    assert [r.ok for r in results] == [True, False]
    found = {(p.line, p.field) for p in results[1].errors}
    assert found == {
        (2, "stage"),
        (2, "consequential"),
        (3, "timestamp"),
        (3, "tags"),
        (4, "id"),
        (5, None),
        (6, "approval.decision"),
        (6, "approval.approver"),
    }
    assert all(p.file == str(bad) for p in results[1].errors)
    assert count(users_store) == 1  # only the good file
    assert str(good) in {r.file for r in results if r.ok}


def test_csv_and_parquet_share_the_checks(users_store: Store, tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "src.jsonl", [output(i) for i in range(4)])
    con = duckdb.connect()
    rel = f"read_json('{src}', format='newline_delimited')"
    con.execute(f"COPY (SELECT * FROM {rel}) TO '{tmp_path / 'x.parquet'}' (FORMAT parquet)")
    csv_select = (
        "id, timestamp, input, output, to_json(citations) AS citations, "
        "to_json(sources) AS sources, consequential, stage, array_to_string(tags, ';') AS t"
    )
    con.execute(f"COPY (SELECT {csv_select} FROM {rel}) TO '{tmp_path / 'x.csv'}' (HEADER)")
    con.close()
    parquet = ingest.ingest(users_store, "priya", str(tmp_path / "x.parquet"))
    assert parquet[0].ok and parquet[0].inserted == 4
    text = (tmp_path / "x.csv").read_text().replace(",t\n", ",tags\n", 1)
    (tmp_path / "y.csv").write_text(text.replace("out-0", "csv-0"))
    csv = ingest.ingest(users_store, "priya", str(tmp_path / "y.csv"))
    assert csv[0].ok, csv[0].errors
    assert csv[0].inserted == 4
    lines = (tmp_path / "y.csv").read_text().splitlines()
    lines[3] = lines[3].replace(",2,", ",two,")
    (tmp_path / "z.csv").write_text("\n".join(lines).replace("csv-0", "bad-0") + "\n")
    bad = ingest.ingest(users_store, "priya", str(tmp_path / "z.csv"))
    assert [(p.line, p.field) for p in bad[0].errors] == [(4, "stage")]
    assert count(users_store) == 8


def test_only_leads_ingest(users_store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [output(1)])
    from pilot.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        ingest.ingest(users_store, "marco", str(path))
    assert count(users_store) == 0


def test_cli_json(users_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [output(1), output(2, input=None)])
    code, out, _ = run_cli(
        capsys, "--db", str(users_store.path), "--user", "priya", "live", "ingest", str(path),
        "--json",
    )  # fmt: skip
    assert code == 2
    data = json.loads(out)
    assert data["bad_files"] == [str(path)]
    assert data["files"][0]["errors"][0] == {
        "file": str(path),
        "line": 2,
        "field": "input",
        "message": "missing",
    }


WRITER = """
import sys, time, pilot
from pilot.review import spool
spool_dir = sys.argv[1]
for i in range(int(sys.argv[2])):
    pilot.record_output(f"question {i}", "answer " + "x" * 200, id=f"k-{i}", spool=spool_dir)
# a record cut off halfway, as a kill -9 in the middle of a write leaves it
path = spool.spool_file(spool.spool_dir(spool_dir), __import__("datetime").datetime.now(
    __import__("datetime").UTC))
with open(path, "a") as fh:
    fh.write('{"id": "k-half", "timestamp": "2026-10-01T00:00:00Z", "input": "que')
    fh.flush()
print("ready", flush=True)
time.sleep(60)
"""


def test_spool_survives_kill_9(users_store: Store, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(spool), "50"], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    results = ingest.ingest(users_store, "priya", str(spool))
    assert [r.ok for r in results] == [True]
    assert results[0].inserted == 50
    assert [p.line for p in results[0].warnings] == [51]
    with users_store.read() as con:
        ids = {r[0] for r in con.execute("SELECT id FROM live_outputs").fetchall()}
    assert "k-half" not in ids and len(ids) == 50


def test_spool_killed_mid_stream_ingests_only_whole_records(
    users_store: Store, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    loop = (
        "import sys, pilot\nfor i in range(10**7):\n"
        "    pilot.record_output('q', 'a' * 5000, id=f'm-{i}', spool=sys.argv[1])\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", loop, str(spool)], env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (spool.exists() and any(spool.iterdir())):
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    (file,) = spool.iterdir()
    whole = file.read_bytes().count(b"\n")
    results = ingest.ingest(users_store, "priya", str(spool))
    assert results[0].ok and results[0].inserted == whole > 0
    with users_store.read() as con:
        lengths = {r[0] for r in con.execute("SELECT length(output) FROM live_outputs").fetchall()}
    assert lengths == {5000}


def test_import_pilot_stays_light() -> None:
    code = (
        "import sys, pilot; pilot.record_output; "
        "print(sorted(m for m in ('duckdb', 'polars', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT), "PILOT_SPOOL": "/nonexistent"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_the_spool_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    """The spool holds live questions, answers and sources, written by the production app (not
    the kit's CLI, which sets an owner-only umask): its files are 0600 and a new folder 0700
    even under the usual umask 022, and a spool file made looser meanwhile is tightened when
    it is opened again."""
    script = (
        "import os, sys, pilot\n"
        "from pilot.review import spool\n"
        "os.umask(0o022)\n"
        "pilot.record_output('q', 'a', id='u-1', spool=sys.argv[1])\n"
        "spool.close()\n"
        "(path,) = [os.path.join(sys.argv[1], f) for f in os.listdir(sys.argv[1])]\n"
        "print(oct(os.stat(sys.argv[1]).st_mode & 0o777), oct(os.stat(path).st_mode & 0o777))\n"
        "os.chmod(path, 0o644)\n"
        "pilot.record_output('q', 'a', id='u-2', spool=sys.argv[1])\n"
        "print(oct(os.stat(path).st_mode & 0o777))\n"
    )
    folder = tmp_path / "spool"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder)], env=env, check=True, capture_output=True
    )
    assert done.stdout.decode().split() == ["0o700", "0o600", "0o600"]
