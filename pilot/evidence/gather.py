"""Gather the evidence: every figure computed by the function that owns it, never restated.

Workflow and boundary (`define.workflow`), bars (`define.bar_versions`), golden sets
(`goldensets.stored`), each run's figures recomputed from its stored result rows
(`runs.scoring.summarise`) beside what `results.report.run_report` stored, regressions
(`results.comparison.compare`); the live review, readiness, decisions and audit in
`gather_live`. The same call with the same scope gives the same evidence: that is replay.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from metrics.registry import registered
from pilot.core import audit
from pilot.core.access import Who, name_of, require
from pilot.core.store import Store
from pilot.define.bar_versions import bar_history, bar_version
from pilot.define.criteria import basis, criterion_name, threshold_words
from pilot.define.leak_check import leak_check_status
from pilot.define.workflow import current_workflow
from pilot.evidence import gather_live
from pilot.evidence.model import Evidence, Figure, Provenance, Scope, clean
from pilot.goldensets.stored import list_goldensets, version_info, versions
from pilot.readiness.status import readiness
from pilot.results.chart_style import label
from pilot.results.comparison import compare
from pilot.results.humane import plural, utc_minute
from pilot.results.report import run_report
from pilot.results.view import finished_runs
from pilot.runs.record import remembered_frames
from pilot.runs.scoring import summarise

REPORT_ACTION = "report.generate"
DEFAULT_RUNS = 6


def _judged(metric: str, comparison: str, threshold: float, judged_on: str) -> str:
    """E.g. "at least 90%, judged on the 95% lower bound"; a metric no longer registered
    keeps its threshold as stored."""
    try:
        bound = threshold_words(metric, comparison, threshold)
    except ValueError:  # metric_spec's refusal of an unknown metric
        bound = f"{comparison.replace('_', ' ')} {threshold}"
    return f"{bound}, judged on {basis(judged_on, comparison)}"


def stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def moment(scope: Scope) -> datetime:
    return datetime.fromisoformat(scope.generated_at.replace("Z", "+00:00"))


def default_scope(store: Store, user: Who, runs: list[str] | None = None,
                  windows: list[str] | None = None) -> Scope:  # fmt: skip
    """Now, the chain up to its newest event that is not a report's own, the chosen runs (by
    default the run of record and the newest finished runs on its golden-set version)."""
    with store.read() as con:
        require(con, user, "read_report")
        through = audit.newest_seq(con, (REPORT_ACTION,))
        chosen = list(runs or [])
        if not chosen:
            data = readiness(con, user)
            record = data["run_of_record"]
            scored = finished_runs(con)
            if record:
                same = [r["run_id"] for r in scored
                        if r["goldenset_version"] == record["goldenset_version"]]  # fmt: skip
                chosen = [record["run_id"], *[r for r in same if r != record["run_id"]]]
            else:
                chosen = [r["run_id"] for r in scored]
            chosen = chosen[:DEFAULT_RUNS]
    return Scope(generated_at=stamp(datetime.now(UTC)), generated_by=name_of(user) or "", runs=tuple(chosen),
                 windows=tuple(windows) if windows else None, audit_through=through)  # fmt: skip


def gather(store: Store, user: Who, scope: Scope) -> Evidence:
    """Every figure of the report, as of `scope` (its time and audit event)."""
    reports = {run_id: run_report(store, run_id) for run_id in scope.runs}
    key = store.key()
    with store.read() as con, remembered_frames():
        require(con, user, "read_report")
        data = readiness(con, user, key, moment(scope), scope.audit_through)
        record = data["run_of_record"]
        if record and record["run_id"] not in reports:
            reports[record["run_id"]] = run_report(store, record["run_id"])
        figures: list[Figure] = []
        figures += workflow_figures(con, scope)
        figures += bar_figures(con, record)
        figures += goldenset_figures(con, record)
        figures += run_figures(con, record, reports, scope)
        figures += regression_figures(con, reports, scope)
        live = gather_live.live_figures(con, user, scope)
        figures += live
        figures += gather_live.readiness_figures(data, scope)
        figures += gather_live.decision_figures(con, data, user, scope)
        versions = sorted({r["manifest"]["goldenset"]["version"] for r in reports.values()})
        figures += gather_live.audit_figures(con, key, scope, list(reports), versions)
        summary = gather_live.summary(data)
        limits = gather_live.limitations(data, figures, record)
    return Evidence(scope=scope, summary=summary, figures=tuple(figures), limitations=limits)


def _f(section: str, key: str, label: str, value: Any, source: str, **kw: Any) -> Figure:
    prov = {k: kw.pop(k) for k in list(kw) if k in Provenance.model_fields}
    return Figure(key=f"{section}/{key}", section=section, label=label, value=clean(value),
                  provenance=Provenance(source=source, **prov), **kw)  # fmt: skip


def workflow_figures(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[Figure]:
    wf = current_workflow(con)
    src = "pilot.define.workflow.current_workflow"
    if wf is None:
        return [_f("workflow", "recorded", "Workflow recorded", False, src, status="not met")]
    w, b = wf.workflow, wf.boundary
    prov = {"note": f"workflow version {wf.version}, hash {wf.content_hash[:16]}"}
    out = [
        _f("workflow", "name", "Workflow", w.name, src, **prov),
        _f("workflow", "description", "What it does", w.description, src),
        _f("workflow", "process_owner", "Process owner", w.process_owner, src),
        _f("workflow", "accountable_lead", "Accountable lead", w.accountable_lead, src),
        _f("workflow", "user_group", "Who uses it", w.user_group, src),
        _f("workflow", "systems", "Systems", list(w.systems), src),
        _f("workflow", "version", "Workflow and boundary version", wf.version, src,
           note=f"saved by {wf.created_by} at {utc_minute(wf.created_at)}; hash {wf.content_hash}"),
        _f("workflow", "allowed_fields", "Fields that may leave for the model",
           list(b.allowed_fields), src),
        _f("workflow", "readable_sources", "Sources the system may read",
           list(b.readable_sources) or ["every source of a case"], src),
        _f("workflow", "restricted_fields", "Never leaves (enforced by redaction)",
           list(b.restricted_fields), src),
        _f("workflow", "redaction_rules", "Redaction rules",
           [r.name for r in b.redaction_rules], src),
    ]  # fmt: skip
    st = b.provider_statement
    out.append(_f("workflow", "provider_statement", "Provider's data-use statement",
                  st.statement if st else None, src, status="met" if st else "not met",
                  note=f"confirmed by {st.confirmed_by} on {st.confirmed_at}" if st else
                  "not recorded"))  # fmt: skip
    check, current = leak_check_status(con)
    clean = bool(check and check.leaks_found == 0 and current)
    out.append(_f("workflow", "leak_check", "Last leak check",
                  None if check is None else f"{check.leaks_found} leak(s) in "
                  f"{check.items_tested} item(s) tested", "pilot.define.leak_check."
                  "leak_check_status", status="met" if clean else "not met",
                  note="no leak check recorded" if check is None else
                  f"by {check.checked_by} at {utc_minute(check.checked_at)} on workflow v"
                  f"{check.workflow_version}" + ("" if current else
                  "; the boundary changed after it: check it again")))  # fmt: skip
    return out


def bar_figures(con: duckdb.DuckDBPyConnection, record: dict[str, Any] | None) -> list[Figure]:
    src = "pilot.define.bar_versions.bar_version"
    out = []
    for bv in bar_history(con):
        prov = {"bar_version": bv.version, "bar_hash": bv.content_hash}
        k = f"v{bv.version}"
        problems = bv.problems()
        out.append(_f("bar", f"{k}/status", f"Bar v{bv.version}", "signed" if bv.signed else
                      "draft (exploratory)", src, status="met" if bv.signed and not problems
                      else "not met", note=(f"signed by {bv.signed_by} at {utc_minute(bv.signed_at)}; "
                      f"signature {bv.signature_hash}" if bv.signed else "not signed")
                      + ("; " + "; ".join(problems) if problems else ""), **prov))  # fmt: skip
        if record is None or bv.version != record["bar_version"]:
            continue
        bar = bar_version(con, bv.version)
        assert bar is not None
        for c in bar.bar.criteria:
            out.append(_f("bar", f"{k}/criterion/{c.metric}/{c.scope}",
                          criterion_name(c.metric, c.scope), c.threshold, src,
                          unit=registered()[c.metric].unit,
                          note=_judged(c.metric, c.comparison, c.threshold, c.judged_on),
                          **prov))  # fmt: skip
        out.append(_f("bar", f"{k}/min_cases", "Minimum number of cases", bar.bar.min_cases,
                      src, **prov))  # fmt: skip
        out.append(_f("bar", f"{k}/match_rule", "How an answer is judged correct",
                      bar.bar.match_rule.label(), src, **prov))  # fmt: skip
    return out


def goldenset_figures(
    con: duckdb.DuckDBPyConnection, record: dict[str, Any] | None
) -> list[Figure]:
    out = []
    for gs in list_goldensets(con):
        name, version = gs["name"], gs["latest_version"]
        if version is None:
            continue
        info = version_info(con, version)
        assert info is not None
        prov = {"goldenset_version": version}
        src = "pilot.goldensets.stored.version_info"
        used = record is not None and record["goldenset_version"] == version
        out += [
            _f("goldenset", f"{name}/version", f"{name}: version", version, src,
               note=f"{plural(gs['versions'], 'version')}; imported by {info.created_by} at "
               f"{utc_minute(info.created_at)}" + ("; the run of record's" if used else ""), **prov),
            _f("goldenset", f"{name}/cases", f"{name}: cases", info.n_cases, src,
               note=f"{info.n_unanswerable} unanswerable", **prov),
            _f("goldenset", f"{name}/agreed_by", f"{name}: agreed by", info.agreed_by, src,
               status="met" if info.agreed_by else "not met",
               note=f"at {utc_minute(info.agreed_at)}" if info.agreed_by else "no agreement recorded",
               **prov),
        ]  # fmt: skip
        for older in versions(con, name)[1:]:  # every earlier version, newest first
            agreed = (f"agreed by {older.agreed_by} at {utc_minute(older.agreed_at)}" if older.agreed_by
                      else "no agreement recorded")  # fmt: skip
            out.append(_f("goldenset", f"{name}/earlier/{older.version}",
                          f"{name}: earlier version", older.version, src,
                          note=f"{plural(older.n_cases, 'case')}; imported by {older.created_by} "
                          f"at {utc_minute(older.created_at)}; {agreed}",
                          goldenset_version=older.version))  # fmt: skip
    return out


def _run_prov(report: dict[str, Any]) -> dict[str, Any]:
    m = report["manifest"]
    return {"run_id": report["run_id"], "goldenset_version": m["goldenset"]["version"],
            "bar_version": m["bar"]["version"], "bar_hash": m["bar"]["content_hash"],
            "config_version": m["system"]["version"]}  # fmt: skip


def run_figures(con: duckdb.DuckDBPyConnection, record: dict[str, Any] | None,
                reports: dict[str, dict[str, Any]], scope: Scope) -> list[Figure]:  # fmt: skip
    out = []
    ids = list(dict.fromkeys(([record["run_id"]] if record else []) + list(scope.runs)))
    units = {name: spec.unit for name, spec in registered().items()}
    src = "pilot.runs.scoring.summarise"
    for run_id in ids:
        report = reports[run_id]
        prov = _run_prov(report)
        fresh = summarise(con, run_id)  # recomputed from the stored result rows
        verdict = fresh["verdict"]
        k = run_id
        out.append(_f("run", f"{k}/verdict", f"Run {run_id}: verdict",
                      "inconclusive" if verdict.get("inconclusive") else
                      "passes" if verdict.get("passed") else "fails", src,
                      status="pass" if verdict.get("passed") else "fail",
                      note=("the run of record; " if record and run_id == record["run_id"]
                            else "") + f"status {report['status']}", **prov))  # fmt: skip
        out.append(_f("run", f"{k}/stored_matches", f"Run {run_id}: stored verdict equals "
                      "the recomputation", report["verdict"] == verdict, "pilot.results.report."
                      "run_report", status="met" if report["verdict"] == verdict else "not met",
                      **prov))  # fmt: skip
        for c in verdict.get("criteria", []):
            out.append(_f("run", f"{k}/criterion/{c['metric']}/{c['scope']}",
                          criterion_name(c["metric"], c["scope"]), c["value"], src, low=c["low"],
                          unit=units.get(c["metric"]),
                          high=c["high"], n=c["n"], threshold=c["threshold"],
                          status="pass" if c["passed"] else "fail",
                          note=_judged(c["metric"], c["direction"], c["threshold"], c["judged_on"]),
                          **prov))  # fmt: skip
        crit = verdict.get("critical_errors", [])
        out.append(_f("run", f"{k}/critical_errors", "Critical errors", len(crit), src,
                      threshold=verdict.get("max_critical_errors"), note=", ".join(crit[:20]),
                      **prov))  # fmt: skip
        for name, e in fresh["metrics"].items():
            out.append(_f("run", f"{k}/metric/{name}", label(name), e.get("value"), src,
                          low=e.get("low"), high=e.get("high"), n=e.get("n"),
                          unit=units.get(name), **prov))  # fmt: skip
    return out


def regression_figures(con: duckdb.DuckDBPyConnection, reports: dict[str, dict[str, Any]],
                       scope: Scope) -> list[Figure]:  # fmt: skip
    by_version: dict[str, list[dict[str, Any]]] = {}
    for run_id in scope.runs:
        r = reports[run_id]
        if r["status"] == "finished":
            by_version.setdefault(r["manifest"]["goldenset"]["version"], []).append(r)
    out = []
    units = {name: spec.unit for name, spec in registered().items()}
    src = "pilot.results.comparison.compare"
    for runs in by_version.values():
        runs.sort(key=lambda r: r["run_id"])
        runs.sort(key=lambda r: finished_at(con, r["run_id"]))
        for base, new in zip(runs, runs[1:], strict=False):
            c = compare(con, base["run_id"], new["run_id"])
            prov = _run_prov(new)
            k = f"{base['run_id']}..{new['run_id']}"
            worse = c.significantly_worse()
            out.append(_f("regression", f"{k}/flips", f"{base['run_id']} → {new['run_id']}",
                          f"{c.b} now wrong, {c.c} now right", src, n=c.n,
                          status="fail" if worse else "pass",
                          note=f"McNemar exact p = {c.p_value:.4g}"
                          + ("; significantly worse" if worse else ""), **prov))  # fmt: skip
            for name, d in c.deltas.items():
                out.append(_f("regression", f"{k}/delta/{name}", f"{label(name)}: change", d.value,
                              src, low=d.low, high=d.high, n=d.n, unit=units.get(name),
                              **prov))  # fmt: skip
    return out


def finished_at(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    from pilot.runs.run import load_run

    run = load_run(con, run_id)
    return (run.finished_at or "") if run else ""
