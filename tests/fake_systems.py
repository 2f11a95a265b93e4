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


def eighth_right(request: SystemRequest) -> dict[str, Any]:
    """Right on one case in eight (the carried-over questions #1, #9, ...): accuracy 0.125."""
    number = int(request.question.rsplit("#", 1)[1])
    if number % 8 == 1:
        return _answer(request, broken=False)
    return {"answer": "Employees receive 20 days.", "abstained": False}
