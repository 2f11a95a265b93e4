"""A run's frames as one value: narrowed to some cases or to a tag, every frame together."""

from __future__ import annotations

import polars as pl
from metric_frames import shared_run

from metrics._frames import CALLS
from metrics.frames import RunFrames


def frames() -> RunFrames:
    calls = pl.DataFrame(
        {
            "case_id": ["c1", "c2", "c4"],
            "latency_ms": [10.0, 20.0, 40.0],
            "cached": [False, True, False],
            "attempts": [1, 0, 2],
            "model": ["m", None, "m"],
            "cost_usd": [0.1, None, 0.2],
        },
        schema=dict(CALLS),
    )
    return RunFrames(**shared_run(), calls=calls)


def test_inputs_name_every_frame_for_compute_all() -> None:
    run = frames()
    inputs = run.inputs()
    assert list(inputs) == ["results", "citations", "claims", "sources", "evidence", "calls"]
    assert all(inputs[name] is getattr(run, name) for name in inputs)


def test_without_calls_the_calls_frame_is_empty_with_its_columns() -> None:
    run = RunFrames(**shared_run())
    assert run.calls.height == 0 and run.calls.schema == pl.Schema(CALLS)


def test_a_tag_narrows_every_frame_to_its_cases() -> None:
    ugly = frames().tagged("ugly")  # c1, c4 and c5 are tagged 'ugly'
    assert ugly.results["case_id"].to_list() == ["c1", "c4", "c5"]
    assert set(ugly.citations["case_id"]) == {"c1"}
    assert set(ugly.claims["case_id"]) == {"c1"}
    assert set(ugly.sources["case_id"]) == {"c1", "c4"}
    assert set(ugly.evidence["case_id"]) == {"c1", "c4", "c5"}
    assert ugly.calls["case_id"].to_list() == ["c1", "c4"]
    assert frames().tagged("absent").results.height == 0


def test_only_cases_keeps_the_named_cases_in_each_frame() -> None:
    two = frames().only_cases(pl.Series(["c2", "c3"]))
    assert two.results["case_id"].to_list() == ["c2", "c3"]
    assert two.citations["case_id"].to_list() == ["c2"]
    assert two.calls["case_id"].to_list() == ["c2"]
