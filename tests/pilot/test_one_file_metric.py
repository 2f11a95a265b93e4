"""A metric added in one new file (tests/plugin_metric.py) shows up everywhere a metric is
shown: the bar editor, the verdict's direction, chart labels, per-tag slices, `pilot run
--json` and the Results page. Nothing else is edited."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import PASSWORD, run_cli, seeded_store, write_cases
from streamlit.testing.v1 import AppTest

from metrics.registry import metric_names, unregister
from metrics.slices import per_tag
from pilot.core.store import Store
from pilot.define import criteria
from pilot.define.bar_versions import bar_version, save_draft, sign_bar
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion
from pilot.define.verdicts import judge
from pilot.goldensets.versions import import_goldenset
from pilot.results.chart_style import label
from pilot.results.tag_heatmap import tag_heatmap
from pilot.runs.record import result_rows, run_frames

NAME = "long_answer_rate"
APP = Path(__file__).resolve().parents[2] / "app"
BAR_PAGE = str(APP / "views" / "bar.py")


def signed_in(name: str) -> AppTest:
    at = AppTest.from_file(str(APP / "main.py"), default_timeout=30).run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    return at


@pytest.fixture
def plugin() -> Iterator[None]:
    module = importlib.import_module("plugin_metric")
    importlib.reload(module)  # (re)registers it, whatever an earlier test did
    yield
    unregister(NAME)


def by_hand(rows: list[dict]) -> tuple[int, int]:
    answered = [r for r in rows if not r["abstained"] and r["error"] is None]
    return sum(len(r["answer"] or "") > 50 for r in answered), len(answered)


@pytest.fixture
def db(tmp_path: Path, plugin: None) -> Store:
    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 30), name="leave")
    bar = AcceptanceBar(
        criteria=(Criterion(metric=NAME, threshold=0.5, judged_on="point"),),
        min_cases=10,
        when_unsure="abstain",
    )
    save_draft(store, "priya", bar)
    sign_bar(store, "priya")
    return store


def run_json(store: Store, capsys: pytest.CaptureFixture[str]) -> dict:
    args = ["--db", str(store.path), "--user", "priya", "run", "--goldenset", "leave", "--json"]
    _, out, err = run_cli(capsys, *args, "--system", "offline")
    assert out, err
    return json.loads(out)


def test_registered_in_one_file_it_is_everywhere(
    db: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert NAME in metric_names()
    assert criteria.metric_choices()[NAME] == "Long answers"  # the bar editor's list
    assert label(NAME) == "Long answers (lower is better)"  # chart labels, table rows

    report = run_json(db, capsys)  # `pilot run --json`
    with db.read() as con:
        rows = result_rows(con, report["run_id"]).to_dicts()
        frames = run_frames(con, report["run_id"])
        version = bar_version(con, 1)
    k, n = by_hand(rows)
    assert 0 < k < n  # the figure is not trivially 0 or 1
    assert report["metrics"][NAME]["n"] == n
    assert report["metrics"][NAME]["value"] == pytest.approx(k / n)

    (criterion,) = judge(frames, version).criteria  # verdict direction from the registration
    assert criterion.direction == "at_most" and criterion.passed == (k / n <= 0.5)
    assert report["verdict"]["criteria"][0]["direction"] == "at_most"

    slices = per_tag(frames.results)  # per-tag slices
    numeric = slices.filter((slices["tag"] == "numeric") & (slices["metric"] == NAME))
    tagged = [r for r in rows if "numeric" in r["tags"]]
    assert (numeric["k"].item(), numeric["n"].item()) == by_hand(tagged)
    heatmap = tag_heatmap(slices)
    assert "Long answers" in " ".join(heatmap.data[0].x).replace("\n", " ")


def test_the_bar_editor_offers_it(db: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOT_DB", str(db.path))
    at = AppTest.from_file(BAR_PAGE, default_timeout=30)
    at.session_state["auth_user"] = "priya"
    at.session_state["auth_role"] = "lead"
    at.run()
    assert not at.exception, at.exception
    metric_box = next(s for s in at.selectbox if str(s.key).startswith("bar_c_metric_"))
    assert metric_box.value == NAME and "Long answers" in metric_box.options


def test_the_results_page_shows_it(
    db: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_json(db, capsys)
    monkeypatch.setenv("PILOT_DB", str(db.path))
    at = signed_in("dana")
    at.switch_page("views/results.py").run()
    assert not at.exception, at.exception
    verdict = next(d.value for d in at.dataframe if "criterion" in d.value.columns)
    assert "Long answers (lower is better)" in verdict["criterion"].to_list()
    at.session_state["res_view"] = "Over time"  # the page's tabs: one view built at a time
    at.run()
    assert "Long answers (lower is better)" in next(
        s.options for s in at.selectbox if s.key == "res_metric"
    )
    # its section's table (the section's chart is folded, built only when opened)
    at.session_state["res_view"] = "Citations, abstention and service levels"
    at.run()
    assert not at.exception, at.exception
    assert "Other measures" in [h.value for h in at.subheader]
    assert any(
        "Long answers (lower is better)" in d.value["metric"].to_list()
        for d in at.dataframe
        if "metric" in d.value.columns
    )
