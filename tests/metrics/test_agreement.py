from __future__ import annotations

import re

import agreement_reference as reference
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.agreement import cohen_kappa, krippendorff_alpha


def test_cohen_kappa_hand_worked() -> None:
    # agree on 4 of 5 → p_o = 0.8; p_e = (3/5)(2/5) + (2/5)(3/5) = 0.48
    # κ = (0.8 − 0.48) / (1 − 0.48) = 0.6154
    a = ["pass", "pass", "fail", "fail", "pass"]
    b = ["pass", "fail", "fail", "fail", "pass"]
    assert cohen_kappa(a, b) == pytest.approx(0.32 / 0.52)


def test_cohen_kappa_drops_items_either_grader_skipped() -> None:
    assert cohen_kappa(["y", "n", None, "y"], ["y", "n", "y", None]) == pytest.approx(1.0)


def test_cohen_kappa_undefined_cases() -> None:
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["y", "y"], ["y", "y"]) is None  # no variation: chance explains all
    with pytest.raises(ValueError, match="same items"):
        cohen_kappa(["y"], ["y", "n"])


labels = st.sampled_from(["pass", "fail", "partial"])


@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=60))
def test_cohen_kappa_matches_the_hand_written_definition(pairs: list[tuple[str, str]]) -> None:
    a, b = [list(x) for x in zip(*pairs, strict=True)]
    kappa = cohen_kappa(a, b)
    ref = reference.cohen_kappa(a, b)
    if ref is None:
        assert kappa is None
    else:
        assert kappa == pytest.approx(ref, abs=1e-12)
        assert -1.0 <= kappa <= 1.0


def test_cohen_kappa_accepts_series_and_booleans() -> None:
    a = pl.Series([True, False, True, True])
    # agree on 3 of 4: p_o = 0.75; p_e = (3/4)(2/4) + (1/4)(2/4) = 0.5; κ = 0.25 / 0.5
    assert cohen_kappa(a, [True, False, False, True]) == pytest.approx(0.5)


def units(rows: list[tuple[object, object, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["unit", "rater", "value"], orient="row")


def test_krippendorff_alpha_hand_worked() -> None:
    # u1 (a, a), u2 (a, b), u3 (b, b), u4 (b, —): u4 has one rating and is dropped.
    # coincidences: o_aa = 2, o_ab = o_ba = 1, o_bb = 2; n_a = n_b = 3, n = 6
    # α = 1 − (n − 1)·Σo·δ / Σ n_c·n_k·δ = 1 − 5·2 / (3·3·2) = 1 − 10/18 = 0.4444
    rows = [
        ("u1", "r1", "a"),
        ("u1", "r2", "a"),
        ("u2", "r1", "a"),
        ("u2", "r2", "b"),
        ("u3", "r1", "b"),
        ("u3", "r2", "b"),
        ("u4", "r1", "b"),
        ("u4", "r2", None),
    ]
    assert krippendorff_alpha(units(rows)) == pytest.approx(4 / 9)
    assert reference.krippendorff_alpha(units(rows)) == pytest.approx(4 / 9)


LEVELS = ["nominal", "ordinal", "interval", "ratio"]


@given(
    level=st.sampled_from(LEVELS),
    matrix=st.integers(2, 4).flatmap(
        lambda raters: st.lists(
            st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=raters, max_size=raters),
            min_size=1,
            max_size=12,
        )
    ),
)
def test_krippendorff_alpha_matches_the_hand_written_definition(
    level: str, matrix: list[list[int | None]]
) -> None:
    rows = [(u, r, v) for u, ratings in enumerate(matrix) for r, v in enumerate(ratings)]
    alpha = krippendorff_alpha(units(rows), level=level)  # type: ignore[arg-type]
    ref = reference.krippendorff_alpha(units(rows), level=level)  # type: ignore[arg-type]
    if ref is None:
        assert alpha is None
    else:
        assert alpha == pytest.approx(ref, abs=1e-9)
        assert alpha <= 1.0


def test_krippendorff_alpha_published_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the nominal example
    # with missing values: 4 observers, 12 units; alpha = 0.743.
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    rows = [(u, r, v) for r, ratings in enumerate(data) for u, v in enumerate(ratings)]
    assert krippendorff_alpha(units(rows)) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_refuses_double_ratings() -> None:
    with pytest.raises(ValueError, match="more than once"):
        krippendorff_alpha(units([("u1", "r1", 1), ("u1", "r1", 2), ("u1", "r2", 1)]))


def test_krippendorff_alpha_undefined() -> None:
    assert krippendorff_alpha(units([("u1", "r1", 1), ("u2", "r1", 2)])) is None
    assert krippendorff_alpha(units([("u1", "r1", 1), ("u1", "r2", 1)])) is None
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(units([]), level="fuzzy")  # type: ignore[arg-type]


def test_krippendorff_alpha_names_the_columns_a_frame_lacks() -> None:
    with pytest.raises(ValueError) as refused:
        krippendorff_alpha(pl.DataFrame({"unit": ["u1"], "grade": [1]}))
    assert str(refused.value) == "units frame is missing column(s) rater, value"


def test_krippendorff_alpha_names_one_double_rating_when_there_are_several() -> None:
    rows = [("u1", "r1", 1), ("u1", "r1", 2), ("u2", "r2", 1), ("u2", "r2", 2), ("u1", "r2", 1)]
    with pytest.raises(ValueError) as refused:
        krippendorff_alpha(units(rows))
    assert re.fullmatch(
        r"rater 'r(1|2)' rated unit 'u\1' more than once; keep one rating", str(refused.value)
    )


def test_cohen_kappa_reads_labels_of_mixed_types_as_text() -> None:
    """A grader's labels typed by hand may mix numbers and words: both are read as text, and
    kappa is scikit-learn's on the same labels written as strings (hand-worked: p_o = 3/4,
    p_e = 5/16, kappa = (3/4 - 5/16) / (11/16) = 7/11)."""
    a, b = [1, "pass", 2, 1], ["1", "pass", "2", "2"]
    assert cohen_kappa(a, b) == pytest.approx(7 / 11)
    assert cohen_kappa(b, a) == pytest.approx(7 / 11)
