"""Match rules: does an answer match the expected answer? Polars expressions, no row loop.

`normalise` follows the SQuAD evaluation script (lowercase, drop punctuation, drop articles,
collapse whitespace) with two additions: Unicode NFKC first, so full-width and compatibility
forms compare equal, and Unicode punctuation *and symbols* are dropped (so smart quotes, £ and
% never block a match). Punctuation is deleted, not replaced by a space, as SQuAD does:
"1,200" → "1200", "don't" → "dont".
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from metrics._frames import RESULTS, Frame, collect, conform

DEFAULT_F1_THRESHOLD = 0.5
DEFAULT_TOLERANCE = 0.0
_EPSILON = 1e-9

# Thousands groups first so "1,200" is one number, "1,2,3" is not; a leading − (U+2212) or -.
_NUMBER = r"[-\x{2212}]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-\x{2212}]?\.\d+"


Text = pl.Expr | pl.Series | str
"""A column name, an expression, or a Series (evaluate the result with `pl.select`)."""


def _expr(value: Text) -> pl.Expr:
    if isinstance(value, str):
        return pl.col(value)
    return pl.lit(value) if isinstance(value, pl.Series) else value


def normalise(text: Text) -> pl.Expr:
    """Lowercase, NFKC, no punctuation or symbols, no articles, single spaces."""
    return (
        _expr(text)
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"[\p{P}\p{S}]", "")
        .str.replace_all(r"\b(?:a|an|the)\b", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def tokens(text: Text) -> pl.Expr:
    """Normalised whitespace tokens (an empty text has no tokens)."""
    return normalise(text).str.split(" ").list.eval(pl.element().filter(pl.element() != ""))


def first_number(text: Text) -> pl.Expr:
    """The first number in the text as a float: "£1,200" → 1200, "6%" → 6, "12.5" → 12.5."""
    found = _expr(text).str.normalize("NFKC").str.extract(_NUMBER, 0)
    return (
        found.str.replace_all(",", "", literal=True)
        .str.replace("\u2212", "-")
        .cast(pl.Float64, strict=False)
    )


def exact(answer: Text, expected: Text) -> pl.Expr:
    """Normalised equality."""
    return normalise(answer) == normalise(expected)


def contains(answer: Text, expected: Text) -> pl.Expr:
    """The normalised expected answer occurs in the normalised answer. An expected answer that
    normalises to nothing (e.g. "the") matches nothing, or it would match everything."""
    want = normalise(expected)
    return (want.str.len_chars() > 0) & normalise(answer).str.contains(want, literal=True)


def _counted(words: pl.Expr) -> pl.Expr:
    """Tag repeated tokens with their occurrence ("cat", "cat" → "cat\\x000", "cat\\x001") so
    a set intersection counts a multiset overlap, as SQuAD's Counter does."""
    occurrence = pl.element().rank("ordinal") - pl.element().rank("min")
    return words.list.eval(pl.concat_str(pl.element(), pl.lit("\x00"), occurrence.cast(pl.String)))


def token_f1(answer: Text, expected: Text) -> pl.Expr:
    """SQuAD token F1 in [0, 1]; 1 when both have no tokens, 0 when only one has none."""
    got, want = tokens(answer), tokens(expected)
    common = _counted(got).list.set_intersection(_counted(want)).list.len().cast(pl.Float64)
    n_got = got.list.len().cast(pl.Float64)
    n_want = want.list.len().cast(pl.Float64)
    f1 = 2 * common / (n_got + n_want)  # = 2PR/(P+R) with P = common/got, R = common/want
    return (
        pl.when((n_got == 0) & (n_want == 0))
        .then(pl.lit(1.0))
        .when((n_got == 0) | (n_want == 0))
        .then(pl.lit(0.0))
        .otherwise(f1)
    )


def f1(answer: Text, expected: Text, threshold: float = DEFAULT_F1_THRESHOLD) -> pl.Expr:
    """Token F1 at least `threshold`."""
    return token_f1(answer, expected) >= threshold


def numeric(answer: Text, expected: Text, tolerance: float = DEFAULT_TOLERANCE) -> pl.Expr:
    """The answer's first number is within `tolerance` (absolute) of the expected number."""
    return (first_number(answer) - first_number(expected)).abs() <= tolerance + _EPSILON


MatchRule = Callable[[pl.Expr, pl.Expr, float | None, float | None], pl.Expr]

MATCH_RULES: dict[str, MatchRule] = {
    "exact": lambda a, e, threshold, tolerance: exact(a, e),
    "contains": lambda a, e, threshold, tolerance: contains(a, e),
    "f1": lambda a, e, threshold, tolerance: f1(
        a, e, DEFAULT_F1_THRESHOLD if threshold is None else threshold
    ),
    "numeric": lambda a, e, threshold, tolerance: numeric(
        a, e, DEFAULT_TOLERANCE if tolerance is None else tolerance
    ),
}
"""Rule name → expression builder; `threshold` is read by f1, `tolerance` by numeric."""


def match(
    answer: Text,
    expected: Text,
    rule: str,
    threshold: float | None = None,
    tolerance: float | None = None,
) -> pl.Expr:
    """The named rule as a bool expression (null where either side is null)."""
    try:
        build = MATCH_RULES[rule]
    except KeyError:
        known = ", ".join(MATCH_RULES)
        raise ValueError(f"unknown match rule {rule!r}; use one of: {known}") from None
    return build(_expr(answer), _expr(expected), threshold, tolerance)


def apply_match(
    results: Frame,
    rule: str,
    threshold: float | None = None,
    tolerance: float | None = None,
    judged: pl.Series | None = None,
) -> pl.Series:
    """`correct` per DESIGN.md: an error is incorrect; an answerable case is correct when it
    did not abstain and the answer matches; an unanswerable case is correct iff it abstained.
    For the "judge" rule the match is `judged`, the LLM judge's verdict per row (null: no
    verdict, which counts as no match)."""
    columns = ["answer", "abstained", "error", "answerable", "expected_answer"]
    frame = conform(results, RESULTS, columns, "results")
    abstained = pl.col("abstained").fill_null(False)
    if rule == "judge":
        if judged is None:
            raise ValueError("the judge rule needs the judge's verdict (or null) per result row")
        frame = pl.concat(
            [frame, pl.LazyFrame({"_judged": judged.cast(pl.Boolean)})], how="horizontal"
        )
        matched = pl.col("_judged").fill_null(False)
    else:
        matched = match("answer", "expected_answer", rule, threshold, tolerance).fill_null(False)
    correct = (
        pl.when(pl.col("error").is_not_null())
        .then(pl.lit(False))
        .when(pl.col("answerable"))
        .then(~abstained & matched)
        .otherwise(abstained)
    )
    return collect(frame.select(correct.fill_null(False).alias("correct"))).to_series()
