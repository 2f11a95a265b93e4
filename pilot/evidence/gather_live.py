"""The later half of the evidence: live review (`review.dashboard.status`), readiness (the
scorecard and ladder from `readiness.status.readiness`), decisions (stage history, approvals,
kill-switch drills, rollbacks), the audit verification (`runs.integrity.verify_all`), the
one-page summary and the known limitations, in plain words."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import duckdb

from pilot.core import audit, keys
from pilot.core.access import Who
from pilot.core.events import newest_events
from pilot.define.bar_versions import bar_history
from pilot.evidence.model import Figure, Provenance, Scope, Summary, clean
from pilot.readiness.stages import STAGES
from pilot.results.humane import utc_minute
from pilot.review import dashboard
from pilot.runs.integrity import bar_problem, goldenset_problem, run_problem

STATUS = {True: "met", False: "not met"}


def _f(section: str, key: str, label: str, value: Any, source: str, **kw: Any) -> Figure:
    prov = {k: kw.pop(k) for k in list(kw) if k in Provenance.model_fields}
    return Figure(key=f"{section}/{key}", section=section, label=label, value=clean(value),
                  provenance=Provenance(source=source, **prov), **kw)  # fmt: skip


def in_scope(window: str, scope: Scope) -> bool:
    return scope.windows is None or window in scope.windows


def live_figures(con: duckdb.DuckDBPyConnection, user: Who, scope: Scope) -> list[Figure]:
    data = dashboard.status(con, user)
    src = "pilot.review.dashboard.status"
    bar = data["threshold"] or {}
    prov = {"bar_version": bar.get("bar")}
    out = []
    for w in data["windows"]:
        if not in_scope(w["window"], scope):
            continue
        k, meets = w["window"], w.get("meets_bar")
        out.append(_f("live", f"{k}/accuracy", f"Live accuracy, {k}", w["accuracy"], src,
                      low=w["low"], high=w["high"], n=w["graded"], threshold=bar.get("value"),
                      unit="percent",
                      status=None if meets is None else ("pass" if meets else "fail"),
                      note=f"{w['correct']} of {w['graded']} graded correct; {w['sampled']} "
                      f"sampled of {w['outputs']} outputs" + ("; simulated" if w["simulated"]
                      else ""), window=k, **prov))  # fmt: skip
        crit = [c for c in data["critical_errors"] if c["window"] == k]
        out.append(_f("live", f"{k}/critical_errors", f"Critical errors graded, {k}",
                      len(crit), src, window=k, status="met" if not crit else "not met",
                      note=", ".join(c["output_id"] for c in crit[:20])))  # fmt: skip
    for c in dashboard.critical_outputs(con, user):
        if in_scope(c["window"], scope):
            out.append(_f("live", f"{c['window']}/critical/{c['output_id']}/{c['evaluator']}",
                          f"Critical error {c['output_id']}", c["answer"],
                          "pilot.review.dashboard.critical_outputs", window=c["window"],
                          status="fail", note=f"asked: {c['question']} — graded by "
                          f"{c['evaluator']}: {c['note'] or 'no note'}"))  # fmt: skip
    agree = data["agreement"]
    out.append(_f("live", "agreement/alpha", "Graders' agreement (Krippendorff's alpha)",
                  agree["alpha"], src, n=agree["n_double_graded"]))  # fmt: skip
    for p in agree["pairs"]:
        out.append(_f("live", f"agreement/{p['a']}+{p['b']}", f"Cohen's kappa, {p['a']} and "
                      f"{p['b']}", p["kappa"], src, n=p["n"],
                      note=f"raw agreement {p['raw']:.1%}"))  # fmt: skip
    out.append(_f("live", "simulated", "Live figures are simulated", data["simulated"], src))
    for a in data["approvals"]:
        if not in_scope(a["window"], scope):
            continue
        out.append(_f("decisions", f"approvals/{a['window']}", f"Approved without edit, "
                      f"{a['window']}", a["without_edit_rate"], src, low=a["low"],
                      high=a["high"], n=a["decisions"], window=a["window"],
                      note=f"{a['approved']} approved, {a['edited']} edited, {a['rejected']} "
                      "rejected" + ("; simulated" if a["simulated"] else "")))  # fmt: skip
    return out


def readiness_figures(data: dict[str, Any], scope: Scope) -> list[Figure]:
    src = "pilot.readiness.status.readiness"
    through = {"audit_through": scope.audit_through}
    out = [_f("readiness", "stage", "Autonomy stage", data["stage"], src,
              note=f"{data['stage_name']}: {data['stage_meaning']}"),
           _f("readiness", "at_risk", "At risk", data["at_risk"], src,
              status="at risk" if data["at_risk"] else "met",
              note="; ".join(data["risk_reasons"]))]  # fmt: skip
    for item in data["scorecard"]:
        out.append(_f("readiness", f"scorecard/{item['name']}", item["name"], item["status"],
                      "pilot.readiness.scorecard.scorecard", status=item["status"],
                      note=item["evidence"] + (f" — missing: {item['missing']}"
                      if item["missing"] else ""), **through))  # fmt: skip
    for g in data["gates"]:
        gk = f"gate/{g['from_stage']}-{g['to_stage']}"
        out.append(_f("readiness", gk, f"Gate {g['name']}", STATUS[g["met"]],
                      "pilot.readiness.ladder.all_gates", status=STATUS[g["met"]]))  # fmt: skip
        for r in g["requirements"]:
            out.append(_f("readiness", f"{gk}/{r['name']}", r["name"], r["value"],
                          "pilot.readiness.ladder.all_gates", low=r["low"], high=r["high"],
                          n=r["n"], threshold=r["threshold"], status=r["status"],
                          note=r["evidence"] + (f" — missing: {r['missing']}" if r["missing"]
                          else "")))  # fmt: skip
    return out


def decision_figures(con: duckdb.DuckDBPyConnection, data: dict[str, Any], user: Who,
                     scope: Scope) -> list[Figure]:  # fmt: skip
    out = []
    for c in data["history"]:
        out.append(_f("decisions", f"stage/{c['seq']}", f"{c['kind'].title()}: stage "
                      f"{c['from_stage']} → {c['to_stage']}", c["reason"],
                      "pilot.readiness.stages.history", config_version=c["config_version"],
                      note=f"by {c['by']} at {c['at']}; evidence hash {c['evidence_hash']}"))  # fmt: skip
    drills = audit.events(con, action="kill.", limit=50, before=scope.audit_through + 1)
    for e in reversed(drills):
        kind = "drill" if e.payload.get("test") else e.action.removeprefix("kill.")
        out.append(_f("decisions", f"kill/{e.seq}", f"Kill switch {kind}",
                      e.payload.get("reason") or "", "pilot.core.audit.events",
                      audit_through=scope.audit_through, note=f"by {e.actor} at {utc_minute(e.ts)}"))  # fmt: skip
    if not drills:
        out.append(_f("decisions", "kill/none", "Kill switch drills", 0,
                      "pilot.core.audit.events", audit_through=scope.audit_through,
                      status="not met", note="the kill switch has never been engaged or drilled"))  # fmt: skip
    target = data["rollback_target"]
    out.append(_f("decisions", "rollback_target", "Rollback target",
                  target["config_version"] if target else None,
                  "pilot.readiness.decisions.rollback_target",
                  note=f"stage {target['stage']}" if target else "none"))  # fmt: skip
    return out


def audit_figures(con: duckdb.DuckDBPyConnection, key: keys.PilotKey | None, scope: Scope,
                  runs: list[str], goldensets: list[str]) -> list[Figure]:  # fmt: skip
    """The whole chain (with the key and the anchor this report names), then the records the
    report speaks for: every bar version, and the golden sets and runs it covers, each against
    the keyed event that recorded it (`runs.integrity`'s own checks)."""
    head = audit.event_at(con, scope.audit_through) if scope.audit_through else None
    anchor = (scope.audit_through, head.hash) if head else None
    chain = audit.verify(con, anchor, key)
    events = newest_events(con, ("bar.draft", "bar.sign", "run.finish"))
    bars = [b.version for b in bar_history(con)]
    problems = [bar_problem(con, v, events) for v in bars]
    problems += [goldenset_problem(con, v) for v in goldensets]
    problems += [run_problem(con, r, events.get(("run.finish", f"run:{r}"))) for r in runs]
    report = SimpleNamespace(problems=[p for p in problems if p], checked={
        "bar versions": len(bars), "golden-set versions": len(goldensets), "runs": len(runs)})  # fmt: skip
    src = "pilot.runs.integrity"
    through = {"audit_through": scope.audit_through}
    out = [
        _f("audit", "chain", "Audit chain verifies", chain.intact, src, status=STATUS[chain.intact],
           note=chain.reason or "; ".join(chain.notes()) or "every event, MAC and the head",
           **through),
        _f("audit", "anchor", "Anchor (event:hash) this report covers",
           f"{anchor[0]}:{anchor[1]}" if anchor else None, "pilot.core.audit.event_at",
           note=f"events 1 to {scope.audit_through}", **through),
        _f("audit", "keyed", "Sealed with the pilot key", chain.keyed, src,
           status=STATUS[chain.keyed], note=f"key id {chain.key_id}" if chain.key_id else
           "no key", **through),
        _f("audit", "records", "Bars, golden-set versions and runs match their events",
           not report.problems, src, status=STATUS[not report.problems],
           note="; ".join(report.problems) or ", ".join(f"{n} {what}" for what, n in
                                                        report.checked.items()), **through),
    ]  # fmt: skip
    return out


def summary(data: dict[str, Any]) -> Summary:
    stage, at_risk = data["stage"], data["at_risk"]
    gate = data["next_gate"]
    reasons = [f"AT RISK: {r}" for r in data["risk_reasons"]]
    if gate is None:
        ready, target = not at_risk, None
        headline = f"At the top of the ladder (stage 3, {STAGES[3]})" + (
            ", and AT RISK" if at_risk else ", holding"
        )
    else:
        target = gate["to_stage"]
        ready = gate["met"] and not at_risk
        word = "READY" if ready else "NOT READY"
        headline = (
            f"{word} for stage {target} ({STAGES[target]}); now at stage {stage} ({STAGES[stage]})"
        )
        for r in gate["requirements"]:
            if not r["met"]:
                reasons.append(f"{r['name']}: {r['missing'] or r['evidence']}")
    for item in data["scorecard"]:
        if item["status"] != "met":
            reasons.append(f"{item['name']} ({item['status']}): {item['missing']}")
    return Summary(ready=ready, stage=stage, stage_name=STAGES[stage], for_stage=target,
                   for_stage_name=STAGES[target] if target is not None else None,
                   headline=headline, reasons=tuple(reasons), at_risk=at_risk)  # fmt: skip


def limitations(data: dict[str, Any], figures: list[Figure],
                record: dict[str, Any] | None) -> tuple[str, ...]:  # fmt: skip
    by = {f.key: f for f in figures}
    said = [
        "Every figure is as of the generation time and the audit event this report names; "
        "anything recorded later is not in it. `pilot replay` recomputes every figure from "
        "the database and names any that no longer matches: the clock and the audit events "
        "it counts are taken as of this report, everything else (runs, grades, approvals, "
        "stage changes, the kill switch's last drill) as the database holds it at replay, so a "
        "later run of record, grade or drill shows as a difference.",
        "Intervals are 95% intervals. A golden set measures the cases in it: questions unlike "
        "them may fare differently.",
        "Citation measures treat each citation as independent, although citations cluster "
        "within a case, so their intervals are somewhat narrower than they should be.",
        "The audit chain proves the log was not altered only as far as the pilot key is kept "
        "secret: whoever holds the key file could rewrite it. Keep the anchor above somewhere "
        "outside the pilot's machine.",
        "The shared-accounts check in the scorecard looks at account names only.",
    ]
    if by.get("live/simulated") and by["live/simulated"].value:
        said.insert(0, "The live figures include SIMULATED outputs, grades and approvals "
                    "(demo data): they show how the report reads, not how the system behaves.")  # fmt: skip
    leak = by.get("workflow/leak_check")
    if leak is None or leak.value is None:
        said.append("No leak check is recorded: the data boundary is written down and "
                    "enforced by redaction before anything leaves, but nothing has tested "
                    "afterwards that nothing leaked.")  # fmt: skip
    if record is None:
        said.append("There is no run of record: no finished run on the current golden set "
                    "and signed bar.")  # fmt: skip
    elif not record["pinned"]:
        said.append(f"The run of record ({record['run_id']}) is the newest finished run on the "
                    "current golden set and bar; no lead pinned it.")  # fmt: skip
    if not any(f.section == "live" and f.key.endswith("/accuracy") for f in figures):
        said.append("No live window is covered: there is no evidence from real use.")
    return tuple(said)
