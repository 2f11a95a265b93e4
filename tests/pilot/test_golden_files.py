"""`pilot run --json`, the stored run manifest and every export format match their golden files.

Ids, times, the checkout's commit, package versions and measured latencies differ between runs
and machines, so they are replaced by placeholders before comparing; everything else must match
byte for byte (as canonical JSON, or as CSV text). A deliberate change of shape regenerates the
files with `PILOT_UPDATE_GOLDEN=1 pytest tests/pilot/test_golden_files.py` and shows up in review
as a diff of tests/golden/.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from helpers import register_target, run_cli, seeded_store, token_for, write_cases

from pilot.cli import main
from pilot.define.bar_versions import save_draft, sign_bar
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion
from pilot.goldensets.versions import import_goldenset
from pilot.runs.run import RunManifest, RunStatus, load_run

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("PILOT_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A database with one finished run, and what `run --json` printed for it."""
    tmp = tmp_path_factory.mktemp("golden")
    store = seeded_store(tmp / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp / "c.jsonl", 40), name="leave")
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
    db = str(store.path)
    register_target(db, "fake_systems:good")
    printed = io.StringIO()
    saved = os.environ.get("PILOT_TOKEN")
    os.environ["PILOT_TOKEN"] = token_for(db, "priya") or ""
    try:
        with pytest.raises(SystemExit) as exc, contextlib.redirect_stdout(printed):
            main(
                [*("--db", db, "--user", "priya", "run", "--goldenset", "leave"), "--json"]
                + ["--system", "fake_systems:good", "--concurrency", "4"]
            )
    finally:
        os.environ.pop("PILOT_TOKEN", None)
        if saved is not None:
            os.environ["PILOT_TOKEN"] = saved
    assert exc.value.code == 0, exc.value
    return db, printed.getvalue()


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code, out, err = run_cli(capsys, *args)
    assert code in (0, 1), err
    return code, out


def normalise(value: Any, key: str = "") -> Any:
    """Placeholders for what differs between runs and machines; everything else kept."""
    if isinstance(value, dict):
        if "latency" in key:  # measured: every figure but the count varies
            return {k: v if k == "n" or v is None else f"<{key}>" for k, v in value.items()}
        if key == "packages":
            return dict.fromkeys(sorted(value), "<version>")
        return {k: normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, key) for v in value]
    if key == "run_id" and isinstance(value, str):
        return "<run-id>"
    if key in ("commit", "dirty", "python") or "latency" in key or key.endswith("_at"):
        return f"<{key}>" if value is not None else None
    return value


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
    assert path.is_file(), f"{path} is missing: PILOT_UPDATE_GOLDEN=1 writes it"
    assert text == path.read_text(), f"{name} differs from its golden file"


def canonical(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_run_json_matches_golden(finished: tuple[str, str]) -> None:
    _, out = finished
    report = json.loads(out)  # exactly one JSON object on stdout
    assert report["status"] == "finished" and report["exit_code"] == 0
    check("run_json.json", canonical(normalise(report)))


def test_stored_manifest_matches_golden(finished: tuple[str, str]) -> None:
    from pilot.core.store import Store

    db, _ = finished
    store = Store(db)
    with store.read() as con:
        run_id = con.execute("SELECT run_id FROM runs ORDER BY started_at LIMIT 1").fetchone()[0]
        record = load_run(con, run_id)
    assert record is not None and record.status is RunStatus.FINISHED
    assert isinstance(record.manifest, RunManifest)
    assert record.manifest.goldenset.case_ids[:2] == ["c-000", "c-001"]
    check("run_manifest.json", canonical(normalise(record.manifest.model_dump(mode="json"))))


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_export_matches_golden(
    finished: tuple[str, str],
    suffix: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, _ = finished
    from pilot.core.store import Store

    with Store(db).read() as con:
        run_id = con.execute("SELECT run_id FROM runs ORDER BY started_at LIMIT 1").fetchone()[0]
    target = tmp_path / f"r.{suffix}"
    _cli(capsys, "--db", db, "--user", "dana", "results", "export", run_id, "--out", str(target))
    if suffix == "jsonl":
        rows = [normalise(json.loads(line)) for line in target.read_text().splitlines()]
        check(
            "results_export.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        )
    elif suffix == "csv":
        reader = csv.DictReader(io.StringIO(target.read_text()))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [], lineterminator="\n")
        writer.writeheader()
        for row in reader:
            writer.writerow(
                {k: ("<latency_ms>" if k == "latency_ms" else v) for k, v in row.items()}
            )
        check("results_export.csv", out.getvalue())
    else:
        frame = pl.read_parquet(target)
        shape = {
            "schema": {name: str(dtype) for name, dtype in frame.schema.items()},
            "rows": normalise(frame.to_dicts()),
        }
        check("results_export_parquet.json", canonical(shape))
