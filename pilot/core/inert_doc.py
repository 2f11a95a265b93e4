"""A source document (policy text, usually written in Markdown) as inert HTML a person reads:
paragraphs as paragraphs, headings in bold, `**` and `#` markers hidden, highlights marked, and
excerpts that start and end on word boundaries.

Nothing in the text becomes markup: every character is escaped (`pilot.core.inert.escape_inert`)
and the only tags are the ones written here (`div`, `p`, `b`, `mark`, `br`). Markdown is read
for its structure only: a link, an image or raw HTML in a source stays visible text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pilot.core.inert import _merge, escape_inert

_HEADING = re.compile(r"(?m)^(#{1,6})[ \t]+")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def word_window(text: str, low: int, high: int, keep: tuple[int, int]) -> tuple[int, int]:
    """`low`/`high` moved inwards to the nearest word boundary, never past `keep` (the span the
    window is around): an excerpt never starts or ends in the middle of a word."""
    if 0 < low < len(text) and not text[low - 1].isspace():
        space = next((i for i in range(low, keep[0]) if text[i].isspace()), None)
        low = keep[0] if space is None else space + 1
    if 0 < high < len(text) and not text[high].isspace():
        space = next((i for i in range(high - 1, keep[1] - 1, -1) if text[i].isspace()), None)
        high = keep[1] if space is None else space
    return low, high


def windows(
    text: str, spans: Sequence[tuple[int, int]], context: int | None
) -> list[tuple[int, int]]:
    """The parts of `text` to show: all of it (`context` None), else `context` characters
    either side of each span (the start when there is none), on word boundaries, merged."""
    merged = _merge(list(spans))
    if context is None:
        return [(0, len(text))]
    if not merged:
        lo, hi = word_window(text, 0, min(len(text), 2 * context), (0, 0))
        return [(lo, hi)]
    found = [
        word_window(text, max(0, a - context), min(len(text), b + context), (a, b))
        for a, b in merged
    ]
    return _merge(found)


def _hidden(text: str) -> tuple[set[int], set[int]]:
    """Positions of Markdown markers to hide, and the start positions of heading lines."""
    hidden: set[int] = set()
    headings: set[int] = set()
    for m in _HEADING.finditer(text):
        hidden.update(range(m.start(), m.end()))
        headings.add(m.start())
    for m in _BOLD.finditer(text):
        hidden.update((m.start(), m.start() + 1, m.end() - 2, m.end() - 1))
    return hidden, headings


def document_html(
    text: str, spans: Sequence[tuple[int, int]] = (), *, context: int | None = None
) -> str:
    """`text` as inert HTML paragraphs with `spans` in <mark>; with `context`, only that many
    characters around each span (on word boundaries), parts joined by "…"."""
    merged = _merge(list(spans))
    hidden, headings = _hidden(text)
    marked = [False] * (len(text) + 1)
    for a, b in merged:
        for i in range(max(0, a), min(len(text), b)):
            marked[i] = True
    parts = []
    for low, high in windows(text, merged, context):
        paragraphs = []
        start = low
        breaks = [m.span() for m in _PARAGRAPH_BREAK.finditer(text, low, high)]
        for end, after in [*breaks, (high, high)]:
            paragraphs.append(_paragraph(text, start, end, hidden, headings, marked))
            start = after
        body = "".join(p for p in paragraphs if p)
        lead = "<p>…</p>" if low > 0 else ""
        tail = "<p>…</p>" if high < len(text) else ""
        parts.append(lead + body + tail)
    return '<div class="gs-text">' + "".join(parts) + "</div>"


def _paragraph(
    text: str, start: int, end: int, hidden: set[int], headings: set[int], marked: list[bool]
) -> str:
    """One paragraph: its lines joined by <br>, heading lines in bold, marks kept per line."""
    lines = []
    line_start = start
    for stop in [*(i for i in range(start, end) if text[i] == "\n"), end]:
        inner = _line(text, line_start, stop, hidden, marked)
        if inner:
            lines.append(f"<b>{inner}</b>" if line_start in headings else inner)
        line_start = stop + 1
    return f"<p>{'<br>'.join(lines)}</p>" if lines else ""


def _line(text: str, start: int, end: int, hidden: set[int], marked: list[bool]) -> str:
    out: list[str] = []
    run: list[str] = []
    in_mark = False

    def flush() -> None:
        if run:
            out.append(escape_inert("".join(run)))
            run.clear()

    for i in range(start, end):
        if marked[i] != in_mark:
            flush()
            out.append("<mark>" if marked[i] else "</mark>")
            in_mark = marked[i]
        if i not in hidden and text[i] != "\r":
            run.append(text[i])
    flush()
    if in_mark:
        out.append("</mark>")
    inner = "".join(out)
    return "" if not re.sub(r"</?mark>", "", inner).strip() else inner
