from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pilot.core.errors import StoreBusy
from pilot.core.migrations import MIGRATIONS
from pilot.core.store import Store, apply_migrations, get_setting, put_setting


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    first = apply_migrations(con)
    second = apply_migrations(con)
    assert len(first) == len(MIGRATIONS)
    assert second == []
    rows = con.execute("SELECT id, name FROM schema_migrations ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [m[0] for m in MIGRATIONS]


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as con:
        put_setting(con, "k", "v")
        raise RuntimeError("boom")
    with store.read() as con:
        assert get_setting(con, "k") is None


def test_write_commits(store: Store) -> None:
    store.write(lambda con: put_setting(con, "k", "v"))
    with store.read() as con:
        assert get_setting(con, "k") == "v"


def test_concurrent_threads_conflicting_writes_all_land(store: Store) -> None:
    """Threads appending audit events race on the same sequence number; retries resolve it."""
    from pilot.core import audit

    def work(i: int) -> None:
        store.write(lambda con: audit.record(con, "t", "admin", "test", f"obj:{i}"))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM audit_events").fetchone()[0] == 8
        assert audit.verify(con).intact


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
print(time.monotonic(), flush=True)  # one clock for every process on the machine
con.close()
"""


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_waits_for_a_briefly_locked_file(store: Store) -> None:
    proc = _hold(store.path, 1.0)
    store.write(lambda con: put_setting(con, "after", "lock"))
    written = time.monotonic()
    assert proc.stdout is not None
    released = float(proc.stdout.readline())  # the holder's clock just before it let go
    assert written > released  # the write waited for the lock, however loaded the machine
    proc.wait()
    with store.read() as con:
        assert get_setting(con, "after") == "lock"


def test_fails_clearly_when_the_lock_persists(store: Store) -> None:
    proc = _hold(store.path, 5.0)
    impatient = Store(store.path, lock_timeout=0.5)
    with pytest.raises(StoreBusy, match="in use by another process"):
        impatient.write(lambda con: put_setting(con, "k", "v"))
    proc.kill()
    proc.wait()


def test_the_arrow_copy_warning_is_filtered_for_the_whole_process() -> None:
    """`frame` accepts DuckDB's Arrow copy. Its warning is filtered once for the process, not
    around each call (`catch_warnings` swaps the filters of every thread, so a page read on
    one thread let it through on another). Run where warnings are errors, outside pytest's
    own filters: an Arrow read outside `frame`, then reads through it on many threads."""
    code = """if True:
        import threading, duckdb
        from pilot.core.store import frame
        con = duckdb.connect()
        con.execute("CREATE TABLE t AS SELECT range AS a FROM range(100)")
        assert con.execute("SELECT count(*) FROM t").to_arrow_table().num_rows == 1
        errors = []
        def read():
            try:
                for _ in range(20):
                    assert frame(con.cursor(), "SELECT sum(a) AS s FROM t").item() == 4950
            except Exception as exc:
                errors.append(repr(exc))
        threads = [threading.Thread(target=read) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(errors or "ok")
    """
    done = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok", done.stdout
