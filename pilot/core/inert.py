"""Untrusted text (model answers, golden-set sources, user input) as inert HTML.

Everything is escaped before any markup is added; newlines become <br> so Markdown sees one HTML
block and interprets none of the text, and `$` is escaped so no maths is rendered.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable


def highlight_html(text: str, spans: list[tuple[int, int]], *, context: int | None = None) -> str:
    """`text` escaped, with `spans` in <mark>, as one inert HTML block.

    Everything is escaped first, and newlines become <br> so Markdown sees a single HTML block
    and interprets none of the text ($ is escaped too, so no maths is rendered). With `context`,
    only that many characters either side of each span are shown (the start when none).
    """
    merged = _merge(spans)
    if context is None:
        windows = [(0, len(text))]
    elif merged:
        windows = _merge([(max(0, a - context), min(len(text), b + context)) for a, b in merged])
    else:
        windows = [(0, min(len(text), 2 * context))]
    pieces = []
    for low, high in windows:
        parts, cursor = ["… " if low > 0 else ""], low
        for start, end in merged:
            if low <= start and end <= high:
                parts.append(escape_inert(text[cursor:start]))
                parts.append(f"<mark>{escape_inert(text[start:end])}</mark>")
                cursor = end
        parts.append(escape_inert(text[cursor:high]) + (" …" if high < len(text) else ""))
        pieces.append("".join(parts))
    body = "<br><br>".join(pieces)
    return f'<div class="gs-text" style="white-space: pre-wrap;">{body}</div>'


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def escape_inert(text: str) -> str:
    """Text safe inside HTML that Markdown renders as-is: escaped, `$` escaped, no newlines."""
    escaped = html.escape(text, quote=True).replace("$", "&#36;")
    return escaped.replace("\r", "").replace("\n", "<br>")


_MARKUP = re.compile(r"[\\`*_\[\]<>!$#|~&{}]")
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=@)|(?i:(?<=www)(?=\.))")
ZERO_WIDTH = "\u200b"


def inert(value: object) -> str:
    """`value` as text that Markdown shows literally, for st.markdown, st.error, st.caption …

    Every character that can open markup is backslash-escaped (CommonMark lets any ASCII
    punctuation be): brackets and `!` (links, images), `<>` and `&` (HTML, entities), `*_~`
    (emphasis), backticks, `#`, `|` and `$` (maths). Streamlit also turns URLs and e-mail
    addresses in the rendered text into links (GFM autolink literals, applied after escapes are
    resolved), so a zero-width space goes after the `:` of `://`, after `@` and between `www`
    and its dot: the text reads the same and no link forms.
    """
    escaped = _MARKUP.sub(lambda m: "\\" + m.group(0), str(value))
    return _AUTOLINK.sub(ZERO_WIDTH, escaped)


def labelled_paragraphs(items: Iterable[tuple[object, object]]) -> str:
    """Paragraphs "**label**: text", one per item, every label and text made `inert`: one
    Markdown element where a page would otherwise draw one per item (the browser draws each
    element; the glossary's 19 paragraphs were 19)."""
    return "\n\n".join(f"**{inert(label)}**: {inert(text)}" for label, text in items)
