"""A lead edits one case: a new version, validated and audited like an import; the old version
is untouched; a bad edit names the problem and stores nothing (issue 10, item 10)."""

from __future__ import annotations

import pytest
from test_goldensets import good_cases, jsonl, snapshot, template, users_store  # noqa: F401

from pilot.core import audit
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store
from pilot.goldensets import versions as gs
from pilot.goldensets.edit import edit_case


def test_editing_one_case_makes_a_new_audited_version(users_store: Store) -> None:  # noqa: F811
    first = gs.import_goldenset(users_store, "priya", jsonl(good_cases()), name="benefits")
    result = edit_case(
        users_store, "priya", first.version, "c-002", {"expected_answer": "22 working days"}
    )
    assert result.created and result.version != first.version and result.name == "benefits"
    with users_store.read() as con:
        old = {c.id: c for c in gs.load_cases(con, first.version)}
        new = {c.id: c for c in gs.load_cases(con, result.version)}
        diff = gs.diff_versions(con, first.version, result.version)
        events = sorted(
            (e for e in audit.events(con) if e.action == "goldenset.import"), key=lambda e: e.seq
        )
    assert old["c-002"].expected_answer == "22 days"  # the old version is never edited
    assert new["c-002"].expected_answer == "22 working days"
    assert {k: v for k, v in new.items() if k != "c-002"} == {
        k: v for k, v in old.items() if k != "c-002"
    }
    assert [(r["case"], r["field"], r["before"], r["after"]) for r in diff.rows()] == [
        ("c-002", "expected answer", "22 days", "22 working days")
    ]
    assert events[-1].actor == "priya"
    assert events[-1].payload["version"] == result.version
    assert events[-1].payload["source_file"].startswith("edit of case c-002 in version")
    # editing it back is the first version again: nothing new
    again = edit_case(users_store, "priya", result.version, "c-002", {"expected_answer": "22 days"})
    assert again.version == first.version and not again.created


def test_a_bad_edit_names_the_problem_and_stores_nothing(users_store: Store) -> None:  # noqa: F811
    first = gs.import_goldenset(users_store, "priya", jsonl(good_cases()), name="benefits")
    before = snapshot(users_store)
    with pytest.raises(gs.GoldenSetInvalid) as caught:
        edit_case(users_store, "priya", first.version, "c-001", {"evidence": ["Not in the text."]})
    problem = caught.value.report.errors[0]
    assert problem.field == "evidence[0]" and "not found verbatim" in problem.message
    assert snapshot(users_store) == before
    with pytest.raises(InputError, match="cannot edit sources"):
        edit_case(users_store, "priya", first.version, "c-001", {"sources": []})
    with pytest.raises(InputError, match="no case 'c-999'"):
        edit_case(users_store, "priya", first.version, "c-999", {"question": "?"})
    assert snapshot(users_store) == before
    with pytest.raises(PermissionDenied):
        edit_case(users_store, "dana", first.version, "c-001", {"question": "Changed?"})
    after = snapshot(users_store)  # only the refusal is recorded
    assert after["golden_cases"] == before["golden_cases"]
    assert after["audit_events"] == before["audit_events"] + 1
