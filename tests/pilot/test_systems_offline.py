"""The offline BM25 system: deterministic, citations exact, abstains below the threshold."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from pilot.core.models import (
    GoldenCase,
    RetrievalSettings,
    Source,
    SystemConfig,
    SystemOutput,
    SystemRequest,
)
from pilot.runs.systems.offline import (
    ABSTAIN_ANSWER,
    OFFLINE_MODEL,
    OfflineSystem,
    split_sentences,
    stem,
    tokenize,
)

GOLDEN_SAMPLE = Path(__file__).resolve().parents[3] / "shared/data/golden_public_sample.jsonl"

LEAVE = Source(
    id="leave-2025",
    title="Annual leave",
    text=(
        "# Annual leave\n"
        "## How much you get\n"
        "Full-time staff get 25 days’ paid annual leave a year — plus bank holidays.\n"
        "- Part-time staff get leave pro rata, e.g. 3 days a week gives 15 days.\n"
        "* You can carry over up to 5 days into the next year.\n"
        "<p>Unused leave above 5 days is lost on 31 March.</p>\n"
        "1. Ask your manager first. 2. Book it in the “HR portal”.\n"
    ),
)
EXPENSES = Source(
    id="expenses",
    title="Travel expenses",
    text=(
        "Café receipts over £25 need a VAT invoice… Hotels are capped at £150 a night.\n"
        "Mileage is paid at 45p per mile 🚗 for the first 10,000 miles.\n"
        "Über-long trips need approval from a director.\n"
        "出張の精算は30日以内に行ってください。Claims must be filed within 30 days.\n"
    ),
)


def ask(question: str, *sources: Source, **retrieval: float) -> SystemOutput:
    config = SystemConfig(retrieval=RetrievalSettings(**retrieval))
    request = SystemRequest(case_id="c", question=question, sources=sources or (LEAVE, EXPENSES))
    return asyncio.run(OfflineSystem(config).answer(request))


def assert_citations_exact(output: SystemOutput, sources: tuple[Source, ...]) -> None:
    texts = {source.id: source.text for source in sources}
    for citation in output.citations:
        assert texts[citation.source_id][citation.start : citation.end] == citation.cited_text
        assert 0 <= citation.claim < len(output.claims)
        assert output.claims[citation.claim] == citation.cited_text


def test_answers_with_the_best_sentence_and_cites_it_exactly() -> None:
    output = ask("How many days of paid annual leave do full-time staff get?")
    assert not output.abstained
    assert output.model == OFFLINE_MODEL
    assert output.claims[0] == (
        "Full-time staff get 25 days’ paid annual leave a year — plus bank holidays."
    )
    assert output.answer.startswith(output.claims[0])
    assert [c.claim for c in output.citations] == list(range(len(output.claims)))
    assert_citations_exact(output, (LEAVE, EXPENSES))


def test_same_input_gives_byte_identical_output() -> None:
    question = "What is the mileage rate per mile?"
    first = ask(question).model_dump_json()
    second = ask(question).model_dump_json()
    assert first == second
    other_system = asyncio.run(
        OfflineSystem(SystemConfig()).answer(
            SystemRequest(case_id="c", question=question, sources=(LEAVE, EXPENSES))
        )
    )
    assert other_system.model_dump_json() == first


@pytest.mark.parametrize(
    "question",
    [
        "Can I carry over leave?",
        "What is the hotel cap per night?",
        "How long do I have to file claims?",
        "Do café receipts need a VAT invoice?",
        "Who approves über-long trips?",
        "Where do I book leave in the HR portal?",
        "出張の精算",
    ],
)
def test_unicode_and_markdown_citations_are_exact(question: str) -> None:
    output = ask(question, top_k=3)
    assert not output.abstained
    assert_citations_exact(output, (LEAVE, EXPENSES))


def test_abstains_below_min_score() -> None:
    output = ask("What is the capital of Mongolia?")
    assert output.abstained
    assert output.answer == ABSTAIN_ANSWER
    assert output.citations == () and output.claims == ()

    strict = ask("How many days of paid annual leave do full-time staff get?", min_score=1e6)
    assert strict.abstained


@pytest.mark.parametrize("question", ["", "What is it and how does it?", "???"])
def test_abstains_when_the_question_has_no_terms(question: str) -> None:
    assert ask(question, min_score=0.0).abstained


def test_abstains_without_sources() -> None:
    request = SystemRequest(case_id="c", question="How much leave?")
    assert asyncio.run(OfflineSystem(SystemConfig()).answer(request)).abstained


def test_extra_sentences_only_when_close_to_the_best() -> None:
    one = Source(id="a", text="Leave requests go to your manager. Parking is free.")
    two = Source(id="b", text="Leave requests need two weeks notice. The canteen opens at 8.")
    output = ask("leave requests", one, two, top_k=3)
    assert output.claims == (
        "Leave requests go to your manager.",
        "Leave requests need two weeks notice.",
    )
    assert [(c.source_id, c.claim) for c in output.citations] == [("a", 0), ("b", 1)]
    assert len(ask("leave requests", one, two, top_k=1).claims) == 1


def test_ties_go_to_the_first_source_then_the_earlier_offset() -> None:
    same = "Expense claims are paid monthly."
    first = Source(id="first", text=f"Intro text here. {same}")
    second = Source(id="second", text=same)
    output = ask("When are expense claims paid?", second, first, top_k=1)
    assert output.citations[0].source_id == "second"
    output = ask("When are expense claims paid?", first, second, top_k=1)
    assert output.citations[0].source_id == "first"


def test_identical_sentences_are_answered_once() -> None:
    same = "Expense claims are paid monthly."
    sources = Source(id="a", text=same), Source(id="b", text=same)
    output = ask("When are expense claims paid?", *sources, min_score=0.1)
    assert output.claims == (same,)


def test_split_sentences_skips_headings_and_list_markers() -> None:
    text = LEAVE.text
    pieces = [text[start:end] for start, end in split_sentences(text)]
    assert pieces == [
        "Full-time staff get 25 days’ paid annual leave a year — plus bank holidays.",
        "Part-time staff get leave pro rata, e.g. 3 days a week gives 15 days.",
        "You can carry over up to 5 days into the next year.",
        "Unused leave above 5 days is lost on 31 March.",
        "Ask your manager first.",
        "2. Book it in the “HR portal”.",
    ]


def test_split_sentences_handles_unicode_punctuation_and_abbreviations() -> None:
    text = "Mr. Smith’s claim was paid… “Next,” she said! Was it U.K. tax? Yes. Version 2.5 works."
    pieces = [text[start:end] for start, end in split_sentences(text)]
    assert pieces == [
        "Mr. Smith’s claim was paid…",
        "“Next,” she said!",
        "Was it U.K. tax?",
        "Yes.",
        "Version 2.5 works.",
    ]


def test_tokenize_drops_stopwords_and_stems() -> None:
    assert tokenize("The adopters were adopting; adoption is adopted!") == ["adopt"] * 4
    assert tokenize("Houses, housing and a HOUSE") == ["hous"] * 3
    assert stem("applies") == stem("applied") == stem("apply")
    assert tokenize("I’m 21 or over") == ["21"]


def load_golden_sample() -> list[GoldenCase]:
    if not GOLDEN_SAMPLE.exists():
        pytest.skip(f"{GOLDEN_SAMPLE} is absent")
    with GOLDEN_SAMPLE.open(encoding="utf-8") as lines:
        return [GoldenCase.model_validate(json.loads(line)) for line in lines if line.strip()]


def test_every_citation_is_exact_on_the_public_sample() -> None:
    cases = load_golden_sample()
    system = OfflineSystem(SystemConfig(retrieval=RetrievalSettings(top_k=3, min_score=0.0)))
    answered = 0
    for case in cases:
        request = SystemRequest(case_id=case.id, question=case.question, sources=case.sources)
        output = asyncio.run(system.answer(request))
        answered += not output.abstained
        assert_citations_exact(output, case.sources)
    assert answered > len(cases) * 0.9


def test_ten_kilobyte_sources_are_answered_with_exact_citations() -> None:
    """Large sources, each distinct (no cache help): every answer cites its own case's text
    exactly. How long this takes is measured by benchmarks/bench_offline.py, not here."""
    paragraph = " ".join(s.text for s in (LEAVE, EXPENSES))
    text = (paragraph * (10_000 // len(paragraph) + 1))[:10_000]
    system = OfflineSystem(SystemConfig())
    for i in range(50):
        source = Source(id="s", text=f"{text} Case {i}.")
        request = SystemRequest(
            case_id=str(i), question="How many days of leave can I carry over?", sources=(source,)
        )
        output = system.answer_sync(request)
        assert not output.abstained and output.citations
        assert_citations_exact(output, request.sources)
