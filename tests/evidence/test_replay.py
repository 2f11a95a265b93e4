"""`pilot demo && pilot report --out evidence.html && pilot replay evidence.html`, and replay
failing, naming the figure, when a stored row changes or the file is edited."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from evidence_data import Pilot

from pilot.core.store import Store
from pilot.evidence.model import parse
from pilot.evidence.report import generate, read_report
from pilot.results.humane import local_time


def _evidence(path: Path):  # noqa: ANN202
    return parse(read_report(path.read_text(), str(path))[0])


def test_demo_report_then_replay(demo_pilot: Pilot) -> None:
    out = demo_pilot.db.parent / "evidence.html"
    made = demo_pilot.run("priya", "report", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert out.stat().st_size > 1_000_000  # Plotly is inside
    checked = demo_pilot.run("sam", "replay", str(out))  # an auditor replays
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "every figure matches" in checked.stdout
    assert "signature valid" in checked.stdout
    evidence = _evidence(out)
    assert len(evidence.figures) > 50
    assert evidence.summary.headline.startswith("NOT READY for stage 1")


def test_changed_result_makes_replay_fail_naming_the_figure(pilot_copy: Pilot) -> None:
    out = pilot_copy.db.parent / "evidence.html"
    assert pilot_copy.run("priya", "report", "--out", str(out)).returncode == 0
    run_id = next(f.provenance.run_id for f in _evidence(out).figures if f.key.endswith("/verdict"))
    con = duckdb.connect(str(pilot_copy.db))
    case = con.execute(
        "SELECT case_id FROM results WHERE run_id = ? AND correct ORDER BY case_id LIMIT 1",
        [run_id],
    ).fetchone()[0]
    con.execute(
        "UPDATE results SET correct = false WHERE run_id = ? AND case_id = ?", [run_id, case]
    )
    con.close()
    checked = pilot_copy.run("sam", "replay", str(out))
    assert checked.returncode == 1
    differs = [line for line in checked.stdout.splitlines() if line.startswith("DIFFERS")]
    assert any(f"run/{run_id}/criterion/accuracy/all" in line for line in differs), differs
    assert any(f"run/{run_id}/metric/accuracy " in line for line in differs), differs
    assert any("audit/records" in line and "changed after it finished" in line for line in differs)
    assert "replay: FAILED" in checked.stdout


def test_changed_grade_makes_replay_fail_naming_the_window(pilot_copy: Pilot) -> None:
    out = pilot_copy.db.parent / "evidence.html"
    assert pilot_copy.run("priya", "report", "--out", str(out)).returncode == 0
    con = duckdb.connect(str(pilot_copy.db))
    output_id, week = con.execute(
        "SELECT g.output_id, s.week FROM grades g JOIN sample_items s USING (output_id) "
        "WHERE g.verdict = 'correct' ORDER BY g.output_id LIMIT 1"
    ).fetchone()
    con.execute("UPDATE grades SET verdict = 'incorrect' WHERE output_id = ?", [output_id])
    con.close()
    checked = pilot_copy.run("priya", "replay", "--json", str(out))
    assert checked.returncode == 1
    assert f"live/{week}/accuracy" in checked.stdout


def test_an_edited_report_fails_its_hash_and_signature(pilot_copy: Pilot) -> None:
    out = pilot_copy.db.parent / "evidence.html"
    assert pilot_copy.run("priya", "report", "--out", str(out)).returncode == 0
    text = out.read_text()
    edited = out.with_name("edited.html")
    edited.write_text(text.replace('"headline":"NOT READY', '"headline":"READY', 1))
    checked = pilot_copy.run("priya", "replay", str(edited))
    assert checked.returncode == 1
    assert "DOES NOT match" in checked.stdout and "the file was edited" in checked.stdout
    resigned = out.with_name("resigned.html")
    resigned.write_text(re.sub(r'(name="pilot-evidence-hmac" content=")[0-9a-f]{4}',
                               r"\g<1>0000", text))  # fmt: skip
    checked = pilot_copy.run("priya", "replay", str(resigned))
    assert checked.returncode == 1 and "signature invalid" in checked.stdout


def test_edited_pages_outside_the_evidence_block_fail_replay(pilot_copy: Pilot) -> None:
    """The hash covers the evidence block; the visible pages must be what it renders to."""
    out = pilot_copy.db.parent / "evidence.html"
    assert pilot_copy.run("priya", "report", "--out", str(out)).returncode == 0
    text = out.read_text()
    assert pilot_copy.run("priya", "replay", str(out)).returncode == 0
    block = text.index('<script type="application/json" id="pilot-evidence">')
    page = text[:block].replace("NOT READY for stage", "READY for stage", 1)
    assert page != text[:block]  # the headline a reader sees, outside the evidence block
    edited = out.with_name("edited.html")
    edited.write_text(page + text[block:])
    checked = pilot_copy.run("priya", "replay", str(edited))
    assert checked.returncode == 1
    assert "SHA-256 matches" in checked.stdout  # the evidence itself is untouched
    assert "the report's pages do not match its evidence" in checked.stdout


def test_regenerating_gives_the_same_content_but_the_time(pilot_copy: Pilot) -> None:
    store = Store(pilot_copy.db)
    first = generate(store, "priya")
    second = generate(store, "priya")  # the first's own audit event is not evidence
    assert first.evidence.scope.generated_at != second.evidence.scope.generated_at
    a = first.evidence.model_dump(mode="json")
    b = second.evidence.model_dump(mode="json")
    a["scope"].pop("generated_at"), b["scope"].pop("generated_at")
    assert a == b

    def strip(made) -> str:  # noqa: ANN001
        when = made.evidence.scope.generated_at
        text = made.html.replace(when, "T").replace(local_time(when, "UTC"), "T")
        return text.replace(made.sha256, "SHA").replace(made.hmac, "MAC")

    assert strip(first) == strip(second)


def test_who_may_generate_and_replay(pilot_copy: Pilot) -> None:
    out = pilot_copy.db.parent / "evidence.html"
    denied = pilot_copy.run("dana", "report", "--out", str(out))  # a viewer
    assert denied.returncode == 4 and not out.exists()
    assert pilot_copy.run("priya", "report", "--out", str(out)).returncode == 0
    assert pilot_copy.run("dana", "replay", str(out)).returncode == 0
    blind = pilot_copy.run("marco", "replay", str(out))  # evaluators grade blind
    assert blind.returncode == 4
    bad = pilot_copy.run("priya", "report", "--out", str(out.with_suffix(".txt")))
    assert bad.returncode == 2 and ".html or a .pdf" in bad.stderr


def _worded(store: Store, evidence, fmt: str, **changes: object) -> str:  # noqa: ANN001
    """`evidence` as a kit writing format `fmt` would have put it in a signed report, with the
    accuracy criterion of the run of record changed as given."""
    from pilot.evidence.model import digest
    from pilot.evidence.render import render_html
    from pilot.evidence.report import signature

    figures = tuple(
        f.model_copy(update=changes) if re.fullmatch(r"run/[^/]+/criterion/accuracy/all", f.key)
        else f
        for f in evidence.figures
    )  # fmt: skip
    earlier = evidence.model_copy(update={"format": fmt, "figures": figures})
    sha = digest(earlier)
    key = store.key()
    return render_html(earlier, sha, signature(key, sha), key.key_id if key else None)


def test_a_report_an_earlier_kit_worded_replays_on_its_facts(pilot_copy: Pilot) -> None:
    """A report made before the kit reworded its figures still replays: its facts are compared
    exactly, its words are listed as the earlier kit's; a changed fact still fails, and a
    report of this kit's format is held to its words too."""
    from pilot.evidence.report import build, replay

    store = Store(pilot_copy.db)
    evidence = build(store, "priya")[0]
    old_words = {"label": "accuracy on all", "note": "at_least 0.9 on the lower_bound"}
    earlier = replay(store, "sam", _worded(store, evidence, "pilot-evidence/1", **old_words))
    assert earlier.ok and earlier.signature == "valid", earlier.differences
    assert earlier.worded_by == "pilot-evidence/1"
    assert any("criterion/accuracy/all (accuracy on all)" in w for w in earlier.wording)
    assert all("criterion/accuracy/all" not in d for d in earlier.differences)

    accuracy = next(f for f in evidence.figures if f.key.endswith("/criterion/accuracy/all"))
    moved = replay(
        store,
        "sam",
        _worded(store, evidence, "pilot-evidence/1", value=accuracy.value + 0.01, **old_words),
    )
    assert not moved.ok
    # each moved figure is named once for its facts and once for its words, each line with
    # only its own fields
    moved_keys = {d.split(" ", 1)[0] for d in moved.differences if "criterion/accuracy/all" in d}
    assert len(moved_keys) == 2  # the demo report's two runs
    for key in moved_keys:
        (facts,) = (d for d in moved.differences if d.startswith(f"{key} "))
        (words,) = (w for w in moved.wording if w.startswith(f"{key} "))
        assert "value 0.91 in the report" in facts and "label" not in facts.split(":", 1)[1]
        assert "label 'accuracy on all' in the report" in words
        assert "value" not in words.split(":", 1)[1]

    same_format = replay(store, "sam", _worded(store, evidence, evidence.format, **old_words))
    assert not same_format.ok and not same_format.wording
    assert any("criterion/accuracy/all" in d and "label" in d for d in same_format.differences)
