"""Untrusted text rendered for the pages stays inert: no HTML, no Markdown maths."""

from __future__ import annotations

from pilot.core.inert import escape_inert, highlight_html


def test_markup_and_maths_are_escaped_and_spans_marked() -> None:
    text = "<script>alert(1)</script> costs $5 and $6\nnext line"
    start = text.index("$5")
    rendered = highlight_html(text, [(start, start + 2)])
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered
    assert "$" not in rendered and rendered.count("&#36;") == 2
    assert "<mark>&#36;5</mark>" in rendered and "<br>" in rendered


def test_overlapping_spans_merge_and_context_trims() -> None:
    text = "a" * 100 + "NEEDLE" + "b" * 100
    rendered = highlight_html(text, [(100, 104), (102, 106)], context=5)
    assert rendered.count("<mark>") == 1 and "<mark>NEEDLE</mark>" in rendered
    assert rendered.count("a") < 20 and "…" in rendered
    assert escape_inert('"x" & y') == "&quot;x&quot; &amp; y"


def test_labelled_paragraphs_make_every_label_and_text_inert() -> None:
    from pilot.core.inert import inert, labelled_paragraphs

    text = labelled_paragraphs([("<b>x</b>", "see [here](http://e.com) *now*"), ("p-value", "1")])
    assert text.split("\n\n") == [
        f"**{inert('<b>x</b>')}**: {inert('see [here](http://e.com) *now*')}",
        "**p-value**: 1",
    ]
    assert "\\<b\\>x" in text and "\\[here\\]" in text  # escaped: no tag, no link
    assert labelled_paragraphs([]) == ""
