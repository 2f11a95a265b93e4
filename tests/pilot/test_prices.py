"""Cost from recorded usage and a price table keyed by model id; unknown is None, never 0."""

from __future__ import annotations

import polars as pl
import pytest

from pilot.runs.prices import price_for, usage_cost
from pilot.runs.record import calls_frame
from pilot.runs.systems.offline import OFFLINE_MODEL


def test_usage_cost_hand_worked() -> None:
    # Sonnet 4.5 at $3 / $15 per million: 2,000 in + 500 out = 0.006 + 0.0075 = 0.0135
    assert usage_cost("claude-sonnet-4-5", 2000, 500) == pytest.approx(0.0135)
    # a dated id is priced by its alias; Opus 4.1 is not Opus 4.5 ($15 / $75)
    assert usage_cost("claude-opus-4-1-20250805", 1_000_000, 0) == pytest.approx(15.0)
    assert usage_cost("claude-opus-4-5", 1_000_000, 0) == pytest.approx(5.0)
    assert usage_cost(OFFLINE_MODEL, 5000, 5000) == 0.0  # runs locally: known, free


def test_an_unknown_model_has_no_price() -> None:
    assert price_for("my-team-model") is None and price_for(None) is None
    assert usage_cost("my-team-model", 100, 100) is None


def test_calls_frame_prices_each_row_from_its_usage() -> None:
    rows = pl.DataFrame(
        {
            "case_id": ["a", "b", "c"],
            "latency_ms": [120.0, 80.0, 0.0],
            "cached": [False, True, False],
            "attempts": [1, 0, 6],
            "model": ["claude-haiku-4-5", "my-team-model", None],
            "input_tokens": [1000, 50, 0],
            "output_tokens": [200, 10, 0],
        }
    )
    calls = calls_frame(rows)
    # haiku 4.5 at $1 / $5: 0.001 + 0.001 = 0.002; the unknown model and the failed call: null
    assert calls["cost_usd"].to_list() == [pytest.approx(0.002), None, None]
    assert calls.columns == ["case_id", "latency_ms", "cached", "attempts", "model", "cost_usd"]
