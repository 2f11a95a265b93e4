"""`pilot run` and `pilot results export` as DESIGN.md's CLI contract says."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from helpers import run_cli, seeded_store, write_cases

from pilot.define.bar_versions import save_draft, sign_bar
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion
from pilot.goldensets.versions import import_goldenset

METRICS = {
    "accuracy",
    "citation_precision",
    "citation_coverage",
    "evidence_recall",
    "abstain_rate_unanswerable",
    "false_abstain_rate",
    "cost_per_case_usd",
    "infra_error_rate",
    "latency_p50_ms",
    "latency_p95_ms",
}
GOLDEN_EXPORT = Path(__file__).resolve().parents[1] / "golden" / "results_export_good.jsonl"


@pytest.fixture
def db(tmp_path: Path) -> str:
    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 40), name="leave")
    bar = AcceptanceBar(
        criteria=(
            Criterion(metric="accuracy", threshold=0.6, judged_on="lower_bound"),
            Criterion(metric="citation_coverage", threshold=0.9, judged_on="point"),
        ),
        min_cases=20,
        max_critical_errors=0,
        when_unsure="abstain and hand over to HR",
    )
    save_draft(store, "priya", bar)
    sign_bar(store, "priya")
    return str(store.path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, *args)


def test_run_json_contract_and_baseline_gate(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--db", db, "--user", "priya", "run", "--goldenset", "leave", "--json"]
    code, out, err = run(capsys, *base, "--system", "fake_systems:good")
    report = json.loads(out)  # exactly one JSON object on stdout
    assert code == 0, err
    assert set(report["metrics"]) == METRICS
    for m in report["metrics"].values():
        assert set(m) - {"unknown"} == {"value", "low", "high", "n"}
    # A callable system's model has no list price: its cost is unknown, never 0.
    cost = report["metrics"]["cost_per_case_usd"]
    assert cost["value"] is None and cost["n"] > 0 and "no price for model" in cost["unknown"]
    assert report["metrics"]["infra_error_rate"] == {
        **report["metrics"]["infra_error_rate"],
        "value": 0.0,
    }
    assert report["metrics"]["accuracy"] == {**report["metrics"]["accuracy"], "value": 1.0, "n": 40}
    verdict = report["verdict"]
    assert verdict["passed"] and not verdict["exploratory"]
    assert [(c["metric"], c["passed"]) for c in verdict["criteria"]] == [
        ("accuracy", True),
        ("citation_coverage", True),
    ]
    manifest = report["manifest"]
    assert manifest["system"]["config"]["target"] == "fake_systems:good"
    assert manifest["bar"]["content_hash"] and manifest["git"].keys() == {"commit", "dirty"}

    code, out, err = run(
        capsys, *base, "--system", "fake_systems:worse", "--baseline", report["run_id"]
    )
    worse = json.loads(out)
    assert code == 1
    regression = worse["regression"]
    # 10 annual-leave and 10 unanswerable cases flip to wrong, none to right: p = 2 * 0.5^20
    assert regression["now_wrong"] == 20 and regression["now_right"] == 0
    assert regression["p_value"] == pytest.approx(2 * 0.5**20)
    assert regression["significantly_worse"]


def test_results_export_formats_agree(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "--db",
        db,
        "--user",
        "priya",
        "run",
        "--goldenset",
        "leave",
        "--system",
        "fake_systems:good",
        "--json",
    )
    run_id = json.loads(out)["run_id"]
    frames = {}
    for suffix in ("jsonl", "csv", "parquet"):
        target = tmp_path / f"r.{suffix}"
        code, _, err = run(
            capsys, "--db", db, "--user", "dana", "results", "export", run_id, "--out", str(target)
        )
        assert code == 0 and "wrote 40 records" in err
        frames[suffix] = target
    records = [json.loads(line) for line in frames["jsonl"].read_text().splitlines()]
    parquet = pl.read_parquet(frames["parquet"]).to_dicts()
    csv = pl.read_csv(frames["csv"]).to_dicts()
    assert [r["case_id"] for r in records] == [r["case_id"] for r in parquet]
    assert [json.loads(r["citations"]) for r in csv] == [r["citations"] for r in records]
    stable = [{k: v for k, v in r.items() if k != "latency_ms"} for r in records[:4]]
    expected = [json.loads(line) for line in GOLDEN_EXPORT.read_text().splitlines()]
    assert stable == expected
    code, _, err = run(
        capsys,
        "--db",
        db,
        "--user",
        "dana",
        "results",
        "export",
        run_id,
        "--out",
        str(tmp_path / "r.xlsx"),
    )
    assert code == 2 and ".jsonl, .csv or .parquet" in err


def test_run_refuses_while_killed_and_for_viewers(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--db", db, "run", "--goldenset", "leave"]
    assert run(capsys, "--user", "dana", *args)[0] == 4
    assert run(capsys, "--db", db, "--user", "priya", "kill", "--reason", "drill")[0] == 0
    code, _, err = run(capsys, "--user", "priya", *args)
    assert code == 3 and "kill switch" in err
    assert run(capsys, "--user", "priya", *args[:2], "run", "--goldenset", "nope")[0] == 3
