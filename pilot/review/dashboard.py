"""What the review dashboard and `pilot review status` show, computed in one place.

Live accuracy per window: a sampled item counts once, as correct only when every current grade
on it says correct (a doubly graded item both graders disagree on is not counted correct), with
a Wilson 95% interval and the signed bar's accuracy threshold. Agreement is measured on items
graded by two people: Cohen's kappa per evaluator pair and Krippendorff's alpha (nominal, over
verdicts) for everyone, by `metrics.agreement` (checked against scikit-learn and krippendorff).
Evaluators never see this: it shows other people's grades (`can_see_grades`).
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from metrics.agreement import cohen_kappa, krippendorff_alpha
from metrics.intervals import wilson
from metrics.planner_text import more_sentence
from pilot.core.access import can, require
from pilot.core.store import frame
from pilot.define.bar_versions import latest_signed_bar
from pilot.define.criteria import Criterion
from pilot.define.planner import criterion_rule
from pilot.review import queue

if TYPE_CHECKING:
    import plotly.graph_objects as go


def can_see_grades(role: str) -> bool:
    """Evaluators grade blind, so only the other roles read the dashboard."""
    return can(role, "read_grades")


def threshold(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    bar = latest_signed_bar(con)
    if bar is None:
        return None
    for c in bar.bar.criteria:
        if c.metric == "accuracy" and c.scope == "all":
            return {"value": c.threshold, "judged_on": c.judged_on, "bar": bar.version}
    return None


# Every query here reads the review tables (sampled items are few), never a scan of
# live_outputs: per-week output counts are kept in live_weeks at ingest.
_SAMPLED = "(SELECT DISTINCT output_id, week, simulated FROM sample_items)"
_ITEMS = f"""
SELECT si.week, cg.output_id, bool_and(cg.verdict = 'correct') AS correct,
       count(*) AS n_grades, bool_or(si.simulated) AS simulated
FROM current_grades cg JOIN {_SAMPLED} si USING (output_id)
GROUP BY ALL
"""


def _windows(
    con: duckdb.DuckDBPyConnection, bar: dict[str, Any] | None, plans: bool = True
) -> list[dict[str, Any]]:
    outputs = dict(con.execute("SELECT week, outputs FROM live_weeks").fetchall())
    sampled = dict(
        con.execute(
            "SELECT week, count(DISTINCT output_id) FROM sample_items GROUP BY 1"
        ).fetchall()
    )
    graded = con.execute(
        f"SELECT week, count(*), count(*) FILTER (WHERE correct), bool_or(simulated) "
        f"FROM ({_ITEMS}) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    rows = []
    by_week = {w: (n, k, sim) for w, n, k, sim in graded}
    criterion = None
    if bar is not None:
        criterion = Criterion(metric="accuracy", threshold=bar["value"], judged_on=bar["judged_on"])
    for week in sorted(set(sampled) | set(by_week)):
        n, k, sim = by_week.get(week, (0, 0, False))
        low, high = wilson(k, n) if n else (None, None)
        row = {"window": week, "outputs": outputs.get(week, 0), "sampled": sampled.get(week, 0),
               "graded": n, "correct": k, "accuracy": k / n if n else None, "low": low,
               "high": high, "simulated": bool(sim)}  # fmt: skip
        if criterion is not None and n:
            # The bar's own rule judges the week, and the planner sizes for that rule: "about N
            # more graded outputs" if the system keeps this week's rate (only where shown).
            row["meets_bar"] = criterion.passes(row["accuracy"], low, high)
            if plans:
                row["plan"] = more_sentence(n, criterion_rule(criterion), k / n)
        rows.append(row)
    return rows


def _progress(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT a.evaluator, si.week, count(*) AS assigned, "
        "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM grades g WHERE g.output_id = a.output_id "
        f"AND g.evaluator = a.evaluator)) AS graded "
        f"FROM assignments a JOIN {_SAMPLED} si USING (output_id) GROUP BY 1, 2 ORDER BY 2, 1"
    ).fetchall()
    return [{"evaluator": e, "window": w, "assigned": a, "graded": g} for e, w, a, g in rows]


def _critical(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT si.week, cg.output_id, cg.evaluator, cg.note, cg.graded_at, si.simulated "
        f"FROM current_grades cg JOIN {_SAMPLED} si USING (output_id) "
        "WHERE cg.severity = 'critical' ORDER BY si.week, cg.graded_at"
    ).fetchall()
    keys = ("window", "output_id", "evaluator", "note", "graded_at", "simulated")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def critical_outputs(con: duckdb.DuckDBPyConnection, user: str | None) -> list[dict[str, Any]]:
    """Each output graded critical with what was asked and answered (for the evidence report;
    model output is untrusted text: render it inert)."""
    require(con, user, "read_grades")
    rows = con.execute(
        "SELECT si.week, o.id, o.input, o.output, cg.evaluator, cg.note FROM current_grades cg "
        f"JOIN {_SAMPLED} si USING (output_id) JOIN live_outputs o ON o.id = cg.output_id "
        "WHERE cg.severity = 'critical' ORDER BY si.week, o.id, cg.evaluator"
    ).fetchall()
    keys = ("window", "output_id", "question", "answer", "evaluator", "note")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def agreement(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    grades = frame(
        con,
        "SELECT output_id AS unit, evaluator AS rater, verdict AS value FROM current_grades "
        "WHERE output_id IN (SELECT output_id FROM current_grades GROUP BY 1 HAVING count(*) > 1)",
    )
    pairs = []
    raters = sorted(set(grades["rater"].to_list())) if grades.height else []
    for a, b in combinations(raters, 2):
        both = (
            grades.filter(pl.col("rater") == a)
            .join(grades.filter(pl.col("rater") == b), on="unit", suffix="_b")
            .sort("unit")
        )
        if both.height:
            kappa = cohen_kappa(both["value"].to_list(), both["value_b"].to_list())
            agree = float((both["value"] == both["value_b"]).mean())
            pairs.append({"a": a, "b": b, "n": both.height, "kappa": kappa, "raw": agree})
    alpha = krippendorff_alpha(grades) if grades.height else None
    n_units = grades["unit"].n_unique() if grades.height else 0
    return {"pairs": pairs, "alpha": alpha, "n_double_graded": n_units}


def _approvals(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT a.week, count(*), count(*) FILTER (WHERE a.decision = 'approved'), "
        "count(*) FILTER (WHERE a.decision = 'edited'), "
        "count(*) FILTER (WHERE a.decision = 'rejected'), bool_or(a.simulated) "
        "FROM approvals a GROUP BY 1 ORDER BY 1"
    ).fetchall()
    out = []
    for week, n, approved, edited, rejected, sim in rows:
        low, high = wilson(approved, n)
        out.append({"window": week, "decisions": n, "approved": approved, "edited": edited,
                    "rejected": rejected, "without_edit_rate": approved / n, "low": low,
                    "high": high, "simulated": bool(sim)})  # fmt: skip
    return out


def live_evidence(con: duckdb.DuckDBPyConnection, user: str | None) -> dict[str, Any]:
    """What Readiness charts of the live evidence (a subset of `status`, without the planner's
    sentences, graders' progress and agreement): the bar's threshold, graded weeks, critical
    errors and approvals; `user` must be allowed to read grades."""
    require(con, user, "read_grades")
    bar = threshold(con)
    return {
        "threshold": bar,
        "windows": _windows(con, bar, plans=False),
        "critical_errors": _critical(con),
        "approvals": _approvals(con),
    }


def status(con: duckdb.DuckDBPyConnection, user: str | None) -> dict[str, Any]:
    """Everything the dashboard shows; `user` must be allowed to read grades."""
    require(con, user, "read_grades")
    bar = threshold(con)
    return {
        "threshold": bar,
        "windows": _windows(con, bar),
        "progress": _progress(con),
        "critical_errors": _critical(con),
        "agreement": agreement(con),
        "approvals": _approvals(con),
        "stale_claims": [
            {"output_id": c.output_id, "evaluator": c.evaluator, "claimed_at": c.claimed_at}
            for c in queue.stale_claims(con)
        ],
        "simulated": bool(
            con.execute("SELECT coalesce(sum(simulated), 0) FROM live_weeks").fetchone()[0]
        ),
    }


def accuracy_figure(data: dict[str, Any]) -> go.Figure:
    """Live accuracy per window: point, 95% interval, n on hover, the bar as a line."""
    import plotly.graph_objects as go

    from pilot.results.charts import BAR_LINE, PRIMARY, pct

    rows = [r for r in data["windows"] if r["graded"]]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            name="Live accuracy",
            x=[r["window"] + (" (simulated)" if r["simulated"] else "") for r in rows],
            y=[r["accuracy"] for r in rows],
            error_y={
                "type": "data",
                "visible": True,
                "array": [r["high"] - r["accuracy"] for r in rows],
                "arrayminus": [r["accuracy"] - r["low"] for r in rows],
            },
            mode="markers+lines",
            marker={"size": 11, "color": PRIMARY},
            customdata=[[r["graded"], pct(r["low"]), pct(r["high"])] for r in rows],
            hovertemplate="%{x}<br>accuracy %{y:.1%}<br>95% interval %{customdata[1]} to "
            "%{customdata[2]}<br>n = %{customdata[0]} graded outputs<extra></extra>",
        )  # fmt: skip
    )
    bar = data["threshold"]
    if bar is not None and rows:
        fig.add_hline(y=bar["value"], line={"color": BAR_LINE, "dash": "dash"},
                      annotation_text=f"bar: {pct(bar['value'])}")  # fmt: skip
    fig.update_layout(
        title={"text": "Live accuracy per week, with 95% intervals", "x": 0},
        yaxis={"range": [0, 1.05], "tickformat": ".0%", "title": {"text": "Accuracy"}},
        xaxis={"title": {"text": "ISO week"}, "type": "category"},
        height=380,
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return fig
