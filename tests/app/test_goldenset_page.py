"""AppTest: the Golden set page imports (leads only), reports problems, shows cases and evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import PASSWORD, seeded_store
from streamlit.testing.v1 import AppTest

from pilot.core.store import Store
from pilot.goldensets import versions as gs

APP = Path(__file__).resolve().parents[2] / "app"
MAIN = str(APP / "main.py")
PAGE = str(APP / "views" / "goldenset.py")


def case(i: int, **changes: Any) -> dict[str, Any]:
    record = {
        "id": f"c-{i:03d}",
        "question": f"How many days of leave do grade {i} staff get?",
        "sources": [
            {
                "id": "policy-1",
                "title": "Leave policy",
                "text": f"Intro.\n\nGrade {i} staff get {20 + i} days of leave. Ask first.",
            }
        ],
        "expected_answer": f"{20 + i} days",
        "answerable": True,
        "evidence": [f"Grade {i} staff get {20 + i} days of leave."],
        "tags": ["numeric"] if i % 2 else ["ugly"],
        "consequential": False,
    }
    record.update(changes)
    return record


def jsonl(records: list[Any]) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records).encode() + b"\n"


GOOD = jsonl([case(1), case(2), case(3, expected_answer=None, answerable=False, evidence=[])])
BAD = jsonl([case(1), case(2, evidence=["Grade 2 staff get 99 days."]), "{broken"])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "app.duckdb"
    seeded_store(path)
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    shutil.copy(template, tmp_path / "app.duckdb")
    shutil.copy(f"{template}.key", tmp_path / "app.duckdb.key")
    monkeypatch.setenv("PILOT_DB", str(tmp_path / "app.duckdb"))
    return Store(tmp_path / "app.duckdb")


def page_as(name: str, role: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["auth_user"] = name
    at.session_state["auth_role"] = role
    return at.run()


def upload(at: AppTest, filename: str, data: bytes, name: str = "") -> AppTest:
    at.file_uploader(key="gs_upload").set_value((filename, data, "application/octet-stream"))
    at.run()
    at.text_input(key="gs_name").input(name)
    at.button(key="gs_import").click().run()
    assert not at.exception, at.exception
    return at


def versions(db: Store) -> int:
    with db.read() as con:
        return con.execute("SELECT count(*) FROM goldenset_versions").fetchone()[0]


def test_lead_uploads_bad_file_and_sees_every_problem(db: Store) -> None:
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    at.text_input(key="signin_name").input("priya")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    at.switch_page("views/goldenset.py").run()
    upload(at, "cases.jsonl", BAD, "benefits")
    assert "2 problems in cases.jsonl: nothing was imported" in at.error[0].value
    table = at.table[0].value
    assert list(table["line / row"]) == [2, 3]
    assert list(table["field"]) == ["evidence[0]", ""]
    assert "not found verbatim in any source of case c-002" in table["problem"][0]
    assert versions(db) == 0
    assert "No golden set imported yet" in at.info[0].value


def test_lead_imports_good_file_then_reimport_is_a_noop(db: Store) -> None:
    at = upload(page_as("priya", "lead"), "benefits.jsonl", GOOD)
    with db.read() as con:
        version = gs.latest_version(con, "benefits")  # name defaulted from the file name
    assert version and at.success[0].value.startswith(f"Imported benefits: version {version[:16]}")
    assert at.selectbox(key="gs_set").value == "benefits"
    assert at.selectbox(key="gs_version_benefits").value == version
    assert [m.value for m in at.metric][:2] == ["3", "33%"]
    assert len(at.dataframe[0].value) == 3
    at.button(key="gs_import").click().run()
    assert "Already imported" in at.info[0].value and versions(db) == 1


def test_viewer_sees_cases_but_no_upload(db: Store) -> None:
    gs.import_goldenset(db, "priya", GOOD, name="benefits")
    at = page_as("dana", "viewer")
    assert not at.exception
    assert len(at.get("file_uploader")) == 0
    assert not [b for b in at.button if "Import" in str(b.label)]
    assert not [b for b in at.button if "agreement" in str(b.label)]
    assert at.selectbox(key="gs_set").value == "benefits"
    assert "Nobody has agreed" in at.warning[0].value


def test_case_view_highlights_evidence_and_renders_text_inert(db: Store) -> None:
    hostile = case(
        4,
        question="<script>alert(1)</script> how long?",
        sources=[{"id": "p", "title": "<b>T</b>", "text": "<i>x</i> Grade 4 rule applies."}],
        evidence=["Grade 4 rule applies."],
    )
    gs.import_goldenset(db, "priya", jsonl([case(1), hostile]), name="benefits")
    at = page_as("dana", "viewer")
    at.selectbox(key="gs_case").select("c-004").run()
    html = "\n".join(m.value for m in at.markdown)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>Grade 4 rule applies.</mark>" in html and "&lt;i&gt;x&lt;/i&gt;" in html
    assert "&lt;b&gt;T&lt;/b&gt;" in html
    at.multiselect(key="gs_tags").select("ugly").run()
    assert list(at.dataframe[0].value["id"]) == ["c-004"]
    assert not at.exception


def test_a_source_with_nothing_highlighted_is_folded_until_opened(db: Store) -> None:
    """Its text is built only when opened: a folded expander's contents are otherwise sent to
    the browser and drawn, hidden (issue 10, item 11)."""
    import hashlib

    other = {"id": "faq", "title": "FAQ", "text": "Unrelated question about parking permits."}
    two = case(5, sources=[*case(5)["sources"], other])
    gs.import_goldenset(db, "priya", jsonl([two]), name="benefits")
    at = page_as("dana", "viewer")
    labels = [e.label for e in at.expander]
    assert "Source 1 of 2 · 1 highlighted passage" in labels
    assert "Source 2 of 2 · 0 highlighted passages" in labels
    html = "\n".join(m.value for m in at.markdown)
    assert "<mark>Grade 5 staff get 25 days of leave.</mark>" in html  # the cited one: open
    assert "parking permits" not in html  # the other: folded, not built
    version = at.selectbox(key="gs_version_benefits").value
    fold = hashlib.blake2b(f"{version}/c-005".encode(), digest_size=6).hexdigest()
    at.session_state[f"gs_source_{fold}_2"] = True
    at.run()
    assert not at.exception
    assert "parking permits" in "\n".join(m.value for m in at.markdown)


def test_filter_agreement_history_and_diff(db: Store) -> None:
    first = gs.import_goldenset(db, "priya", GOOD, name="benefits")
    second = gs.import_goldenset(
        db,
        "priya",
        jsonl([case(1, expected_answer="21 working days"), case(2), case(4)]),
        name="benefits",
    )
    at = page_as("priya", "lead")
    assert at.selectbox(key="gs_version_benefits").value == second.version
    at.multiselect(key="gs_tags").select("ugly").run()
    assert list(at.dataframe[0].value["id"]) == ["c-002", "c-004"]
    at.text_input(key="gs_agreed_by").input("Omar Haddad, process owner")
    at.button(key="FormSubmitter:gs_agree_form-Record agreement").click().run()
    assert "agreed by Omar Haddad, process owner" in at.success[0].value
    history = at.dataframe[1].value
    assert list(history["version"]) == [second.short, first.short]
    assert history["agreed by"][0] == "Omar Haddad, process owner"
    diff = at.dataframe[2].value
    assert sorted(zip(diff["case"], diff["change"], strict=True)) == [
        ("c-001", "changed"),
        ("c-003", "removed"),
        ("c-004", "added"),
    ]


def test_planner_says_whether_the_golden_set_is_big_enough(db: Store) -> None:
    from pilot.define.bar_versions import save_draft
    from pilot.define.bars import AcceptanceBar
    from pilot.define.criteria import Criterion

    gs.import_goldenset(db, "priya", GOOD, name="benefits")
    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.9, judged_on="lower_bound"),),
        min_cases=1,
        when_unsure="abstain",
    )
    save_draft(db, "priya", bar)
    at = page_as("dana", "viewer")
    assert not at.exception, at.exception
    (table,) = [d.value for d in at.dataframe if "needed (80% chance)" in d.value.columns]
    # 217 cases give a system truly at 95% an 80% chance of clearing 90% on the lower bound
    # (checked against a brute-force binomial sum in tests/metrics/test_planner.py); the small
    # test set has 3 cases, on which no result can clear the bound.
    assert table["needed (80% chance)"].tolist() == [217]
    assert table["enough"].tolist() == ["NO"]
    assert table["chance with it"].tolist() == ["0%"]
    with db.read() as con:
        n = con.execute("SELECT n_cases FROM goldenset_versions").fetchone()[0]
    assert table["it has"].tolist() == [n] and table["add about"].tolist() == [217 - n]
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "**217 cases needed**" in text
    assert f"The golden set has {n} cases: too few to pass at all" in text
    assert not at.get("plotly_chart")  # drawn on request
    at.toggle(key="gs_plan_charts").set_value(True).run()
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert [s["layout"]["title"]["text"] for s in specs] == [
        "Chance of passing, by the system's true rate",
        "Chance of passing, by the number of cases",
    ]
    by_rate = {t["name"]: t for t in specs[0]["data"]}
    assert set(by_rate) == {f"golden set: {n} cases", "recommended: 217 cases"}
    assert max(by_rate[f"golden set: {n} cases"]["y"]) == 0.0
    # a better expected rate shrinks the plan: at 99%, 53 cases
    at.number_input(key="gs_plan_expected_benefits_0").set_value(99.0).run()
    assert "**53 cases needed**" in "\n".join(str(m.value) for m in at.markdown)


def test_an_error_speaks_the_apps_words_not_the_clis(db: Store) -> None:
    """Issue 10 item 8: a bad name is refused in the app's words (the CLI says `--name`)."""
    from pilot.core.errors import speaks_cli

    at = upload(page_as("priya", "lead"), "benefits.jsonl", GOOD, "bad name!")
    shown = [e.value for e in at.error]
    assert any("golden set name" in text for text in shown), shown
    assert not any(speaks_cli(text.replace("\\", "")) for text in shown), shown
    assert versions(db) == 0


def test_lead_edits_one_case_into_a_new_version(db: Store) -> None:
    """Issue 10 item 10: edit a case in the app; the diff shows the old and the new value."""
    first = gs.import_goldenset(db, "priya", GOOD, name="benefits")
    at = page_as("priya", "lead")
    at.selectbox(key="gs_case").select("c-001").run()
    at.text_area(key="gs_edit_c-001_expected").input("21 working days")
    at.button(key="FormSubmitter:gs_edit_c-001_form-Save as a new version").click().run()
    assert not at.exception, at.exception
    with db.read() as con:
        newest = gs.latest_version(con, "benefits")
    assert newest != first.version
    assert any("Saved case c-001 as new version" in s.value for s in at.success)
    assert at.selectbox(key="gs_version_benefits").value == newest
    diff = at.dataframe[-1].value
    assert list(zip(diff["field"], diff["before"], diff["after"], strict=True)) == [
        ("expected answer", "21 days", "21 working days")
    ]
    # a bad edit (evidence not in the sources) is refused and names the field
    at.selectbox(key="gs_case").select("c-002").run()
    at.text_area(key="gs_edit_c-002_evidence").input("Not in any source.")
    at.button(key="FormSubmitter:gs_edit_c-002_form-Save as a new version").click().run()
    assert any("Not saved" in e.value for e in at.error)
    with db.read() as con:
        assert gs.latest_version(con, "benefits") == newest


def test_viewer_cannot_edit_a_case(db: Store) -> None:
    gs.import_goldenset(db, "priya", GOOD, name="benefits")
    at = page_as("dana", "viewer")
    assert not [f for f in at.get("form")] and not at.text_area
