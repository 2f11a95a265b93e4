"""An independent, hand-written computation of Cohen's kappa and Krippendorff's alpha (polars,
from the textbook definitions), to check `metrics.agreement`, which calls scikit-learn and
krippendorff.

Both correct raw agreement for the agreement expected by chance, so a grader pair that always
says "pass" on a mostly-passing sample does not look reliable. Both return None when the
statistic is undefined (no pairable ratings, or no variation at all to agree about), because
0 would read as "no better than chance" and 1 as "perfect", and neither has been shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import polars as pl

Level = Literal["nominal", "ordinal", "interval", "ratio"]


def cohen_kappa(a: Sequence[Any] | pl.Series, b: Sequence[Any] | pl.Series) -> float | None:
    """Cohen's kappa for two graders' nominal labels on the same items, in order. Items where
    either label is missing are dropped."""
    left = pl.Series("a", a, strict=False)
    right = pl.Series("b", b, strict=False)
    if left.len() != right.len():
        raise ValueError(
            f"two graders must label the same items: got {left.len()} and {right.len()}"
        )
    pairs = pl.DataFrame([left.cast(pl.String), right.cast(pl.String)]).drop_nulls()
    n = pairs.height
    if n == 0:
        return None
    observed = pairs.select((pl.col("a") == pl.col("b")).mean()).item()
    margins = (
        pairs.group_by("a")
        .len("na")
        .join(pairs.group_by("b").len("nb"), left_on="a", right_on="b", how="inner")
        .select(((pl.col("na") * pl.col("nb")).sum() / (n * n)).alias("pe"))
    )
    expected = float(margins.item() or 0.0)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def _distance(level: Level) -> pl.Expr:
    """Squared distance δ² between value `c` and value `k` for the coincidence matrix."""
    c, k = pl.col("c"), pl.col("k")
    if level == "nominal":
        return (c != k).cast(pl.Float64)
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        return pl.when((c + k) == 0).then(0.0).otherwise(((c - k) / (c + k)) ** 2)
    # ordinal: (sum of n_g for g from c to k) - (n_c + n_k)/2, via cumulative marginal sums
    lo_cum = pl.min_horizontal(pl.col("cum_c"), pl.col("cum_k"))
    hi_cum = pl.max_horizontal(pl.col("cum_c"), pl.col("cum_k"))
    lo_n = pl.when(c <= k).then(pl.col("n_c")).otherwise(pl.col("n_k"))
    hi_n = pl.when(c <= k).then(pl.col("n_k")).otherwise(pl.col("n_c"))
    return (hi_cum - lo_cum + (lo_n - hi_n) / 2) ** 2


def krippendorff_alpha(units: pl.DataFrame, level: Level = "nominal") -> float | None:
    """Krippendorff's alpha over `unit, rater, value` rows; a null value is a missing rating.

    Units with fewer than two ratings carry no information about agreement and are dropped.
    A rater may rate a unit once: pass the current grade per rater, not its history.
    """
    if level not in ("nominal", "ordinal", "interval", "ratio"):
        raise ValueError(f"unknown level {level!r}; use nominal, ordinal, interval or ratio")
    missing = [c for c in ("unit", "rater", "value") if c not in units.columns]
    if missing:
        raise ValueError(f"units frame is missing column(s) {', '.join(missing)}")
    rated = units.select("unit", "rater", "value").drop_nulls("value")
    if level != "nominal":
        rated = rated.with_columns(pl.col("value").cast(pl.Float64))
    repeats = rated.group_by("unit", "rater").len().filter(pl.col("len") > 1)
    if not repeats.is_empty():
        unit, rater = repeats.row(0)[:2]
        raise ValueError(f"rater {rater!r} rated unit {unit!r} more than once; keep one rating")
    counts = (
        rated.group_by("unit", "value").len("cnt").with_columns(m=pl.col("cnt").sum().over("unit"))
    )
    counts = counts.filter(pl.col("m") >= 2)
    if counts.is_empty():
        return None
    pairs = counts.join(counts.select("unit", "value", "cnt"), on="unit", suffix="_k")
    weight = (
        pl.col("cnt") * (pl.col("cnt_k") - (pl.col("value") == pl.col("value_k")).cast(pl.Int64))
    ) / (pl.col("m") - 1)
    coincidence = pairs.group_by(c="value", k="value_k").agg(o=weight.sum()).filter(pl.col("o") > 0)
    marginal = coincidence.group_by("c").agg(n_c=pl.col("o").sum()).sort("c")
    marginal = marginal.with_columns(cum_c=pl.col("n_c").cum_sum())
    total = float(marginal.get_column("n_c").sum())
    if total <= 1:
        return None
    right = marginal.rename({"c": "k", "n_c": "n_k", "cum_c": "cum_k"})
    expected_pairs = marginal.join(right, how="cross")
    delta = _distance(level)
    observed_pairs = coincidence.join(marginal, on="c").join(right, on="k")
    disagreement = observed_pairs.select((pl.col("o") * delta).sum()).item()
    by_chance = expected_pairs.select((pl.col("n_c") * pl.col("n_k") * delta).sum()).item()
    if not by_chance:
        return None
    return 1.0 - (total - 1.0) * float(disagreement) / float(by_chance)
