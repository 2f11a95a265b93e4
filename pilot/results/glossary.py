"""The statistical words the app uses, each in plain words: one place for every tooltip
(`help=`) and for the glossary a page lists, so a term means the same everywhere.

Pure: no Streamlit. Pages call `explain(term)` for a tooltip and `entries()` for the glossary.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

GLOSSARY: dict[str, str] = {
    "95% interval": (
        "The range the true rate most likely lies in, given how many cases were tried. Few "
        "cases give a wide range; many cases a narrow one. Formally: a method that is right 95 "
        "times in 100."
    ),
    "95% lower bound": (
        "The low end of the 95% interval: a cautious figure. If the bar is judged on it, the "
        "system passes only when even this cautious figure clears the threshold, so a lucky "
        "streak on a few cases cannot pass."
    ),
    "95% upper bound": (
        "The high end of the 95% interval. For a rate that should be low (errors, latency), the "
        "bar is judged on it, so the system passes only when even the worst plausible figure is "
        "under the threshold."
    ),
    "point estimate": (
        "The figure measured on these cases (for example 46 right out of 50 = 92%), without "
        "allowing for chance."
    ),
    "judged on": (
        "Which figure the bar compares with its threshold: the cautious bound of the 95% "
        "interval, or the measured figure itself (the point estimate)."
    ),
    "n": (
        "How many things the figure counts: cases, or citations for the citation measures, "
        "or graded outputs in review. Small n means a wide interval."
    ),
    "population": (
        "Which cases a measure counts. Abstention on unanswerable questions counts only the "
        "cases that have no answer in the documents; citation measures count only answerable "
        "cases."
    ),
    "Wilson interval": (
        "The usual way to put a 95% interval around a rate such as accuracy. It stays sensible "
        "near 0% and 100%, where the simple textbook formula breaks down."
    ),
    "Clopper–Pearson interval": (
        "A stricter 95% interval for a rate ('exact'): it is never too narrow, so it is a "
        "little wider than Wilson's. A bar may choose it when being cautious matters most."
    ),
    "McNemar's exact test": (
        "Compares two runs on the same cases by looking only at the cases that changed (right "
        "then wrong, or wrong then right). If about as many got worse as got better, the "
        "difference could well be chance."
    ),
    "p-value": (
        "How surprising the difference would be if nothing had really changed. Small (below "
        "0.05) means chance alone is an unlikely explanation; large means it may be chance."
    ),
    "paired interval": (
        "The 95% interval of a change between two runs on the same cases (Newcombe's method). "
        "If it includes 0, the runs may not really differ."
    ),
    "Cohen's kappa": (
        "How often two graders agree beyond what chance alone would give: 1 is perfect "
        "agreement, 0 is no better than chance. Above 0.6 is usually read as good."
    ),
    "Krippendorff's alpha": (
        "Agreement among graders, like kappa, but works with any number of graders and "
        "missing grades: 1 is perfect, 0 is chance. 0.8 or more is usually read as reliable."
    ),
    "p50 / p95 latency": (
        "Half of the answers came faster than p50, and 95 in 100 came faster than p95. p95 is "
        "what a user waits for on a bad day."
    ),
    "critical error": (
        "A wrong answer on a case marked consequential: one where a wrong answer could cause "
        "real harm. The bar can allow none."
    ),
    "abstain": "The system declines to answer, saying the documents do not answer the question.",
    "exploratory": (
        "A run judged against no signed bar: its figures describe the system, but prove "
        "nothing about readiness until a lead signs the bar."
    ),
    "inconclusive": (
        "Too many cases failed to reach the system (network or service errors) to judge the "
        "run at all; resuming it calls those cases again."
    ),
}

ALIASES: dict[str, str] = {
    "95% lower bound of the interval": "95% lower bound",
    "lower bound": "95% lower bound",
    "upper bound": "95% upper bound",
    "wilson": "Wilson interval",
    "clopper-pearson": "Clopper–Pearson interval",
    "clopper–pearson": "Clopper–Pearson interval",
    "mcnemar": "McNemar's exact test",
    "mcnemar p-value": "McNemar's exact test",
    "kappa": "Cohen's kappa",
    "alpha": "Krippendorff's alpha",
    "interval": "95% interval",
    "p50": "p50 / p95 latency",
    "p95": "p50 / p95 latency",
}


def explain(term: str) -> str:
    """The plain-words meaning of `term` (or an alias); KeyError for a word not defined here,
    so a tooltip can never silently be blank."""
    key = ALIASES.get(term.lower(), term)
    if key not in GLOSSARY:
        lowered = {k.lower(): k for k in GLOSSARY}
        key = lowered[key.lower()]
    return GLOSSARY[key]


def tip(*terms: str) -> str:
    """A tooltip for a label naming several terms: each term's meaning, one per paragraph."""
    return "\n\n".join(f"**{t}**: {explain(t)}" for t in terms)


def entries() -> Iterator[tuple[str, str]]:
    """Every term with its meaning, alphabetically (the glossary a page lists)."""
    yield from sorted(GLOSSARY.items(), key=lambda item: item[0].lower().lstrip("0123456789% "))


COLUMNS: dict[str, str] = {
    "95% interval": "95% interval",
    "judged on": "judged on",
    "n": "n",
    "measured on": "population",
    "threshold": "judged on",
    "change": "paired interval",
    "kappa": "Cohen's kappa",
}
"""Table headings that name a statistical idea, with the glossary term that explains them."""


def column_help(columns: Iterable[str]) -> dict[str, str]:
    """Tooltips for the headings of a table that need one (heading → plain words)."""
    return {c: explain(COLUMNS[c]) for c in columns if c in COLUMNS}
