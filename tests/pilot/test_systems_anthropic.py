"""AnthropicSystem through the real SDK against the local Messages API stub."""

from __future__ import annotations

import asyncio
import email.utils
import time
import traceback
from typing import Any

import anthropic
import pytest
from stub_messages_api import MessagesStub, char_citation, documents, sha256, text_block

from pilot.core.models import Source, SystemConfig, SystemOutput, SystemRequest
from pilot.runs.systems.anthropic import (
    ABSTAIN_TOKEN,
    DEFAULT_MODEL,
    AnthropicSystem,
    estimate_cost,
    parse_message,
    request_payload,
    sent_sources,
    system_prompt,
)
from pilot.runs.systems.base import PermanentError, TransientError
from pilot.runs.systems.connection import Connection

API_KEY = "sk-ant-test-4f1d0c9e-do-not-leak"
CONFIG = SystemConfig(kind="anthropic", model="claude-sonnet-4-6", max_tokens=400)
POLICY = Source(
    id="policy-4",
    title="Leave policy",
    text="Staff get 25 days’ annual leave. Unused days expire on 31 March. Ask HR first.",
)
HANDBOOK = Source(id="handbook", title="", text="Expense claims are paid monthly — on the 28th.")
REQUEST = SystemRequest(
    case_id="c-1", question="How many days of annual leave?", sources=(POLICY, HANDBOOK)
)


def make(stub: MessagesStub, config: SystemConfig = CONFIG, **kw: Any) -> AnthropicSystem:
    kw.setdefault("api_key", API_KEY)
    return AnthropicSystem(config, Connection(base_url=stub.base_url, **kw))


def answer(system: AnthropicSystem, request: SystemRequest = REQUEST) -> SystemOutput:
    return asyncio.run(system.answer(request))


def failure(system: AnthropicSystem, request: SystemRequest = REQUEST) -> Exception:
    with pytest.raises((TransientError, PermanentError)) as caught:
        answer(system, request)
    return caught.value


def assert_valid(output: SystemOutput, sources: tuple[Source, ...]) -> None:
    texts = {s.id: s.text for s in sources}
    for citation in output.citations:
        assert texts[citation.source_id][citation.start : citation.end] == citation.cited_text


def test_citations_become_claims_and_records(messages_stub: MessagesStub) -> None:
    output = answer(make(messages_stub))
    assert not output.abstained
    assert output.answer == "Staff get 25 days’ annual leave."
    assert output.claims == ("Staff get 25 days’ annual leave.",)
    (citation,) = output.citations
    assert (citation.source_id, citation.start, citation.end, citation.claim) == (
        "policy-4",
        0,
        32,
        0,
    )
    assert_valid(output, REQUEST.sources)
    assert output.model == "claude-sonnet-4-6"
    assert output.stop_reason == "end_turn"
    assert output.input_tokens > 0 and output.output_tokens > 0
    expected_cost = (output.input_tokens * 3 + output.output_tokens * 15) / 1_000_000
    assert output.cost_usd == pytest.approx(expected_cost)


def test_model_returned_is_recorded_not_the_one_asked(messages_stub: MessagesStub) -> None:
    messages_stub.model = "claude-sonnet-4-6-20260101"
    assert answer(make(messages_stub)).model == "claude-sonnet-4-6-20260101"


def test_body_sent_is_exactly_request_payload(messages_stub: MessagesStub) -> None:
    request = REQUEST.model_copy(update={"fields": {"team": "Ops", "grade": "B"}})
    answer(make(messages_stub), request)
    (body,) = messages_stub.message_bodies()
    assert body == request_payload(CONFIG, request)
    content = body["messages"][0]["content"]
    assert [block["type"] for block in content] == ["document", "document", "text"]
    assert content[0] == {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": POLICY.text},
        "title": "Leave policy",
        "citations": {"enabled": True},
    }
    assert content[1]["title"] == "Source 2"  # an empty title: its position, never the id
    assert content[2]["text"] == f"{REQUEST.question}\n\ngrade: B\nteam: Ops"
    assert ABSTAIN_TOKEN in body["system"]
    assert "temperature" not in body


def test_prompt_template_keeps_the_abstention_instruction() -> None:
    custom = CONFIG.model_copy(update={"prompt_template": "Answer as an HR officer."})
    assert system_prompt(custom).startswith("Answer as an HR officer.")
    assert ABSTAIN_TOKEN in system_prompt(custom)
    assert ABSTAIN_TOKEN in system_prompt(CONFIG)


def test_offline_default_model_resolves_to_claude() -> None:
    assert request_payload(SystemConfig(kind="anthropic"), REQUEST)["model"] == DEFAULT_MODEL


def test_abstention_is_detected(messages_stub: MessagesStub) -> None:
    request = REQUEST.model_copy(update={"question": "Who founded Rome?"})
    output = answer(make(messages_stub), request)
    assert output.abstained and output.answer == ABSTAIN_TOKEN
    assert output.claims == () and output.citations == ()

    messages_stub.responder = lambda body: [text_block(f"Sorry —\n {ABSTAIN_TOKEN}. \n")]
    output = answer(make(messages_stub))
    assert output.abstained and output.citations == ()


def test_blocks_are_split_into_sentence_claims(messages_stub: MessagesStub) -> None:
    def responder(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            text_block("According to the policy, "),
            text_block("staff get 25 days", [char_citation(body, 0, 0, 32)]),
            text_block(". Unused days expire on 31 March, and claims are paid monthly.", []),
            text_block(" ", None),
            text_block(
                "Claims are paid on the 28th. Ask HR first.",
                [char_citation(body, 1, 0, 46), char_citation(body, 0, 65, 78)],
            ),
            text_block(" I hope this helps."),
        ]

    messages_stub.responder = responder
    output = answer(make(messages_stub))
    assert output.claims == (
        "According to the policy, staff get 25 days.",
        "Unused days expire on 31 March, and claims are paid monthly.",
        "Claims are paid on the 28th.",
        "Ask HR first.",
        "I hope this helps.",
    )
    assert [(c.claim, c.source_id) for c in output.citations] == [
        (0, "policy-4"),
        (2, "handbook"),
        (2, "policy-4"),
        (3, "handbook"),
        (3, "policy-4"),
    ]
    assert_valid(output, REQUEST.sources)


def test_offsets_are_reanchored_when_they_do_not_match(messages_stub: MessagesStub) -> None:
    emoji = Source(id="e", text="🚗 Mileage: 45p a mile. 🚗 Parking: free.")
    start = emoji.text.index("Parking")
    end = start + len("Parking: free.")

    def responder(body: dict[str, Any]) -> list[dict[str, Any]]:
        # offsets counted in UTF-16 units: each 🚗 before the span counts twice
        utf16 = char_citation(body, 0, start, end) | {
            "start_char_index": start + 2,
            "end_char_index": end + 2,
        }
        invented = char_citation(body, 0, 0, 5) | {"cited_text": "not in the text"}
        return [text_block("Parking is free.", [utf16, invented])]

    messages_stub.responder = responder
    request = SystemRequest(case_id="c", question="parking?", sources=(emoji,))
    shifted, invented = answer(make(messages_stub), request).citations
    assert (shifted.start, shifted.end, shifted.cited_text) == (start, end, "Parking: free.")
    assert (invented.start, invented.end) == (0, 5)  # kept as returned: it counts as invalid


def test_empty_sources_are_not_sent_and_indices_still_map(messages_stub: MessagesStub) -> None:
    empty = Source(id="empty", text="  \n")
    request = REQUEST.model_copy(update={"sources": (empty, POLICY)})
    output = answer(make(messages_stub), request)
    (body,) = messages_stub.message_bodies()
    assert len(documents(body)) == 1
    assert output.citations[0].source_id == "policy-4"


def test_a_citation_of_an_unsent_document_is_a_permanent_error(
    messages_stub: MessagesStub,
) -> None:
    def responder(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [text_block("x", [dict(char_citation(body, 0, 0, 5), document_index=7)])]

    messages_stub.responder = responder
    error = failure(make(messages_stub))
    assert isinstance(error, PermanentError) and "document 7" in str(error)


@pytest.mark.parametrize(
    ("kind", "kwargs", "status", "retry_after"),
    [
        ("rate_limit", {"retry_after": 7}, 429, 7.0),
        ("rate_limit", {"retry_after": "0.25"}, 429, 0.25),
        ("overloaded", {}, 529, None),
        ("server_error", {"retry_after": 2}, 500, 2.0),
        ("timeout", {"hang_seconds": 120}, None, None),  # released when the stub stops
    ],
)
def test_retryable_faults_are_transient(
    messages_stub: MessagesStub,
    kind: str,
    kwargs: dict[str, Any],
    status: int | None,
    retry_after: float | None,
) -> None:
    messages_stub.fail(kind, **kwargs)
    error = failure(make(messages_stub, timeout=0.5))
    assert isinstance(error, TransientError)
    # a timeout has no status: had the client waited out the hang, it would read the 504
    assert (error.status, error.retry_after) == (status, retry_after)
    assert not answer(make(messages_stub)).abstained  # the fault was used up


@pytest.mark.parametrize(
    ("kind", "status"), [("bad_request", 400), ("auth", 401), ("not_found", 404)]
)
def test_other_api_errors_are_permanent(
    messages_stub: MessagesStub, kind: str, status: int
) -> None:
    messages_stub.fail(kind)
    error = failure(make(messages_stub))
    assert isinstance(error, PermanentError)
    assert str(status) in str(error)


def test_retry_after_forms(messages_stub: MessagesStub) -> None:
    messages_stub.fail_with(429, "rate_limit_error", headers={"retry-after-ms": "1500"})
    assert failure(make(messages_stub)).retry_after == 1.5
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    messages_stub.fail_with(503, "api_error", headers={"retry-after": when})
    error = failure(make(messages_stub))
    assert isinstance(error, TransientError) and error.status == 503
    assert 25 < error.retry_after <= 31


def test_x_should_retry_header_wins(messages_stub: MessagesStub) -> None:
    messages_stub.fail_with(500, "api_error", headers={"x-should-retry": "false"})
    assert isinstance(failure(make(messages_stub)), PermanentError)
    messages_stub.fail_with(400, "invalid_request_error", headers={"x-should-retry": "true"})
    assert isinstance(failure(make(messages_stub)), TransientError)


def test_connection_refused_is_transient() -> None:
    with MessagesStub() as stub:
        base_url = stub.base_url
    system = AnthropicSystem(CONFIG, Connection(api_key=API_KEY, base_url=base_url, timeout=2))
    assert isinstance(failure(system), TransientError)


def exception_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + repr(vars(error))


def test_api_key_never_leaks(messages_stub: MessagesStub) -> None:
    output = answer(make(messages_stub))
    system = make(messages_stub, timeout=0.5)  # short, for the timeout fault below
    assert API_KEY not in output.model_dump_json() + repr(output) + repr(system)

    messages_stub.fail_with(400, "invalid_request_error", f"bad request from key {API_KEY}")
    for kind in ("rate_limit", "overloaded", "server_error", "timeout", "auth"):
        messages_stub.fail(kind)
    for _ in range(6):
        error = failure(system)
        assert API_KEY not in exception_text(error)
        assert error.__cause__ is None and error.__context__ is None

    requests = messages_stub.requests
    assert {r.credential_sha256 for r in requests} == {sha256(API_KEY)}  # it was sent ...
    assert all(API_KEY not in r.raw_body for r in requests)  # ... only as a header


def test_key_comes_from_the_environment(
    messages_stub: MessagesStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    answer(AnthropicSystem(CONFIG, Connection(base_url=messages_stub.base_url)))
    assert messages_stub.requests[0].credential_sha256 == sha256("sk-ant-from-env")


def test_missing_key_is_a_permanent_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(PermanentError, match="ANTHROPIC_API_KEY"):
        AnthropicSystem(CONFIG)


def test_concurrent_requests_overlap(messages_stub: MessagesStub) -> None:
    messages_stub.latency = 1.0
    system = make(messages_stub)

    async def many() -> list[SystemOutput]:
        return await asyncio.gather(*(system.answer(REQUEST) for _ in range(32)))

    outputs = asyncio.run(many())
    assert len({o.model_dump_json() for o in outputs}) == 1
    # overlap counted at the stub, not timed: each request stays open 1 s, so at least
    # half of them were in flight together (one at a time would show 1)
    assert messages_stub.counters["max_in_flight"] >= 16


def test_one_system_serves_several_event_loops(messages_stub: MessagesStub) -> None:
    system = make(messages_stub)
    assert answer(system) == answer(system)


def test_cost_is_an_estimate_by_family() -> None:
    class Usage:
        input_tokens = 1_000_000
        output_tokens = 1_000_000
        cache_creation_input_tokens = None
        cache_read_input_tokens = 0

    assert estimate_cost("claude-haiku-4-5", Usage()) == 6.0
    assert estimate_cost("claude-opus-4-7", Usage()) == 30.0
    assert estimate_cost("claude-mythos-5", Usage()) == 0.0  # unknown family: unknown cost


def test_batch_results_parse_like_single_answers(messages_stub: MessagesStub) -> None:
    messages_stub.batch_polls = 1
    messages_stub.fail("overloaded")
    requests = [{"custom_id": f"c{i}", "params": request_payload(CONFIG, REQUEST)} for i in (0, 1)]

    async def run_batch() -> tuple[list[str], list[Any]]:
        client = anthropic.AsyncAnthropic(api_key=API_KEY, base_url=messages_stub.base_url)
        async with client:
            batch = await client.messages.batches.create(requests=requests)
            statuses = [batch.processing_status]
            while batch.processing_status != "ended":
                batch = await client.messages.batches.retrieve(batch.id)
                statuses.append(batch.processing_status)
            results = [r async for r in await client.messages.batches.results(batch.id)]
        return statuses, results

    statuses, results = asyncio.run(run_batch())
    assert statuses == ["in_progress", "in_progress", "ended"]
    by_id = {r.custom_id: r.result for r in results}
    assert by_id["c0"].type == "errored" and by_id["c0"].error.error.type == "overloaded_error"
    assert parse_message(by_id["c1"].message, sent_sources(REQUEST)) == answer(make(messages_stub))
