"""Fixtures for the metric tests: builders of small frames with the runner's schemas."""

from __future__ import annotations

import polars as pl
import pytest
from metric_frames import (
    CITATIONS_SCHEMA,
    CLAIMS_SCHEMA,
    EVIDENCE_SCHEMA,
    RESULTS_SCHEMA,
    SOURCES_SCHEMA,
    Builder,
    build,
    build_results,
    shared_run,
)


@pytest.fixture
def results() -> Builder:
    return build_results


@pytest.fixture
def citations() -> Builder:
    return lambda *rows: build(CITATIONS_SCHEMA, list(rows))


@pytest.fixture
def claims() -> Builder:
    return lambda *rows: build(CLAIMS_SCHEMA, list(rows))


@pytest.fixture
def sources() -> Builder:
    return lambda *rows: build(SOURCES_SCHEMA, list(rows))


@pytest.fixture
def evidence() -> Builder:
    return lambda *rows: build(EVIDENCE_SCHEMA, list(rows))


@pytest.fixture
def empty() -> dict[str, pl.DataFrame]:
    """Zero-row frames with the contract schemas."""
    return {
        "results": pl.DataFrame(schema=RESULTS_SCHEMA),
        "citations": pl.DataFrame(schema=CITATIONS_SCHEMA),
        "claims": pl.DataFrame(schema=CLAIMS_SCHEMA),
        "sources": pl.DataFrame(schema=SOURCES_SCHEMA),
        "evidence": pl.DataFrame(schema=EVIDENCE_SCHEMA),
    }


@pytest.fixture
def run() -> dict[str, pl.DataFrame]:
    """The hand-worked five-case run (see metric_frames.shared_run)."""
    return shared_run()
