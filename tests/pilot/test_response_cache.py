"""The response cache's rules (`pilot.runs.cache`, `RunContext.cached_output`): what its key is
taken over, what it returns, and when a run may read it.

The key is checked against an independent computation (SHA-256 over the canonical JSON written
out here), then field by field: each thing that changes what the system would answer changes
the key; what does not (the order of a payload's keys, a boundary change that sends the same
text, a case's id under Claude, whose body does not carry it) keeps it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from helpers import seeded_copy, write_cases

from pilot.core.models import (
    GoldenCase,
    RetrievalSettings,
    Source,
    SystemConfig,
    SystemOutput,
    SystemRequest,
)
from pilot.core.store import Store
from pilot.define.redaction import RedactionRule
from pilot.define.workflow import DataBoundary
from pilot.goldensets.versions import import_goldenset
from pilot.runs.cache import cache_key, cache_keyer, load_cache, stored_keys
from pilot.runs.context import Progress, RunContext, RunOptions
from pilot.runs.edge import Edge
from pilot.runs.execute import execute_run
from pilot.runs.start import prepare_run

CLAUDE = SystemConfig(kind="anthropic", model="claude-sonnet-4-6")
PAYLOAD = {"case_id": "c-1", "question": "Wie viele Urlaubstage? — 25 €", "sources": []}


def by_hand(config: SystemConfig, payload: dict) -> str:
    text = json.dumps(
        {"config": config.model_dump(mode="json"), "request": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("config", [SystemConfig(), CLAUDE])
@pytest.mark.parametrize("payload", [PAYLOAD, {}, {"nested": {"b": [1, 2.5, None], "a": True}}])
def test_the_key_is_the_sha256_of_the_config_and_the_request(
    config: SystemConfig, payload: dict
) -> None:
    assert cache_key(config, payload) == by_hand(config, payload)
    assert cache_keyer(config)(payload) == by_hand(config, payload)


CHANGED = {
    "kind": SystemConfig(kind="callable", model="offline-bm25-v1"),
    "model": SystemConfig(model="offline-bm25-v2"),
    "prompt": SystemConfig(prompt_template="Answer in one word."),
    "temperature": SystemConfig(temperature=0.5),
    "max_tokens": SystemConfig(max_tokens=1023),
    "top_k": SystemConfig(retrieval=RetrievalSettings(top_k=4)),
    "min_score": SystemConfig(retrieval=RetrievalSettings(min_score=2.0)),
    "target": SystemConfig(target="pkg.mod:answer"),
}


@pytest.mark.parametrize("field", sorted(CHANGED))
def test_each_config_field_changes_the_key(field: str) -> None:
    base = cache_key(SystemConfig(), PAYLOAD)
    assert cache_key(CHANGED[field], PAYLOAD) != base
    assert cache_keyer(CHANGED[field])(PAYLOAD) != cache_keyer(SystemConfig())(PAYLOAD)


def test_the_request_content_changes_the_key_and_its_key_order_does_not() -> None:
    base = cache_key(SystemConfig(), PAYLOAD)
    for changed in (
        {**PAYLOAD, "question": PAYLOAD["question"] + "?"},
        {**PAYLOAD, "case_id": "c-2"},
        {**PAYLOAD, "sources": [{"id": "s", "text": "x"}]},
        {**PAYLOAD, "fields": {}},
    ):
        assert cache_key(SystemConfig(), changed) != base, changed
    reordered = dict(reversed(list(PAYLOAD.items())))
    assert cache_key(SystemConfig(), reordered) == base
    assert cache_key(SystemConfig(model="offline-bm25-v1"), PAYLOAD) == base  # equal configs


CASE = GoldenCase(
    id="c-1",
    question="How many days of leave?",
    sources=(Source(id="s1", text="Staff get 25 days. Call 07700 900123 for help."),),
)


def key_through_the_edge(case: GoldenCase, boundary: DataBoundary, config: SystemConfig) -> str:
    _, payload, _ = Edge(boundary).prepare(case, config)
    return cache_keyer(config)(payload)


def test_the_key_is_over_what_leaves_the_boundary() -> None:
    plain = key_through_the_edge(CASE, DataBoundary(), CLAUDE)
    # a boundary that changes the text sent changes the key ...
    stricter = DataBoundary(
        redaction_rules=(*DataBoundary().redaction_rules, RedactionRule(name="days", pattern="25"))
    )
    assert key_through_the_edge(CASE, stricter, CLAUDE) != plain
    assert key_through_the_edge(CASE, DataBoundary(allowed_fields=("question",)), CLAUDE) != plain
    # ... one that sends the same text does not: the same request gets the same answer
    unused = DataBoundary(collections={"policies": ("s9",)})
    assert unused != DataBoundary() and key_through_the_edge(CASE, unused, CLAUDE) == plain
    # Claude's body carries no case id: the same content under another id is the same request
    renamed = CASE.model_copy(update={"id": "c-2"})
    assert key_through_the_edge(renamed, DataBoundary(), CLAUDE) == plain
    # the offline system's request does carry it
    offline = SystemConfig()
    assert key_through_the_edge(renamed, DataBoundary(), offline) != key_through_the_edge(
        CASE, DataBoundary(), offline
    )
    # and Claude's answer depends on the config even where the body does not show it
    warmer = CLAUDE.model_copy(update={"temperature": 0.7})
    assert key_through_the_edge(CASE, DataBoundary(), warmer) != plain


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = seeded_copy(tmp_path / "pilot.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "cases.jsonl", 6), name="leave")
    return store


def put(store: Store, rows: list[tuple[str, str]]) -> None:
    store.write(
        lambda con: con.executemany(
            "INSERT INTO response_cache (key, output, created_at) VALUES (?, ?, 'then')", rows
        )
    )


def test_load_cache_returns_exactly_the_keys_asked_for_that_have_an_output(store: Store) -> None:
    put(store, [("k1", '{"answer": "one"}'), ("k2", '{"answer": "two"}'), ("k3", "{}")])
    with store.read() as con:
        assert load_cache(con, ["k1", "k3", "missing"]) == {"k1": '{"answer": "one"}', "k3": "{}"}
        assert load_cache(con, ["k2"]) == {"k2": '{"answer": "two"}'}
        assert load_cache(con, ["k1", "k1"]) == {"k1": '{"answer": "one"}'}
        assert load_cache(con, ["missing"]) == {}
        assert load_cache(con, []) == {}


def test_stored_keys_are_exactly_the_keys_asked_for_that_the_cache_holds(store: Store) -> None:
    """What a run that does not read the cache is told is stored already (it writes no second
    entry for those keys)."""
    put(store, [("k1", '{"answer": "one"}'), ("k2", "{}")])
    with store.read() as con:
        assert stored_keys(con, ["k1", "k2", "missing"]) == frozenset({"k1", "k2"})
        assert stored_keys(con, ["k2", "k2"]) == frozenset({"k2"})
        assert stored_keys(con, ["missing"]) == frozenset()
        assert stored_keys(con, []) == frozenset()


def context(options: RunOptions, cache: dict[str, str]) -> RunContext:
    return RunContext(
        Store(Path("unused.duckdb")), "r", SystemConfig(), [], {}, cache, None, options,
        Progress(total=0), None,
    )  # fmt: skip


@pytest.mark.parametrize(
    "options,reads",
    [
        (RunOptions(), True),
        (RunOptions(use_cache=False), False),
        (RunOptions(cache_only=True), True),
        (RunOptions(use_cache=False, cache_only=True), True),  # a replay reads nothing else
    ],
)
def test_a_run_reads_the_cache_unless_told_not_to(options: RunOptions, reads: bool) -> None:
    ctx = context(options, {"k": "out"})
    assert ctx.cached_output("k") == ("out" if reads else None)
    assert ctx.cached_output("other") is None


class Counting:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def answer(self, request: SystemRequest) -> SystemOutput:
        self.calls.append(request.case_id)
        return SystemOutput(answer="25 days", model="counting")


def results(store: Store, run_id: str) -> dict[str, tuple]:
    with store.read() as con:
        rows = con.execute(
            "SELECT case_id, answer, error, cached, request_hash, attempts FROM results "
            "WHERE run_id = ?",
            [run_id],
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_a_run_stores_each_answer_under_its_key_and_a_replay_calls_nothing(store: Store) -> None:
    config = SystemConfig()
    first = prepare_run(store, "priya", goldenset="leave", config=config)
    system = Counting()
    execute_run(store, "priya", first, system=system, options=RunOptions(concurrency=2))
    assert len(system.calls) == 6
    stored = results(store, first)
    with store.read() as con:
        from pilot.goldensets.versions import load_cases

        version = con.execute("SELECT goldenset_version FROM runs").fetchone()[0]
        cases = load_cases(con, version)
        cache = dict(con.execute("SELECT key, output FROM response_cache").fetchall())
    for case in cases:
        _, payload, _ = Edge().prepare(case, config)
        key = by_hand(config, payload)
        assert stored[case.id][3] == key and not stored[case.id][2] and stored[case.id][4] == 1
        assert json.loads(cache[key])["answer"] == "25 days"
    # forget two answers: a replay answers the rest from the cache and calls nothing
    gone = sorted(stored)[:2]
    store.write(
        lambda con: con.execute(
            "DELETE FROM response_cache WHERE key IN (?, ?)", [stored[c][3] for c in gone]
        )
    )
    replay = prepare_run(store, "priya", goldenset="leave", config=config)
    quiet = Counting()
    outcome = execute_run(
        store,
        "priya",
        replay,
        system=quiet,
        options=RunOptions(cache_only=True, use_cache=False),
    )
    assert quiet.calls == [] and outcome.cached == 4 and outcome.errors == 2
    again = results(store, replay)
    for case_id, (answer, error, cached, key, attempts) in again.items():
        assert key == stored[case_id][3] and attempts == 0  # no call made
        if case_id in gone:
            assert (answer, error, cached) == (None, "not in the response cache (replay)", False)
        else:
            assert (answer, error, cached) == ("25 days", None, True)
