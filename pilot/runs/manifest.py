"""A run's manifest: everything needed to re-run it and to trust what it measured."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb

from pilot.core.models import SystemConfig
from pilot.define.bar_versions import bar_version as bar_version_of
from pilot.goldensets.stored import version_hash
from pilot.runs.run import BarRef, GitState, GoldensetRef, RunManifest, SystemRef

PACKAGES = ("pilot-kit", "anthropic", "duckdb", "polars", "pydantic", "streamlit")
REPO = Path(__file__).resolve().parents[2]


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def git_state() -> GitState:
    """Commit and dirty flag of the checkout the package runs from (None outside git). The
    two git commands run side by side: this is on the path of every run."""
    commands = (
        ["git", "-C", str(REPO), "rev-parse", "HEAD"],
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
    )
    try:
        procs = [
            subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            for c in commands
        ]
    except OSError:
        return GitState(commit=None, dirty=None)
    outputs = []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            out = None
        outputs.append(out.strip() if out is not None and proc.returncode == 0 else None)
    commit, dirty = outputs
    if commit is None or dirty is None:
        return GitState(commit=None, dirty=None)
    return GitState(commit=commit, dirty=bool(dirty))


def _bar_hash(con: duckdb.DuckDBPyConnection, bar_version: int | None) -> str | None:
    if bar_version is None:
        return None
    found = bar_version_of(con, bar_version)
    return found.content_hash if found else None


def build_manifest(
    con: duckdb.DuckDBPyConnection,
    goldenset_version: str,
    config: SystemConfig,
    bar_version: int | None,
    options: Any,
    case_ids: list[str],
) -> RunManifest:
    return RunManifest(
        goldenset=GoldensetRef(
            version=goldenset_version,
            content_hash=version_hash(con, goldenset_version),
            case_ids=case_ids,
        ),
        bar=BarRef(
            version=bar_version,
            content_hash=_bar_hash(con, bar_version),
            exploratory=bar_version is None,
        ),
        system=SystemRef(
            version=config.version,
            config=config.model_dump(mode="json"),
            model_requested=config.model,
        ),
        settings=options.resolved(),
        seed=options.seed,
        git=git_state(),
        packages={name: _version(name) for name in PACKAGES},
        python=platform.python_version(),
    )
