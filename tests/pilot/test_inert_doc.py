"""Source documents read as documents (paragraphs, headings) yet stay inert, and excerpts end on
word boundaries (issue 10, item 10)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pilot.core.inert_doc import document_html, windows

POLICY = (
    "# Annual Leave Policy\n\n## 3. Entitlement\nFull-time employees receive **23 days** of paid "
    "holiday.\n\nPart-time employees receive a pro rata entitlement."
)


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_paragraphs_headings_and_bold_without_markdown_markers() -> None:
    out = document_html(POLICY)
    assert out.startswith('<div class="gs-text"><p><b>Annual Leave Policy</b></p>')
    assert "<p><b>3. Entitlement</b><br>Full-time employees receive 23 days of paid" in out
    assert out.count("<p>") == 3 and "#" not in out and "**" not in out


def test_highlight_survives_hidden_markers() -> None:
    start = POLICY.index("**23 days**")
    out = document_html(POLICY, [(start, start + len("**23 days**"))])
    assert "<mark>23 days</mark>" in out


HOSTILE = '<script>alert(1)</script> [click](https://evil.example) ![x](http://e/i.png) $x$ & "q"'


def test_hostile_text_stays_text() -> None:
    out = document_html(f"# {HOSTILE}\n\n{HOSTILE}")
    tags = set(re.findall(r"</?([a-z]+)", out))
    assert tags <= {"div", "p", "b", "mark", "br"}, tags
    assert "&lt;script&gt;" in out and "$" not in out and "\n" not in out


def test_excerpt_ends_on_word_boundaries() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu"
    start = text.index("eta theta")
    out = visible(document_html(text, [(start, start + 9)], context=12))
    words = set(text.split())
    inner = out.replace("…", " ").split()
    assert inner and all(w in words for w in inner), out
    assert "eta theta" in out


@given(
    st.text(alphabet="ab \n", min_size=1, max_size=200),
    st.integers(0, 199),
    st.integers(1, 20),
    st.integers(0, 60),
)
def test_windows_never_cut_a_word_and_keep_the_span(text: str, a: int, size: int, ctx: int) -> None:
    a = min(a, len(text) - 1)
    b = min(len(text), a + size)
    for low, high in windows(text, [(a, b)], ctx):
        assert low == 0 or text[low - 1].isspace() or low == a
        assert high == len(text) or text[high].isspace() or high == b
    assert any(low <= a and b <= high for low, high in windows(text, [(a, b)], ctx))
