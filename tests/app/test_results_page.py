"""AppTest: the Results page shows the verdict, charts, per-tag cases and run-versus-run flips."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from helpers import seeded_store, write_cases
from streamlit.testing.v1 import AppTest
from test_shell import signed_in

from pilot.core.models import RetrievalSettings, SystemConfig
from pilot.core.store import Store
from pilot.define.bar_versions import save_draft, sign_bar
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion
from pilot.goldensets.versions import import_goldenset
from pilot.results.comparison import compare
from pilot.results.view import excerpt, finished_runs, p_value
from pilot.runs.record import result_rows
from pilot.runs.start import start_or_resume

PAGE = "views/results.py"
BAR = AcceptanceBar(
    criteria=(
        Criterion(metric="accuracy", threshold=0.5),
        Criterion(metric="abstain_rate_unanswerable", threshold=0.5, judged_on="point"),
        Criterion(metric="accuracy", threshold=0.5, scope="tag:numeric"),
    ),
    min_cases=10,
    when_unsure="abstain and route to HR",
)


def build(folder: Path, *, bar: str) -> tuple[Store, list[str]]:
    """Two offline runs that differ only in when they abstain, so some cases flip. `bar` is
    "none", "draft" or "signed"."""
    store = seeded_store(folder / "results.duckdb")
    import_goldenset(store, "priya", write_cases(folder / "cases.jsonl", 24), name="leave")
    if bar != "none":
        save_draft(store, "priya", BAR)
    if bar == "signed":
        sign_bar(store, "priya")
    runs = []
    for min_score in (0.0, 4.0):
        config = SystemConfig(retrieval=RetrievalSettings(min_score=min_score))
        runs.append(start_or_resume(store, "priya", goldenset="leave", config=config).run_id)
        time.sleep(0.01)
    return store, runs


@pytest.fixture(scope="module")
def exploratory(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[str]]:
    return build(tmp_path_factory.mktemp("exploratory"), bar="none")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[str]]:
    return build(tmp_path_factory.mktemp("signed"), bar="signed")


def open_page(store: Store, monkeypatch: pytest.MonkeyPatch, user: str = "dana") -> AppTest:
    monkeypatch.setenv("PILOT_DB", str(store.path))
    at = signed_in(user)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def open_view(at: AppTest, label: str) -> None:
    """Open one of the page's tabs, as a click on it does."""
    at.session_state["res_view"] = label
    at.run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs if t.children] == [label], "only the open view is built"


def frame(at: AppTest, column: str):
    """The first table on the page that has `column`."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_exploratory_run_says_so_and_still_shows_figures(
    exploratory: tuple[Store, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, runs = exploratory
    at = open_page(store, monkeypatch)
    assert [t.value for t in at.title] == ["Results"]
    assert at.selectbox(key="res_run").value == runs[-1]  # newest finished run by default
    assert any("EXPLORATORY" in w.value for w in at.warning)
    verdict = frame(at, "criterion")
    assert "Accuracy" in list(verdict["criterion"])
    assert set(verdict["threshold"]) >= {"no bar"}
    # one view at a time, and only the open one is built: the heatmap, not the history
    assert [t.label for t in at.tabs] == [
        "By tag",
        "Over time",
        "Citations, abstention and service levels",
        "Run versus run",
    ]
    assert [c.key for c in at.get("plotly_chart")] == ["res_chart_tags"]
    assert not [e for e in at.expander if e.label.endswith(", charted")]
    open_view(at, "Over time")
    assert [c.key for c in at.get("plotly_chart")] == ["res_chart_history"]
    # each section's bar chart and the change chart say what the tables beside them say, so
    # they are folded, and built only when opened
    open_view(at, "Citations, abstention and service levels")
    assert not at.get("plotly_chart")
    folds = [e for e in at.expander if e.label.endswith(", charted")]
    assert len(folds) >= 2  # at least two sections of rates
    for key in [f"res_fold_section_{i}" for i in range(4)]:
        at.session_state[key] = True
    at.run()
    assert not at.exception
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert len(titles) == len(folds), titles
    assert not any(e.value.startswith("**FAIL**") for e in at.error)
    service = next(
        d.value
        for d in at.dataframe
        if "Latency p95 (lower is better)" in list(d.value.get("metric", []))
    ).set_index("metric")
    assert service.loc["Latency p95 (lower is better)", "n"] == 24  # every case a live call
    assert service.loc["Cost per case (lower is better)", "value"] == "$0"  # offline: free
    assert service.loc["Infrastructure error rate (lower is better)", "value"] == "0%"


def test_run_versus_run_lists_the_flipped_cases(
    exploratory: tuple[Store, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, runs = exploratory
    with store.read() as con:
        expected = compare(con, runs[0], runs[1])
    assert expected.b + expected.c > 0, "the two runs should disagree on some case"
    at = open_page(store, monkeypatch)
    open_view(at, "Run versus run")
    assert at.selectbox(key="res_baseline").value == runs[0]
    # the change chart says what the deltas table says: folded, built only when opened
    assert [e.label for e in at.expander if e.label.endswith(", charted")] == [
        "The change in each measure, charted"
    ]
    assert not at.get("plotly_chart")
    at.session_state["res_fold_deltas"] = True
    at.run()
    assert [c.key for c in at.get("plotly_chart")] == ["res_chart_deltas"]
    flips = frame(at, "baseline answer")
    assert sorted(flips["case"]) == sorted(expected.flips["case_id"].to_list())
    assert set(flips["change"]) <= {"now wrong", "now right"}
    assert [m.value for m in at.metric] == [
        str(expected.b),
        str(expected.c),
        p_value(expected.p_value),
    ]
    deltas = frame(at, "measure")
    assert "Accuracy" in list(deltas["measure"])
    flipped = at.selectbox(key="res_flip").value
    question = next(
        q for c, q in zip(flips["case"], flips["question"], strict=True) if c == flipped
    )
    assert question in [t.value for t in at.text]
    assert any("<mark>" in m.value for m in at.markdown) or any(
        "abstain" in s.value for s in [*at.success, *at.error]
    )


def test_tag_filter_narrows_the_case_table(
    exploratory: tuple[Store, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, runs = exploratory
    at = open_page(store, monkeypatch)
    assert len(frame(at, "expected answer")) == 24
    at.multiselect(key="res_tags").select("unanswerable").run()
    assert not at.exception
    cases = frame(at, "expected answer")
    assert len(cases) == 6
    assert all("unanswerable" in list(tags) for tags in cases["tags"])
    at.selectbox(key="res_run").select(runs[0]).run()  # the older run keeps the filter
    assert not at.exception
    assert len(frame(at, "expected answer")) == 6
    # and so does a visit to another view and back
    open_view(at, "Run versus run")
    assert at.selectbox(key="res_baseline").value == runs[1]
    open_view(at, "By tag")
    assert at.multiselect(key="res_tags").value == ["unanswerable"]
    assert len(frame(at, "expected answer")) == 6


def test_other_measures_can_be_charted_over_time(
    exploratory: tuple[Store, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = exploratory
    at = open_page(store, monkeypatch)
    open_view(at, "Over time")
    at.selectbox(key="res_metric").select("citation_coverage").run()
    assert not at.exception
    (chart,) = at.get("plotly_chart")
    assert "Citation" in json.loads(chart.proto.spec)["layout"]["title"]["text"]


def test_signed_bar_gives_a_verdict_per_criterion(
    signed: tuple[Store, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = signed
    at = open_page(store, monkeypatch)
    assert not any("EXPLORATORY" in w.value for w in at.warning)
    banner = [*at.success, *at.error]
    assert any(b.value.startswith(("**PASS**", "**FAIL**")) for b in banner)
    verdict = frame(at, "criterion")
    scopes = list(zip(verdict["criterion"], verdict["measured on"], strict=True))
    with store.read() as con:
        rows = result_rows(con, finished_runs(con)[0]["run_id"])
    numeric = sum("numeric" in tags for tags in rows["tags"].to_list())
    assert ("Accuracy", f"all cases ({rows.height})") in scopes
    assert ("Accuracy", f"cases tagged 'numeric' ({numeric})") in scopes
    assert all(w[-1] == ")" for w in verdict["measured on"]), "every population has its count"
    assert "at least 50%" in list(verdict["threshold"])
    assert set(verdict["result"]) <= {"PASS", "FAIL", "FAIL (no cases)"}
    assert "Cases in the golden set" in list(verdict["criterion"])


def test_draft_bar_is_exploratory_but_shows_each_criterion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = build(tmp_path, bar="draft")
    at = open_page(store, monkeypatch)
    banner = next(w.value for w in at.warning if "EXPLORATORY" in w.value)
    assert "bar v1 (unsigned draft)" in banner
    verdict = frame(at, "criterion")
    assert "at least 50%" in list(verdict["threshold"])
    assert not any(b.value.startswith(("**PASS**", "**FAIL**")) for b in [*at.success, *at.error])


def test_excerpt_keeps_the_cited_lines_and_moves_the_spans() -> None:
    text = "# Policy\n\n" + "x" * 900 + "\nCarry over up to 5 days.\n" + "y" * 900 + "\nEnd."
    start = text.index("up to 5 days")
    shown, spans = excerpt(text, [(start, start + 12)])
    assert shown == "… Carry over up to 5 days. …"
    assert [shown[a:b] for a, b in spans] == ["up to 5 days"]
    assert excerpt(text, []) == (text, [])
    assert p_value(6.1e-05) == "< 0.001" and p_value(0.03125) == "0.031"


def test_results_page_lists_the_glossary_and_explains_its_terms(
    signed: tuple[Store, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pilot.results.glossary import GLOSSARY

    store, _ = signed
    at = open_page(store, monkeypatch)
    assert "Glossary" in [h.value for h in at.header]
    shown = " ".join(m.value for m in at.markdown)
    for term in ("Wilson interval", "McNemar", "95% lower bound", "p-value"):
        assert term in shown
    # one block, a paragraph per term
    (entries,) = [m.value for m in at.markdown if m.value.count("**: ") > 1]
    paragraphs = entries.split("\n\n")
    assert len(paragraphs) == len(GLOSSARY)
    assert all(p.startswith("**") and "**: " in p for p in paragraphs)
