"""The data boundary, proved on a corpus (issue 9, finding 5).

At least 200 pieces of personal data in 12+ formats, spread over questions, source texts,
source titles, source ids and tags, go through a real run of the Claude system (the real
anthropic SDK against the local Messages API stub): none of them is in any request the stub
received. 100 ordinary sentences full of dates, amounts and reference numbers travel in the same
run: every one arrives unchanged. Citations into redacted sources still map back to the
original text.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import seeded_store
from pii_corpus import names, ordinary, pii
from pydantic import SecretStr
from stub_messages_api import MessagesStub

from pilot.core.models import Citation, SystemConfig, SystemOutput
from pilot.core.store import Store
from pilot.define.redaction import redact, redactor_for
from pilot.define.workflow import DataBoundary, Workflow, save_workflow
from pilot.goldensets.versions import import_goldenset, load_cases
from pilot.runs.execute import RunOptions
from pilot.runs.start import start_or_resume
from pilot.runs.systems.connection import Connection

SEED = 20260901
POLICY = "Employees receive 25 days of annual leave each year."


def _corpus() -> dict[str, Any]:
    rng = random.Random(SEED)
    roster = names(rng)
    placed: list[tuple[str, str, str]] = []  # (where, format, value)
    plain = [ordinary(rng) for _ in range(100)]
    cases = []
    for i in range(60):

        def take(where: str) -> str:
            kind, value = pii(rng, roster)
            placed.append((where, kind, value))
            return value

        sentences = plain[i * 100 // 60 : (i + 1) * 100 // 60] or [plain[i % 100]]
        q_pii, title_pii, text_pii, tag_pii = (
            take("question"),
            take("title"),
            take("source text"),
            take("tag"),
        )
        source_id = take("source id") if i % 6 == 0 else f"leave-policy-{i}"
        text = f"{POLICY} {' '.join(sentences)} For help contact {text_pii} at any time."
        cases.append(
            {
                "id": f"c-{i:03d}",
                "question": f"Hello, this is about {q_pii}: how many days of annual leave?",
                "sources": [{"id": source_id, "title": f"Letter re {title_pii}", "text": text}],
                "expected_answer": "25 days",
                "answerable": True,
                "evidence": [POLICY],
                "tags": ["leave", f"from {tag_pii}"],
                "consequential": False,
            }
        )
    # a source with no title: it must go as "Source 1", never as its id (which names a person)
    cases[1]["sources"][0]["title"] = ""
    return {"cases": cases, "placed": placed, "plain": plain, "roster": roster}


CORPUS = _corpus()


def _boundary() -> DataBoundary:
    return DataBoundary(
        allowed_fields=("question", "sources", "tags"),
        restricted_fields=("salary", "health", "names"),
        restricted_terms={"names": tuple(CORPUS["roster"])},
        phone_regions=("GB", "US"),
    )


def test_the_corpus_is_big_and_varied_enough() -> None:
    placed = CORPUS["placed"]
    assert len(placed) >= 200
    formats = Counter(kind for _, kind, _ in placed)
    assert len(formats) >= 12 and min(formats.values()) >= 5, formats
    assert {where for where, _, _ in placed} == {
        "question",
        "title",
        "source text",
        "source id",
        "tag",
    }
    assert len(CORPUS["plain"]) == 100


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _compact(text: str) -> str:
    return re.sub(r"[\s\-.()/]", "", text).lower()


@pytest.fixture
def corpus_db(tmp_path: Path) -> Store:
    store = seeded_store(tmp_path / "pilot.duckdb")
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CORPUS["cases"]))
    import_goldenset(store, "priya", path, name="corpus")
    save_workflow(
        store,
        "priya",
        Workflow(name="Leave questions", process_owner="Omar", accountable_lead="Priya"),
        _boundary(),
    )
    return store


def test_no_personal_data_reaches_the_api_and_ordinary_text_arrives_unchanged(
    corpus_db: Store,
) -> None:
    with MessagesStub() as stub:
        outcome = start_or_resume(
            corpus_db,
            "priya",
            goldenset="corpus",
            config=SystemConfig(kind="anthropic", model="claude-sonnet-4-6"),
            options=RunOptions(concurrency=8, backoff_base=0.01, backoff_cap=0.05),
            connection=Connection(api_key=SecretStr("sk-ant-test-0000"), base_url=stub.base_url),
        )
        bodies = stub.message_bodies()
    assert outcome.status == "finished" and outcome.errors == 0
    assert len(bodies) == len(CORPUS["cases"])
    sent = [s for body in bodies for s in _strings(body)]
    sent_compact = [_compact(s) for s in sent]
    leaks = []
    for where, kind, value in CORPUS["placed"]:
        if any(value.lower() in s.lower() for s in sent):
            leaks.append((where, kind, value))
        elif sum(ch.isdigit() for ch in value) >= 8 and any(
            _compact(value) in s for s in sent_compact
        ):
            leaks.append((where, kind, f"{value} (separators changed)"))
    assert leaks == []
    everything = "\n".join(sent)
    unchanged = [p for p in CORPUS["plain"] if p in everything]
    assert len(unchanged) == 100, set(CORPUS["plain"]) - set(unchanged)
    assert "Source 1" in everything  # the empty title
    # citations the stub made into redacted texts point at the same words of the originals
    with corpus_db.read() as con:
        version = con.execute("SELECT goldenset_version FROM runs").fetchone()[0]
        cases = {c.id: c for c in load_cases(con, version)}
        rows = con.execute("SELECT case_id, citations FROM results").fetchall()
    checked = 0
    for case_id, raw in rows:
        texts = {s.id: s.text for s in cases[case_id].sources}
        for c in json.loads(raw):
            assert texts[c["source_id"]][c["start"] : c["end"]] == c["cited_text"]
            checked += 1
    assert checked >= 50


def test_what_the_edge_sends_holds_no_personal_data_and_citations_map_back() -> None:
    """The run above without the SDK, the stub or a database: each corpus case through
    `Edge.prepare`, the exact Messages API body that would be sent. No placed value in it,
    every ordinary sentence unchanged, and a citation of the redacted contact sentence maps
    back to the original words, personal data included. (Fast: `make mutate` runs this one
    against the boundary's mutants, not the end-to-end run.)"""
    from pilot.goldensets.io import validate_goldenset
    from pilot.runs.edge import Edge

    data = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in CORPUS["cases"])
    report = validate_goldenset(data.encode(), "corpus.jsonl")
    assert report.errors == [] and len(report.cases) == len(CORPUS["cases"])
    edge = Edge(_boundary())
    config = SystemConfig(kind="anthropic", model="claude-sonnet-4-6")
    sent: list[str] = []
    cited = 0
    for case in report.cases:
        request, payload, remap = edge.prepare(case, config)
        sent += _strings(payload)
        (source,) = request.sources
        start = source.text.index("For help contact ")
        claimed = Citation(
            source_id=source.id, cited_text=source.text[start:], start=start, end=len(source.text)
        )
        (back,) = remap(SystemOutput(answer="x", citations=(claimed,))).citations
        (original,) = case.sources
        assert back.source_id == original.id
        assert original.text[back.start : back.end] == back.cited_text
        assert back.cited_text.startswith("For help contact ")
        assert back.cited_text.endswith(" at any time.")
        cited += back.cited_text != claimed.cited_text  # the hidden value is back
    sent_compact = [_compact(s) for s in sent]
    leaks = [
        (where, kind, value)
        for where, kind, value in CORPUS["placed"]
        if any(value.lower() in s.lower() for s in sent)
        or (
            sum(ch.isdigit() for ch in value) >= 8
            and any(_compact(value) in s for s in sent_compact)
        )
    ]
    assert leaks == []
    everything = "\n".join(sent)
    assert [p for p in CORPUS["plain"] if p not in everything] == []
    assert "Source 1" in everything  # the empty title
    assert cited == len(CORPUS["cases"])


def test_ordinary_sentences_are_not_redacted() -> None:
    redactor = redactor_for(_boundary())
    touched = {p: redact(p, redactor).text for p in CORPUS["plain"] if redact(p, redactor).spans}
    assert touched == {}


def test_every_generated_value_is_caught_on_its_own() -> None:
    """The same corpus at the unit level, so a miss names its format."""
    redactor = redactor_for(_boundary())
    missed = [(kind, v) for _, kind, v in CORPUS["placed"] if not redact(v, redactor).spans]
    assert missed == []


@pytest.mark.parametrize(
    "text",
    [
        "(020) 7946 0958",
        "(415) 555-0132",
        "415.555.0132",
        "0044 20 7946 0958",
        "GB82 WEST 1234 5698 7654 32",
        "salary £42,000, I have diabetes",
    ],
)
def test_the_issue_examples_are_caught(text: str) -> None:
    from pilot.define.workflow import DEMO_BOUNDARY

    result = redact(f"note: {text}.", redactor_for(DEMO_BOUNDARY))
    assert result.spans
    for word in re.findall(r"\d{3,}|salary|diabetes|WEST", text):
        assert word not in result.text


def test_the_llm_judge_gets_only_redacted_text(tmp_path: Path) -> None:
    """The judge is a call across the boundary too: question, expected answer and answer."""
    from helpers import write_cases

    from pilot.define.bar_versions import save_draft, sign_bar
    from pilot.define.bars import AcceptanceBar, MatchRule
    from pilot.define.criteria import Criterion

    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 8), name="leave")
    save_draft(
        store,
        "priya",
        AcceptanceBar(
            criteria=(Criterion(metric="accuracy", threshold=0.5, judged_on="point"),),
            min_cases=5,
            when_unsure="abstain",
            match_rule=MatchRule(rule="judge"),
        ),
    )
    sign_bar(store, "priya")
    with MessagesStub() as stub:
        start_or_resume(
            store,
            "priya",
            goldenset="leave",
            config=SystemConfig(),
            connection=Connection(api_key=SecretStr("k"), base_url=stub.base_url),
        )
        bodies = [r.raw_body for r in stub.requests if r.path == "/v1/messages"]
    assert len(bodies) == 6  # the answerable cases the offline system answered
    for raw in bodies:
        assert "jo.bloggs@example.com" not in raw and "07700 900456" not in raw
        assert "[EMAIL]" in raw and "[PHONE]" in raw
