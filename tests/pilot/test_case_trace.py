"""The per-case trace (issue 10, item 7): the request the Runs page shows is exactly the one the
API received (checked against the stub's own log), redacted by the boundary, with tokens,
latency, cost and only the cited passages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import seeded_store
from pydantic import SecretStr
from stub_messages_api import MessagesStub

from pilot.core.models import RetrievalSettings, SystemConfig
from pilot.core.store import Store
from pilot.define.workflow import DataBoundary, Workflow, save_workflow
from pilot.goldensets.versions import import_goldenset
from pilot.runs.execute import RunOptions
from pilot.runs.prices import usage_cost
from pilot.runs.start import start_or_resume
from pilot.runs.systems.connection import Connection
from pilot.runs.trace import case_trace

POLICY = "Employees receive 25 days of annual leave each year."
PRIVATE = "Write to jane.doe@example.com about a salary of £42,000."


def cases() -> list[dict]:
    return [
        {
            "id": f"c-{i}",
            "question": f"Question {i}: how many days of annual leave? Ask jane.doe@example.com",
            "sources": [
                {"id": "leave", "title": "Leave policy", "text": f"{POLICY} {PRIVATE}"},
                {"id": "travel", "title": "Travel policy", "text": "Book trains early."},
            ],
            "expected_answer": "25 days",
            "evidence": [POLICY],
        }
        for i in range(3)
    ]


@pytest.fixture
def db(tmp_path: Path) -> Store:
    store = seeded_store(tmp_path / "pilot.duckdb")
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases()))
    import_goldenset(store, "priya", path, name="leave")
    workflow = Workflow(name="Leave", process_owner="Omar", accountable_lead="Priya")
    boundary = DataBoundary(allowed_fields=("question", "sources"), restricted_fields=("salary",))
    save_workflow(store, "priya", workflow, boundary)
    return store


def test_trace_shows_exactly_the_redacted_request_the_api_received(db: Store) -> None:
    with MessagesStub() as stub:
        outcome = start_or_resume(
            db,
            "priya",
            goldenset="leave",
            config=SystemConfig(kind="anthropic", model="claude-sonnet-4-6"),
            options=RunOptions(concurrency=2, backoff_base=0.01, backoff_cap=0.05),
            connection=Connection(api_key=SecretStr("sk-ant-test-0000"), base_url=stub.base_url),
        )
        bodies = stub.message_bodies()
    assert outcome.status == "finished"
    by_question = {b["messages"][0]["content"][-1]["text"]: b for b in bodies}
    # the boundary changes afterwards: the trace still finds the version that sent the case
    save_workflow(
        db,
        "priya",
        Workflow(name="Leave", process_owner="Omar", accountable_lead="Priya"),
        DataBoundary(allowed_fields=("question", "sources")),
    )
    with db.read() as con:
        rows = con.execute(
            "SELECT case_id, input_tokens, output_tokens, model, citations FROM results"
        ).fetchall()
        traces = {r[0]: case_trace(con, outcome.run_id, r[0]) for r in rows}
    for case_id, tokens_in, tokens_out, model, citations in rows:
        trace = traces[case_id]
        assert trace is not None and trace.exact
        assert trace.boundary == "sent under data boundary version 1"
        question = trace.request["messages"][0]["content"][-1]["text"]
        assert trace.request == by_question[question]  # byte for byte what the API got
        sent = json.dumps(trace.request)
        assert "jane.doe@example.com" not in sent and "42,000" not in sent
        assert trace.redactions >= 2
        assert (trace.input_tokens, trace.output_tokens) == (tokens_in, tokens_out)
        assert trace.cost_usd == usage_cost(model, tokens_in, tokens_out)
        assert trace.system == "Claude claude-sonnet-4-6 · top 3 passages"
        cited_ids = {c["source_id"] for c in json.loads(citations)}
        assert {p.source_id for p in trace.cited} == cited_ids
        for passage in trace.cited:
            for start, end in passage.spans:
                assert passage.text[start:end]  # spans index the golden set's own text
    with db.read() as con:
        assert case_trace(con, outcome.run_id, "no-such-case") is None


def test_offline_trace_is_exact_and_names_passages_not_offered(db: Store) -> None:
    save_workflow(
        db,
        "priya",
        Workflow(name="Leave", process_owner="Omar", accountable_lead="Priya"),
        DataBoundary(
            allowed_fields=("question", "sources"),
            restricted_fields=("salary",),
            readable_sources=("leave",),
        ),
    )
    config = SystemConfig(retrieval=RetrievalSettings(top_k=1, min_score=1.0))
    outcome = start_or_resume(db, "priya", goldenset="leave", config=config)
    with db.read() as con:
        trace = case_trace(con, outcome.run_id, "c-0")
    assert trace is not None and trace.exact and trace.request is not None
    assert trace.system == "Offline baseline · top 1 passage"
    offered = {p.source_id: p.offered for p in trace.passages}
    assert offered == {"leave": True, "travel": False}
    assert [s["id"] for s in trace.request["sources"]] == ["leave"]
