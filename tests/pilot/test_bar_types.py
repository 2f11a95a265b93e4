"""Bar fields are strictly typed (issue 9, finding 13): no bools, no numeric strings, no 1e12."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, seeded_store

from pilot.core.errors import InputError
from pilot.define import bar_versions
from pilot.define.bars import AcceptanceBar
from pilot.define.workflow import parse_model


def _bar(threshold: object = 0.9, **extra: object) -> dict[str, object]:
    return {"criteria": [{"metric": "accuracy", "threshold": threshold}], **extra}


@pytest.mark.parametrize(
    ("document", "field", "says"),
    [
        (_bar(True), "criteria.0.threshold", "valid number"),
        (_bar(False), "criteria.0.threshold", "valid number"),
        (_bar("0.9"), "criteria.0.threshold", "valid number"),
        (_bar(None), "criteria.0.threshold", "valid number"),
        (_bar(1.5), "criteria.0.threshold", "not a proportion between 0 and 1"),
        (_bar(-0.1), "criteria.0.threshold", "not a proportion between 0 and 1"),
        (_bar(float("nan")), "criteria.0.threshold", "not a number"),
        (_bar(90), "criteria.0.threshold", "write 0.9 for 90%"),
        (_bar(min_cases=1e12), "min_cases", "valid integer"),
        (_bar(min_cases=10_000_001), "min_cases", "less than or equal to 10000000"),
        (_bar(min_cases="60"), "min_cases", "valid integer"),
        (_bar(min_cases=True), "min_cases", "valid integer"),
        (_bar(max_critical_errors=0.5), "max_critical_errors", "valid integer"),
        (_bar(match_rule={"rule": "f1", "threshold": "0.5"}), "match_rule.threshold", "number"),
        (_bar(match_rule={"rule": "numeric", "tolerance": True}), "match_rule.tolerance", "num"),
    ],
)
def test_bad_bar_fields_are_refused_naming_the_field(
    document: dict[str, object], field: str, says: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_model(AcceptanceBar, document, "bar.json")
    assert f"bar.json: field {field}: " in str(caught.value)
    assert says in str(caught.value)


def test_good_bars_still_parse() -> None:
    bar = parse_model(AcceptanceBar, _bar(1, min_cases=10_000_000), "bar.json")
    assert bar.criteria[0].threshold == 1.0 and isinstance(bar.criteria[0].threshold, float)
    assert parse_model(AcceptanceBar, _bar(0), "b").criteria[0].threshold == 0.0
    # a stored bar round-trips through JSON unchanged
    assert AcceptanceBar.model_validate_json(json.dumps(bar.content())) == bar


def test_strict_types_hold_for_every_unit() -> None:
    """A latency threshold in ms is a number too: not True and not "2500"; the range itself is
    the metric's unit's (metrics.units), checked in one place."""
    ok = parse_model(
        AcceptanceBar,
        {"criteria": [{"metric": "latency_p95_ms", "threshold": 2500, "judged_on": "point"}]},
        "b",
    )
    assert ok.criteria[0].threshold == 2500.0
    for bad in (True, "2500"):
        with pytest.raises(InputError, match=r"field criteria\.0\.threshold: Input should be"):
            parse_model(
                AcceptanceBar,
                {
                    "criteria": [
                        {"metric": "latency_p95_ms", "threshold": bad, "judged_on": "point"}
                    ]
                },
                "b",
            )


@pytest.mark.parametrize(
    "document",
    [_bar(True), _bar("0.9"), _bar(min_cases=1e12)],
)
def test_cli_refuses_loosely_typed_drafts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: dict[str, object]
) -> None:
    db = tmp_path / "p.duckdb"
    store = seeded_store(db)
    path = tmp_path / "bar.json"
    path.write_text(json.dumps(document))
    code, _, err = run_cli(capsys, "--db", str(db), "--user", "priya", "bar", "draft", str(path))
    assert code == 2 and "bar.json: field " in err
    with store.read() as con:
        assert bar_versions.latest_bar(con) is None
