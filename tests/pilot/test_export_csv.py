"""CSV export neutralises formula cells; JSONL and Parquet keep values exactly (finding 11)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest
from fake_systems import HOSTILE_ANSWER
from helpers import run_cli, seeded_store, write_cases

from pilot.goldensets.versions import import_goldenset
from pilot.runs.export import neutralise_formulas

ATTACKS = {HOSTILE_ANSWER, "+1+2", "-3+4", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, *args)


def test_csv_cells_that_would_run_as_formulas_are_quoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 14), name="leave")
    db = str(store.path)
    code, out, err = run(
        capsys, "--db", db, "--user", "priya", "run", "--goldenset", "leave",
        "--system", "fake_systems:spreadsheet_attack", "--json",
    )  # fmt: skip
    run_id = json.loads(out)["run_id"]
    paths = {s: tmp_path / f"r.{s}" for s in ("csv", "jsonl", "parquet")}
    for path in paths.values():
        assert run(capsys, "--db", db, "--user", "dana", "results", "export", run_id,
                   "--out", str(path))[0] == 0  # fmt: skip

    exact = [json.loads(line)["answer"] for line in paths["jsonl"].read_text().splitlines()]
    assert set(exact) >= ATTACKS and "plain" in exact
    assert pl.read_parquet(paths["parquet"])["answer"].to_list() == exact

    with paths["csv"].open(newline="", encoding="utf-8") as handle:
        cells = [row["answer"] for row in csv.DictReader(handle)]
    assert len(cells) == len(exact)
    for original, cell in zip(exact, cells, strict=True):
        if original in ATTACKS:
            assert cell == "'" + original
        else:
            assert cell == original
    # no cell in the whole file starts with a formula character
    with paths["csv"].open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            assert not any(cell[:1] in {"=", "+", "-", "@", "\t", "\r"} for cell in row)


def test_neutralise_touches_only_text_columns() -> None:
    frame = pl.DataFrame({"n": [-1, 2], "t": ["-1", "a=b"], "none": [None, "=x"]})
    out = neutralise_formulas(frame)
    assert out["n"].to_list() == [-1, 2]
    assert out["t"].to_list() == ["'-1", "a=b"]
    assert out["none"].to_list() == [None, "'=x"]
