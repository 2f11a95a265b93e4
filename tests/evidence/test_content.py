"""What the report holds, checked against independent computations, and that its HTML is inert
and self-contained."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
from evidence_data import Pilot
from scipy.stats import binomtest

from pilot.core.store import Store
from pilot.define.workflow import current_workflow, save_workflow
from pilot.evidence.model import SECTIONS
from pilot.evidence.render import esc, json_block
from pilot.evidence.report import build, read_report

HOSTILE = (
    '<script>window.pwned = 1</script><img src=x onerror="window.pwned=2"> https://evil.example/x'
)


def test_figures_match_an_independent_count(demo_pilot: Pilot) -> None:
    evidence, _, _, _ = build(Store(demo_pilot.db), "priya")
    by = evidence.by_key()
    run_id = next(f.provenance.run_id for f in evidence.figures if f.key.endswith("/verdict"))
    con = duckdb.connect(str(demo_pilot.db), read_only=True)
    k, n = con.execute(
        "SELECT count(*) FILTER (WHERE correct), count(*) FROM results WHERE run_id = ?", [run_id]
    ).fetchone()
    accuracy = by[f"run/{run_id}/metric/accuracy"]
    assert accuracy.n == n and accuracy.value == k / n
    # Wilson's interval, from its formula (z = 1.959964)
    z, p = 1.959963984540054, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    assert (
        abs(accuracy.low - (centre - half)) < 1e-9 and abs(accuracy.high - (centre + half)) < 1e-9
    )
    assert accuracy.provenance.run_id == run_id and accuracy.provenance.bar_hash
    assert accuracy.provenance.goldenset_version and accuracy.provenance.config_version
    # a live window: correct only when every current grade says correct
    week = next(f.provenance.window for f in evidence.section("live") if f.n)
    k2, n2 = con.execute(
        "SELECT count(*) FILTER (WHERE ok), count(*) FROM (SELECT output_id, "
        "bool_and(verdict = 'correct') AS ok FROM current_grades WHERE output_id IN "
        "(SELECT output_id FROM sample_items WHERE week = ?) GROUP BY 1)", [week],
    ).fetchone()  # fmt: skip
    live = by[f"live/{week}/accuracy"]
    assert (live.n, live.value) == (n2, k2 / n2)
    scipy_ci = binomtest(k2, n2).proportion_ci(method="wilson")
    assert abs(scipy_ci.low - live.low) < 1e-9 and abs(scipy_ci.high - live.high) < 1e-9
    events = con.execute("SELECT max(seq) FROM audit_events WHERE action <> 'report.generate'")
    assert by["audit/anchor"].value.startswith(f"{events.fetchone()[0]}:")
    con.close()


def test_every_section_and_the_summary_come_in_order(demo_pilot: Pilot) -> None:
    _, sha, mac, html = build(Store(demo_pilot.db), "priya")
    positions = [html.index(f'<section id="{name}"') for name in SECTIONS]
    assert positions == sorted(positions)
    assert html.index('id="summary"') < html.index('id="limitations"') < html.index('id="verify"')
    assert "NOT READY for stage 1 (Draft)" in html[: html.index("<nav>")]
    assert f'content="{sha}"' in html and f'content="{mac}"' in html


def test_no_url_and_a_strict_policy(demo_pilot: Pilot) -> None:
    _, _, _, html = build(Store(demo_pilot.db), "priya")
    assert "http://" not in html and "https://" not in html and "//" + "cdn" not in html
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    assert "unsafe-eval" not in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert html.count("<script>") == 2  # Plotly and the chart starter, both allowed by hash


def test_hostile_text_is_escaped_and_cannot_end_the_evidence_block(pilot_copy: Pilot) -> None:
    store = Store(pilot_copy.db)
    with store.read() as con:
        wf = current_workflow(con)
    workflow = wf.workflow.model_copy(
        update={"name": HOSTILE, "description": "</script>" + HOSTILE}
    )
    save_workflow(store, "priya", workflow, wf.boundary)
    evidence, _, _, html = build(store, "priya")
    assert "<script>window.pwned" not in html and "<img src=x" not in html
    assert esc(HOSTILE) in html
    assert "evil.example" in html and "https://evil" not in html
    raw, _ = read_report(html, "report")
    assert json.loads(raw)["figures"][0]["value"] == HOSTILE  # the data is kept exactly
    assert "</script" not in json_block("</script><!--")


def test_an_empty_pilot_reports_and_replays(users_store: Store) -> None:
    from pilot.evidence.report import generate, replay

    made = generate(users_store, "priya")
    assert made.evidence.summary.headline.startswith("NOT READY for stage 1")
    assert "There is no run of record" in " ".join(made.evidence.limitations)
    assert "No live window is covered" in " ".join(made.evidence.limitations)
    checked = replay(users_store, "sam", made.html)
    assert checked.ok and checked.signature == "valid", checked.differences


def test_every_golden_set_version_with_who_agreed_it(pilot_copy: Pilot, tmp_path: Path) -> None:
    from helpers import write_cases

    from pilot.evidence.report import replay
    from pilot.goldensets import versions as gs

    store = Store(pilot_copy.db)
    first = gs.import_goldenset(store, "priya", write_cases(tmp_path / "a.jsonl", 10), name="x")
    gs.record_agreement(store, "priya", first.version, "Omar Haddad")
    second = gs.import_goldenset(store, "priya", write_cases(tmp_path / "b.jsonl", 12), name="x")
    evidence, _, _, html = build(store, "priya")
    by = evidence.by_key()
    assert by["goldenset/x/version"].value == second.version
    earlier = by[f"goldenset/x/earlier/{first.version}"]
    assert earlier.value == first.version and "10 cases" in earlier.note
    assert "agreed by Omar Haddad" in earlier.note
    result = replay(store, "priya", html)
    assert result.ok, result.differences


def test_the_report_speaks_words_not_keys(demo_pilot: Pilot) -> None:
    """A risk committee reads criteria as sentences and times to the minute: no metric keys
    (`abstain_rate_unanswerable`), comparison keys (`at_least`) or microsecond timestamps."""
    evidence, _, _, html = build(Store(demo_pilot.db), "priya")
    bar = [f for f in evidence.section("bar") if "/criterion/" in f.key]
    labels = {f.label: f.note for f in bar}
    assert labels["Accuracy on all cases"] == "at least 90%, judged on the 95% lower bound"
    assert (
        labels["Abstain rate on unanswerable cases"] == "at least 80%, judged on the point estimate"
    )
    shown = re.sub(r"<script.*?</script>", "", html, flags=re.S)  # what a reader sees
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", shown)  # no ISO time with microseconds
    assert not re.search(r"\bat_(least|most)\b|abstain_rate_unanswerable", shown)
    assert re.search(r"Generated</th><td>\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC by ", shown)
