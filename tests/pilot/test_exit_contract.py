"""The exit-code contract for any input (issue 9, item 7; finding 12: a run where every call
failed was "finished", exited 1 like a bar failure, and `--resume` refused it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli, seeded_store, write_cases
from stub_messages_api import MessagesStub

from pilot.core.errors import INTERNAL_ERROR_EXIT
from pilot.define.bar_versions import save_draft, sign_bar
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion
from pilot.define.verdicts import inconclusive
from pilot.goldensets.versions import import_goldenset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path: Path) -> str:
    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 20), name="leave")
    return str(store.path)


def sign(db: str, max_error_rate: float | None) -> None:
    from pilot.core.store import Store

    store = Store(db)
    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.1, judged_on="point"),),
        min_cases=5,
        max_critical_errors=20,
        when_unsure="abstain and hand over to HR",
        max_error_rate=max_error_rate,
    )
    save_draft(store, "priya", bar)
    sign_bar(store, "priya")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, *args)


def test_error_rate_limit_by_hand() -> None:
    assert not inconclusive(1, 50, 0.02)  # exactly 2%: judged
    assert inconclusive(2, 50, 0.02)  # 4%
    assert not inconclusive(0, 0, 0.02)
    assert inconclusive(20, 20, 0.02)


def test_every_call_failing_is_inconclusive_and_resume_retries_the_errors(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with MessagesStub() as stub:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-exit")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", stub.base_url)
        stub.fail("bad_request", times=20)
        base = ["--db", db, "--user", "priya", "run"]
        code, out, err = cli(
            capsys, *base, "--goldenset", "leave", "--system", "anthropic", "--json"
        )
        report = json.loads(out)
        assert code == 5, err
        assert report["status"] == "inconclusive"
        assert report["verdict"]["inconclusive"] and report["verdict"]["errors"] == 20
        assert len(stub.message_bodies()) == 20

        code, out, err = cli(capsys, *base, "--resume", report["run_id"])
        assert code == 1, err  # answered now; exploratory (no signed bar), so not a pass
        assert "INCONCLUSIVE" not in out
        code, _, err = cli(capsys, *base, "--resume", report["run_id"])
        assert code == 2 and "already finished" in err  # judged now: nothing left to retry
        assert len(stub.message_bodies()) == 40  # each errored case called once more
    from pilot.core.store import Store

    with Store(db).read() as con:
        status, summary = con.execute(
            "SELECT status, summary FROM runs WHERE run_id = ?", [report["run_id"]]
        ).fetchone()
        retried = con.execute(
            "SELECT payload FROM audit_events WHERE action = 'run.resume'"
        ).fetchall()
    assert status == "finished" and json.loads(summary)["verdict"]["errors"] == 0
    assert len(json.loads(retried[0][0])["retried_errors"]) == 20


@pytest.mark.parametrize("limit,expected", [(None, 5), (0.1, 0)])
def test_one_error_in_twenty_against_the_bars_max_error_rate(
    db: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    limit: float | None,
    expected: int,
) -> None:
    """1/20 = 5%: over the default 2% (exit 5), within a bar's 10% (judged: bar met, exit 0)."""
    sign(db, limit)
    with MessagesStub() as stub:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-exit")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", stub.base_url)
        stub.fail("bad_request", times=1)
        code, out, err = cli(
            capsys,
            *("--db", db, "--user", "priya", "run", "--goldenset", "leave"),
            *("--system", "anthropic", "--concurrency", "1"),
        )
    assert code == expected, out + err
    if expected == 5:
        assert "INCONCLUSIVE: 1/20 cases failed" in out


def test_an_unexpected_failure_exits_70_with_one_line(tmp_path: Path) -> None:
    """A bug must never read as "bar not met" (1). A directory where the database should be
    makes DuckDB raise an error pilot does not expect."""
    (tmp_path / "dir.duckdb").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", "from pilot.cli import main; main()"]
        + ["--db", str(tmp_path / "dir.duckdb"), "--user", "priya", "goldenset", "list"],
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == INTERNAL_ERROR_EXIT, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("internal error: ")
    assert "Traceback" not in done.stderr


def test_a_file_that_is_not_a_database_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "junk.duckdb").write_text("not a database")
    code, _, err = cli(
        capsys, "--db", str(tmp_path / "junk.duckdb"), "--user", "priya", "goldenset", "list"
    )
    assert code == 2 and "not a pilot database" in err
