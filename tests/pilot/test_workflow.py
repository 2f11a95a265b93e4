"""Workflow and data boundary: versions, no-op saves, audit events, permissions, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, seeded_store

from pilot.core import audit
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store
from pilot.define import workflow as wf

WORKFLOW = wf.Workflow(
    name="Answer benefits questions",
    process_owner="Omar Haddad",
    accountable_lead="Priya Shah",
    systems=("HR policy library",),
)


def test_each_save_is_a_new_version_and_identical_content_is_a_no_op(users_store: Store) -> None:
    first = wf.save_workflow(users_store, "priya", WORKFLOW, wf.DataBoundary())
    again = wf.save_workflow(users_store, "priya", WORKFLOW, wf.DataBoundary())
    assert again == first and first.version == 1
    boundary = wf.DataBoundary(restricted_fields=("salary", "health"))
    second = wf.save_workflow(users_store, "priya", WORKFLOW, boundary)
    assert second.version == 2 and second.content_hash != first.content_hash
    with users_store.read() as con:
        history = wf.workflow_history(con)
        current = wf.current_workflow(con)
        events = audit.events(con, action="workflow.")
        assert audit.verify(con).intact
    assert [h.version for h in history] == [2, 1]
    assert current is not None and current.boundary.restricted_fields == ("salary", "health")
    assert [(e.actor, e.object, e.payload["version"]) for e in events] == [
        ("priya", "workflow:v2", 2),
        ("priya", "workflow:v1", 1),
    ]
    assert events[0].payload["content_hash"] == second.content_hash


def test_hash_covers_workflow_and_boundary_and_is_stable() -> None:
    a = wf.workflow_hash(WORKFLOW, wf.DataBoundary())
    assert a == wf.workflow_hash(WORKFLOW.model_copy(), wf.DataBoundary())
    assert a != wf.workflow_hash(WORKFLOW, wf.DataBoundary(readable_sources=("x",)))


@pytest.mark.parametrize("user", ["marco", "dana", "sam", "ada", None])
def test_only_leads_may_save_and_a_denial_changes_nothing(
    users_store: Store, user: str | None
) -> None:
    with pytest.raises(PermissionDenied):
        wf.save_workflow(users_store, user, WORKFLOW, wf.DataBoundary())
    with users_store.read() as con:
        assert wf.current_workflow(con) is None
        assert audit.events(con)[0].action == "access.denied"


def test_boundary_rules() -> None:
    with pytest.raises(ValueError, match="graded against"):
        wf.DataBoundary(allowed_fields=("question", "expected_answer"))
    with pytest.raises(ValueError, match="must include 'question'"):
        wf.DataBoundary(allowed_fields=("sources",))
    with pytest.raises(ValueError, match="restricted field must never leave"):
        wf.DataBoundary(allowed_fields=("question", "salary"), restricted_fields=("salary",))
    b = wf.DataBoundary(
        readable_sources=("policies", "benefits-faq"),
        collections={"policies": ("annual-leave-*", "sick-pay-2025")},
    )
    assert b.may_read("annual-leave-2023") and b.may_read("sick-pay-2025")
    assert b.may_read("benefits-faq") and not b.may_read("payroll-2025")
    assert wf.DataBoundary().may_read("anything")


def test_document_errors_name_the_field() -> None:
    with pytest.raises(InputError, match=r"f\.json: workflow: field process_owner: Field required"):
        wf.parse_workflow_document({"workflow": {"name": "x", "accountable_lead": "p"}}, "f.json")
    bad_rule = {"redaction_rules": [{"name": "x", "pattern": "("}]}
    with pytest.raises(
        InputError, match=r"boundary: field redaction_rules\.0\.pattern: not a valid regular"
    ):
        wf.parse_workflow_document({"workflow": WORKFLOW.model_dump(), "boundary": bad_rule}, "f")
    with pytest.raises(InputError, match="field colour: unknown"):
        wf.parse_workflow_document({"workflow": {}, "colour": 1}, "f.json")


def test_form_document_drops_blank_rows_and_splits_lists() -> None:
    document = wf.form_document(
        workflow={**WORKFLOW.model_dump(), "systems": wf.parse_list("a, b\nc\n\n")},
        readable=["policies"],
        collections=[{"collection": "policies", "sources": "leave-*, faq"}, {"collection": None}],
        allowed=["question", "sources"],
        restricted=["salary"],
        rules=[
            {"name": "email", "pattern": r"\S+@\S+", "replacement": None, "check": None},
            {"name": None, "pattern": float("nan"), "replacement": None, "check": None},
        ],
        statement={"statement": "", "confirmed_by": "", "confirmed_at": "", "reference": ""},
    )
    workflow, boundary = wf.parse_workflow_document(document, "form")
    assert workflow.systems == ("a", "b", "c")
    assert boundary.collections == {"policies": ("leave-*", "faq")}
    assert [r.replacement for r in boundary.redaction_rules] == ["[REDACTED]"]
    assert boundary.provider_statement is None


def test_demo_workflow_is_seeded_once(users_store: Store) -> None:
    first = wf.seed_demo_workflow(users_store)
    second = wf.seed_demo_workflow(users_store)
    assert first == second
    assert first.workflow.process_owner == "Omar Haddad"
    assert first.boundary.provider_statement.confirmed_by == "Sam Okafor (security)"
    assert first.boundary.may_read("annual-leave-2025")


# --- CLI -----------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, *args)


def test_cli_set_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "p.duckdb")
    seeded_store(Path(db))
    code, out, err = run(capsys, "--db", db, "workflow", "show", "--json")
    assert code == 0 and json.loads(out) == {"version": None}
    path = tmp_path / "wf.json"
    path.write_text(
        json.dumps(
            {"workflow": WORKFLOW.model_dump(), "boundary": {"restricted_fields": ["salary"]}}
        )
    )
    code, out, _ = run(
        capsys, "--db", db, "--user", "priya", "workflow", "set", str(path), "--json"
    )
    assert code == 0 and json.loads(out)["version"] == 1
    code, out, _ = run(
        capsys, "--db", db, "--user", "priya", "workflow", "set", str(path), "--json"
    )
    assert code == 0 and json.loads(out)["version"] == 1  # no-op
    code, out, _ = run(capsys, "--db", db, "workflow", "show", "--json")
    shown = json.loads(out)
    assert shown["version"] == 1 and shown["boundary"]["restricted_fields"] == ["salary"]
    assert shown["workflow"]["process_owner"] == "Omar Haddad"
    code, out, _ = run(capsys, "--db", db, "workflow", "show")
    assert code == 0 and "Omar Haddad" in out


def test_cli_bad_input_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "p.duckdb")
    seeded_store(Path(db))
    path = tmp_path / "wf.json"
    path.write_text(json.dumps({"workflow": {"name": "x", "process_owner": "o"}}))
    code, _, err = run(capsys, "--db", db, "--user", "priya", "workflow", "set", str(path))
    assert code == 2 and "field accountable_lead" in err and "wf.json" in err
    path.write_text("{not json")
    code, _, err = run(capsys, "--db", db, "--user", "priya", "workflow", "set", str(path))
    assert code == 2 and "line 1" in err


def test_cli_denied_exits_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "p.duckdb")
    seeded_store(Path(db))
    path = tmp_path / "wf.json"
    path.write_text(json.dumps({"workflow": WORKFLOW.model_dump()}))
    code, _, err = run(capsys, "--db", db, "--user", "dana", "workflow", "set", str(path))
    assert code == 4 and "may not edit the workflow" in err
