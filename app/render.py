"""Inert rendering of untrusted text: everything is HTML-escaped before any markup is added."""

from __future__ import annotations

import html
from collections.abc import Iterable


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` escaped, with each [start, end) span wrapped in <mark>; overlapping spans merge."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out.append(html.escape(text[cursor:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cursor = end
    out.append(html.escape(text[cursor:]))
    body = "".join(out).replace("\n", "<br>")
    return f'<div style="white-space: normal; line-height: 1.5">{body}</div>'
