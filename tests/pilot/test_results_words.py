"""Results speak to people: each criterion names its cases with their number, the heatmap's
colours are safe for colour-blind readers with readable text, and every statistical word the
pages use is explained in plain words from one glossary."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pilot.results import glossary
from pilot.results.chart_style import GOOD_TO_BAD, INK, MEETS, MISSES
from pilot.results.tables import population
from pilot.results.tag_heatmap import tag_heatmap
from tests.pilot.test_charts import CASES, results

APP = Path(__file__).resolve().parents[2] / "app"


# --- WCAG 2.x relative luminance and contrast, written out from the specification ---------
def _channel(c8: int) -> float:
    c = c8 / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def luminance(rgb: tuple[float, float, float]) -> float:
    r, g, b = (_channel(round(v)) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def sample(scale: list, t: float) -> tuple[float, float, float]:
    """The colour at `t` of a Plotly colour scale (linear between stops in RGB, as Plotly does)."""
    for (t0, c0), (t1, c1) in zip(scale, scale[1:], strict=False):
        if t0 <= t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            a, b = _rgb(c0), _rgb(c1)
            return tuple(x + f * (y - x) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]
    raise AssertionError(f"{t} outside the scale")


def test_wcag_formula_matches_known_pairs() -> None:
    """The formula itself, against values WCAG's own examples give."""
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    assert contrast(_rgb("#777777"), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)


def heatmap() -> object:
    from metrics import per_tag

    frame = results()
    return tag_heatmap(per_tag(frame))


def test_heatmap_text_keeps_4_5_to_1_contrast_on_every_colour_of_its_scale() -> None:
    fig = heatmap()
    cells = fig.data[0]
    scale = [[float(t), c] for t, c in cells.colorscale]
    assert [c for _, c in scale] == [c for _, c in GOOD_TO_BAD]
    assert cells.textfont.color == INK
    worst = min(contrast(sample(scale, i / 200), _rgb(INK)) for i in range(201))
    assert worst >= 4.5, f"lowest contrast on the scale is {worst:.2f}:1"
    # the empty (no colour) cells sit on the white plot background
    assert contrast((255, 255, 255), _rgb(INK)) >= 4.5


# Deuteranopia and protanopia (Viénot, Brettel & Mollon 1999), applied in linear RGB
_SIMULATE = {
    "protan": ((0.11238, 0.88762, 0.0), (0.11238, 0.88762, 0.0), (0.00401, -0.00401, 1.0)),
    "deutan": ((0.29275, 0.70725, 0.0), (0.29275, 0.70725, 0.0), (-0.02234, 0.02234, 1.0)),
}


def _seen(hex_colour: str, kind: str) -> tuple[float, ...]:
    lin = [_channel(v) for v in _rgb(hex_colour)]
    return tuple(sum(m * c for m, c in zip(row, lin, strict=True)) for row in _SIMULATE[kind])


@pytest.mark.parametrize("kind", ["protan", "deutan"])
def test_good_and_bad_stay_apart_for_red_green_colour_blindness(kind: str) -> None:
    bad, good = GOOD_TO_BAD[0][1], GOOD_TO_BAD[-1][1]
    for a, b in ((bad, good), (MISSES, MEETS)):
        sa, sb = _seen(a, kind), _seen(b, kind)
        assert max(abs(x - y) for x, y in zip(sa, sb, strict=True)) > 0.2, (a, b, sa, sb)


# --- populations ----------------------------------------------------------------------------
def test_each_criterion_names_its_cases_with_their_count_counted_by_hand() -> None:
    rows = results()
    answerable = sum(1 for c in CASES if c[2])
    unanswerable = len(CASES) - answerable
    ugly_unanswerable = sum(1 for c in CASES if not c[2] and "ugly" in c[1])
    numeric = sum(1 for c in CASES if "numeric" in c[1])
    assert population("abstain_rate_unanswerable", "all", rows) == (
        f"unanswerable cases ({unanswerable})"
    )
    assert population("false_abstain_rate", "all", rows) == f"answerable cases ({answerable})"
    assert population("accuracy", "all", rows) == f"all cases ({len(CASES)})"
    assert population("accuracy", "tag:numeric", rows) == f"cases tagged 'numeric' ({numeric})"
    assert population("abstain_rate_unanswerable", "tag:ugly", rows) == (
        f"unanswerable cases tagged 'ugly' ({ugly_unanswerable})"
    )
    assert population("citation_precision", "all", None) == "answerable cases"


def test_verdict_table_names_populations(tmp_path: Path) -> None:
    from pilot.results.tables import verdict_rows

    class V:  # the smallest verdict: no criteria, no critical errors
        criteria: list = []
        critical_errors: list = []
        max_critical_errors = None
        n_cases = len(CASES)

    table = verdict_rows(V(), {}, results())  # type: ignore[arg-type]
    by_name = {r["criterion"]: r["measured on"] for r in table}
    assert by_name["Abstain rate"] == f"unanswerable cases ({sum(1 for c in CASES if not c[2])})"
    assert by_name["Critical errors"] == "consequential cases (0)"
    assert all(r["measured on"] != "all cases" for r in table)


# --- glossary -------------------------------------------------------------------------------
TERMS = [
    "95% interval",
    "95% lower bound",
    "95% upper bound",
    "Wilson",
    "Clopper-Pearson",
    "McNemar",
    "p-value",
    "kappa",
    "alpha",
    "n",
    "judged on",
    "p95",
]


@pytest.mark.parametrize("term", TERMS)
def test_every_statistical_term_has_plain_words(term: str) -> None:
    text = glossary.explain(term)
    assert len(text.split()) >= 12 and "\n" not in text


def test_an_unknown_term_is_an_error_not_a_blank_tooltip() -> None:
    with pytest.raises(KeyError):
        glossary.explain("heteroscedasticity")


def test_glossary_lists_every_term_once() -> None:
    listed = [term for term, _ in glossary.entries()]
    assert sorted(listed) == sorted(glossary.GLOSSARY) and len(set(listed)) == len(listed)
    assert all(alias in glossary.GLOSSARY for alias in glossary.ALIASES.values())


STAT_WORDS = ("95%", "Wilson", "McNemar", "Clopper", "kappa", "alpha", "p-value", "α", "κ")


def test_app_labels_with_a_statistical_term_carry_a_tooltip() -> None:
    """A metric or widget whose label names a statistical term has `help=`."""
    missing = []
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in {"metric", "checkbox", "selectbox", "number_input"}:
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant):
                continue
            label = str(node.args[0].value)
            if any(w in label for w in STAT_WORDS) and not any(
                k.arg == "help" for k in node.keywords
            ):
                missing.append(f"{path.name}:{node.lineno}: {label}")
    assert not missing, missing
