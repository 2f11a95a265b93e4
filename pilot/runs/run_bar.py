"""The bar a run is judged against and the match rule that scores it, read without `metrics`
or polars (a fully cached re-run whose scores are reused imports neither)."""

from __future__ import annotations

import duckdb

from pilot.define.bar_versions import BarVersion, bar_version
from pilot.define.bars import MatchRule

DEFAULT_RULE = MatchRule()


def bar_for_run(con: duckdb.DuckDBPyConnection, run_id: str) -> BarVersion | None:
    """The bar version the run is judged against (typed, signed or not), or None: no bar."""
    row = con.execute("SELECT bar_version FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if not row or row[0] is None:
        return None
    return bar_version(con, row[0])


def rule_of(version: BarVersion | None) -> MatchRule:
    """The bar version's match rule, else the default (contains)."""
    return DEFAULT_RULE if version is None else version.bar.match_rule


def match_rule_for_run(con: duckdb.DuckDBPyConnection, run_id: str) -> MatchRule:
    """The match rule that scores the run: its bar's, else the default (contains)."""
    return rule_of(bar_for_run(con, run_id))
