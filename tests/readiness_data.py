"""Readiness test data: a pilot with a signed bar (accuracy ≥ 0.80 on the point estimate), a golden set, and helpers
that write graded live outputs and approvals straight into step 5's tables of a real DuckDB."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import run_cli, seeded_store, write_cases

from pilot.core.store import Store
from pilot.define.bar_versions import save_draft, sign_bar
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion
from pilot.goldensets.versions import import_goldenset


@pytest.fixture
def pilot_store(tmp_path: Path) -> Store:
    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 40), name="leave")
    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.8, judged_on="point"),),
        min_cases=20,
        max_critical_errors=0,
        when_unsure="abstain and hand over to HR",
    )
    save_draft(store, "priya", bar)
    sign_bar(store, "priya")
    return store


def run(capsys: pytest.CaptureFixture[str], store: Store, system: str, *extra: str) -> str:
    """A finished run of `system` on the golden set; returns its id."""
    code, out, err = run_cli(
        capsys, "--db", str(store.path), "--user", "priya", "run", "--goldenset", "leave",
        "--system", system, "--json", *extra,
    )  # fmt: skip
    assert code in (0, 1), err
    return json.loads(out)["run_id"]


def week_of(offset: int) -> str:
    d = date(2026, 9, 28) + timedelta(weeks=offset)  # 2026-W40
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def add_graded(
    store: Store, *, stage: int, n: int, correct: int, week: str = "2026-W40",
    critical: int = 0, prefix: str = "o", evaluators: tuple[str, ...] = ("marco",),
) -> None:  # fmt: skip
    """`n` live outputs at `stage` in `week`, `correct` of them graded correct by every
    evaluator, `critical` of the wrong ones graded critical."""

    def body(con) -> None:  # type: ignore[no-untyped-def]
        for i in range(n):
            oid = f"{prefix}-{week}-{i}"
            con.execute(
                "INSERT INTO live_outputs VALUES (?, TIMESTAMP '2026-09-28 10:00', ?, 'q', 'a', "
                "NULL, NULL, false, ?, ['t'], 't', NULL, NULL, false, 'test', now(), "
                "xor(hash(?, 0::BIGINT), hash(0::BIGINT)))",
                [oid, week, stage, oid],
            )
            ok = i < correct
            severity = "critical" if not ok and i - correct < critical else "minor"
            for ev in evaluators:
                con.execute(
                    "INSERT INTO grades VALUES (?, ?, 1, ?, NULL, ?, '', NULL, '2026-10-01', 'app')",
                    [oid, ev, "correct" if ok else "incorrect", "none" if ok else severity],
                )

    store.write(body)


def add_approvals(store: Store, *, week: str, n: int, approved: int, stage: int = 2) -> None:
    def body(con) -> None:  # type: ignore[no-untyped-def]
        for i in range(n):
            oid = f"ap-{week}-{i}"
            con.execute(
                "INSERT INTO live_outputs VALUES (?, TIMESTAMP '2026-09-28 10:00', ?, 'q', 'a', "
                "NULL, NULL, true, ?, ['t'], 't', NULL, NULL, false, 'test', now(), "
                "xor(hash(?, 0::BIGINT), hash(0::BIGINT)))",
                [oid, week, stage, oid],
            )
            con.execute(
                "INSERT INTO approvals VALUES (?, ?, false, ?, 'priya', now(), NULL, 'priya', 'app')",
                [oid, week, "approved" if i < approved else "edited"],
            )

    store.write(body)
