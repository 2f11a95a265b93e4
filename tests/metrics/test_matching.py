from __future__ import annotations

import unicodedata
from collections import Counter

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from metric_frames import Builder, Frames

from metrics.matching import (
    MATCH_RULES,
    apply_match,
    contains,
    exact,
    f1,
    first_number,
    normalise,
    numeric,
    token_f1,
)


def one(expr: pl.Expr, **columns: list[str | None]) -> list[object]:
    return (
        pl.DataFrame(columns, schema={k: pl.String for k in columns})
        .select(expr)
        .to_series()
        .to_list()
    )


def test_normalise_follows_squad_plus_unicode() -> None:
    texts = ["The  Answer, is: “£1,200”!", "Ｆｕｌｌ-width", "An apple a day", "don't", None]
    assert one(normalise("t"), t=texts) == [
        "answer is 1200",
        "fullwidth",
        "apple day",
        "dont",
        None,
    ]


def test_exact_and_contains() -> None:
    answers = ["The refund window is 30 days.", "30 Days", "thirty days", "the"]
    expected = ["30 days", "30 days", "30 days", "the"]
    assert one(exact("a", "e"), a=answers, e=expected) == [False, True, False, True]
    # An expected answer that normalises to nothing matches nothing, or it would match all.
    assert one(contains("a", "e"), a=answers, e=expected) == [True, True, False, False]


def test_token_f1_hand_worked() -> None:
    # "the cat sat on the mat" → [cat, sat, on, mat]; "cat sat" → [cat, sat]
    # common 2: P = 2/4, R = 2/2, F1 = 2·0.5·1/1.5 = 0.6667
    # "cat cat dog" vs "cat cat cat": multiset overlap 2 (not 1): F1 = 2·2/(3+3) = 0.6667
    # both empty after normalising → 1; one empty → 0
    answers = ["the cat sat on the mat", "cat cat dog", "the", "a cat"]
    expected = ["cat sat", "cat cat cat", "an", "the"]
    got = one(token_f1("a", "e"), a=answers, e=expected)
    assert got == pytest.approx([2 / 3, 2 / 3, 1.0, 0.0])
    assert one(f1("a", "e", threshold=0.6), a=answers, e=expected) == [True, True, True, False]


def test_first_number_handles_currency_percent_and_decimals() -> None:
    texts = ["It costs £1,200.", "6% a year", "12.5 days", "1,2,3", "−5 °C", "about .5", "none"]
    assert one(first_number("t"), t=texts) == [1200.0, 6.0, 12.5, 1.0, -5.0, 0.5, None]


def test_numeric_tolerance() -> None:
    answers = ["£1,200", "It is 1,250", "6%", "no number"]
    expected = ["1200", "1200", "6", "6"]
    assert one(numeric("a", "e"), a=answers, e=expected) == [True, False, True, None]
    assert one(numeric("a", "e", tolerance=50), a=answers, e=expected)[:2] == [True, True]


def test_apply_match_follows_design_rule(results: Builder) -> None:
    frame = results(
        # answerable, answered, matches → correct
        {"case_id": "a", "answer": "30 days", "expected_answer": "30 Days"},
        # answerable but abstained → incorrect even if the text would match
        {"case_id": "b", "answer": "30 days", "expected_answer": "30 days", "abstained": True},
        # unanswerable and abstained → correct
        {"case_id": "c", "answer": None, "answerable": False, "abstained": True},
        # unanswerable and answered → incorrect
        {"case_id": "d", "answer": "42", "answerable": False},
        # an error is incorrect whatever else holds
        {"case_id": "e", "answer": "30 days", "expected_answer": "30 days", "error": "timeout"},
        {"case_id": "f", "answerable": False, "abstained": True, "error": "HTTP 500"},
        # a null answer on an answerable case is incorrect, not null
        {"case_id": "g", "answer": None, "expected_answer": "30 days"},
    )
    correct = apply_match(frame, "exact")
    assert correct.name == "correct"
    assert correct.to_list() == [True, False, True, False, False, False, False]


@pytest.mark.parametrize("rule", sorted(MATCH_RULES))
def test_every_rule_runs_on_empty_results(rule: str, empty: Frames) -> None:
    assert apply_match(empty["results"], rule).len() == 0


def test_unknown_rule_names_the_known_ones(results: Builder) -> None:
    with pytest.raises(ValueError, match="exact, contains, f1, numeric"):
        apply_match(results({"case_id": "a"}), "fuzzy")


def test_threshold_and_tolerance_reach_their_rules(results: Builder) -> None:
    frame = results(
        {"case_id": "a", "answer": "refund in 30 days", "expected_answer": "30 days"},
        {"case_id": "b", "answer": "about 31", "expected_answer": "30"},
    )
    assert apply_match(frame, "f1", threshold=0.9).to_list() == [False, False]
    assert apply_match(frame, "f1", threshold=0.5).to_list() == [True, False]
    assert apply_match(frame, "numeric").to_list() == [True, False]
    assert apply_match(frame, "numeric", tolerance=1).to_list() == [True, True]


# An independent SQuAD-style reference in plain Python, for the property test.
def _reference_tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith(("P", "S")))
    return [t for t in text.split() if t not in {"a", "an", "the"}]


def _reference_f1(answer: str, expected: str) -> float:
    got, want = _reference_tokens(answer), _reference_tokens(expected)
    if not got or not want:
        return float(got == want)
    common = sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


words = st.sampled_from(["the", "a", "an", "cat", "Cat", "dog", "30", "days", "£12", "“x”", "é"])
phrases = st.lists(words, max_size=8).map(" ".join)


@given(st.lists(st.tuples(phrases, phrases), min_size=1, max_size=20))
def test_token_f1_matches_reference(pairs: list[tuple[str, str]]) -> None:
    answers, expected = [list(x) for x in zip(*pairs, strict=True)]
    got = one(token_f1("a", "e"), a=answers, e=expected)
    assert got == pytest.approx([_reference_f1(a, e) for a, e in pairs])
    assert one(exact("a", "e"), a=answers, e=expected) == [
        _reference_tokens(a) == _reference_tokens(e) for a, e in pairs
    ]


def test_rules_take_series_too() -> None:
    answers = pl.Series(["30 Days", "31 days"])
    expected = pl.Series(["30 days", "30 days"])
    assert pl.select(exact(answers, expected)).to_series().to_list() == [True, False]


def test_the_judge_rule_takes_the_judges_verdict_per_row(results: Builder) -> None:
    frame = results(
        {"case_id": "a", "answer": "x", "expected_answer": "y"},  # judged right
        {"case_id": "b", "answer": "y", "expected_answer": "y"},  # judged wrong: the text is moot
        {"case_id": "c", "answer": "y", "expected_answer": "y"},  # no verdict: not a match
        {"case_id": "d", "answer": "y", "expected_answer": "y", "abstained": True},
        {"case_id": "e", "answer": None, "answerable": False, "abstained": True},
        {"case_id": "f", "answer": "y", "expected_answer": "y", "error": "timeout"},
    )
    judged = pl.Series([True, False, None, True, False, True])
    assert apply_match(frame, "judge", judged=judged).to_list() == [
        True,
        False,
        False,
        False,
        True,
        False,
    ]
    no_verdicts = pl.Series([None] * 6)  # dtype Null: read as "no verdict" everywhere
    assert apply_match(frame, "judge", judged=no_verdicts).to_list() == [False] * 4 + [True, False]
    with pytest.raises(ValueError) as refused:
        apply_match(frame, "judge")
    assert str(refused.value) == "the judge rule needs the judge's verdict (or null) per result row"


def test_an_unrecorded_abstention_means_the_system_answered(results: Builder) -> None:
    frame = results(
        {"case_id": "a", "answer": "30 days", "expected_answer": "30 days", "abstained": None},
        {"case_id": "b", "answer": "30 days", "answerable": False, "abstained": None},
    )
    assert apply_match(frame, "contains").to_list() == [True, False]


def test_a_results_frame_without_the_columns_is_named(results: Builder) -> None:
    with pytest.raises(ValueError, match="^results frame is missing column"):
        apply_match(pl.DataFrame({"case_id": ["a"]}), "exact")


def test_a_token_f1_exactly_on_the_threshold_matches() -> None:
    # "red blue" vs "red green": 1 token in common, P = R = 1/2, F1 = 0.5 exactly
    assert one(token_f1("a", "e"), a=["red blue"], e=["red green"]) == [0.5]
    assert one(f1("a", "e", threshold=0.5), a=["red blue"], e=["red green"]) == [True]
    assert one(f1("a", "e", threshold=0.51), a=["red blue"], e=["red green"]) == [False]


def test_digits_a_float_cannot_read_are_no_number_not_an_error() -> None:
    """Arabic-Indic digits are digits to the pattern but not to a float: no number (null),
    so the case is judged unmatched rather than the whole run failing."""
    assert one(first_number("t"), t=["٣ days", "3 days"]) == [None, 3.0]
