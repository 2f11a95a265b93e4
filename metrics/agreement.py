"""Agreement between graders: Cohen's kappa for two, Krippendorff's alpha for any number.

Both correct raw agreement for the agreement expected by chance, so a grader pair that always
says "pass" on a mostly-passing sample does not look reliable. The statistics come from the
field's standard implementations (scikit-learn's `cohen_kappa_score`, the `krippendorff`
package); this module only shapes the graders' labels for them and says when a statistic is
undefined. Both return None then (no pairable ratings, or no variation at all to agree about),
because 0 would read as "no better than chance" and 1 as "perfect", and neither has been shown.
The libraries are imported on first use: they cost about a second to import.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import polars as pl

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")


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
    if pairs.height == 0:
        return None
    first, second = pairs.get_column("a").to_list(), pairs.get_column("b").to_list()
    if len(set(first) | set(second)) < 2:
        return None  # one label only: chance explains all the agreement there is
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kappa = float(cohen_kappa_score(first, second))
    return None if math.isnan(kappa) else kappa


def krippendorff_alpha(units: pl.DataFrame, level: Level = "nominal") -> float | None:
    """Krippendorff's alpha over `unit, rater, value` rows; a null value is a missing rating.

    Units with fewer than two ratings carry no information about agreement and are dropped.
    A rater may rate a unit once: pass the current grade per rater, not its history.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use nominal, ordinal, interval or ratio")
    missing = [c for c in ("unit", "rater", "value") if c not in units.columns]
    if missing:
        raise ValueError(f"units frame is missing column(s) {', '.join(missing)}")
    rated = units.select("unit", "rater", "value").drop_nulls("value")
    repeats = rated.group_by("unit", "rater").len().filter(pl.col("len") > 1)
    if not repeats.is_empty():
        unit, rater = repeats.row(0)[:2]
        raise ValueError(f"rater {rater!r} rated unit {unit!r} more than once; keep one rating")
    rated = rated.filter(pl.len().over("unit") >= 2)
    if rated.is_empty() or rated.get_column("value").n_unique() < 2:
        return None
    if level == "nominal":  # labels of any type become codes; the order of codes is immaterial
        codes = rated.get_column("value").cast(pl.String).rank("dense").cast(pl.Float64)
    else:
        codes = rated.get_column("value").cast(pl.Float64)
    matrix = (
        rated.with_columns(code=codes)
        .with_columns(pl.col("rater").cast(pl.String), pl.col("unit").cast(pl.String))
        .pivot(on="unit", index="rater", values="code")
        .drop("rater")
        .to_numpy()
        .astype(float)
    )
    import krippendorff

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alpha = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level))
    return None if math.isnan(alpha) else alpha
