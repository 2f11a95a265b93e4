"""`pilot live promote`: a graded live output into a new golden-set version, from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli

from pilot.core.store import Store
from pilot.goldensets import versions as gs
from pilot.review import grades, queue

CASE = {
    "id": "c-1", "question": "Leave?", "expected_answer": "25 days",
    "sources": [{"id": "leave", "title": "Leave", "text": "You get 25 days."}],
    "evidence": ["You get 25 days."], "tags": ["numeric"], "answerable": True,
    "consequential": False,
}  # fmt: skip


def versions_of(store: Store, name: str) -> list[str]:
    with store.read() as con:
        return [v.version for v in gs.versions(con, name)]


def test_promote_cli(sampled: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = tmp_path / "gs.jsonl"
    seed.write_text(json.dumps(CASE) + "\n")
    first = gs.import_goldenset(sampled, "priya", seed, name="benefits")
    good = queue.next_item(sampled, "marco")
    grades.grade(sampled, "marco", good, "correct", "none")
    wrong = queue.next_item(sampled, "marco")
    grades.grade(sampled, "marco", wrong, "incorrect", "major")
    ungraded = queue.next_item(sampled, "erin")
    db = str(sampled.path)

    def promote(user: str, *args: str) -> tuple[int, str, str]:
        return run_cli(capsys, "--db", db, "--user", user, "live", "promote", *args, "--json")

    # refused and bad requests change nothing
    code, out, _ = promote("marco", good, "--goldenset", "benefits")
    assert code == 4 and out == ""
    for args, message in (
        ((ungraded, "--goldenset", "benefits"), "no grade yet"),
        ((wrong, "--goldenset", "benefits"), "write the correct answer"),
        (("no-such-output", "--goldenset", "benefits"), "no live output"),
        ((good, "--goldenset", "bad name!"), "golden set name"),
    ):
        code, out, err = promote("priya", *args)
        assert code == 2 and out == "" and message in err, (args, err)
    assert versions_of(sampled, "benefits") == [first.version]
    with sampled.read() as con:
        denied = con.execute(
            "SELECT actor, payload FROM audit_events WHERE action = 'access.denied'"
        ).fetchall()
    assert [(a, json.loads(p)["attempted"]) for a, p in denied] == [("marco", "live.promote")]

    code, out, err = promote("priya", good, "--goldenset", "benefits")
    assert code == 0, err
    data = json.loads(out)  # exactly one JSON object on stdout
    assert data["ok"] and data["created"] and data["case_id"] == f"live-{good}"
    assert data["n_cases"] == 2 and data["version"] != first.version
    code, out, _ = promote("priya", wrong, "--goldenset", "benefits", "--answer", "25 days.")
    assert code == 0
    latest = json.loads(out)["version"]
    with sampled.read() as con:
        cases = gs.load_cases(con, latest)
        answer = con.execute("SELECT output FROM live_outputs WHERE id = ?", [good]).fetchone()[0]
        imports = con.execute(
            "SELECT actor, payload FROM audit_events WHERE action = 'goldenset.import' ORDER BY seq"
        ).fetchall()
    assert [c.id for c in cases] == ["c-1", f"live-{good}", f"live-{wrong}"]
    assert cases[1].expected_answer == answer and cases[2].expected_answer == "25 days."
    assert [json.loads(p)["source_file"] for _, p in imports][1:] == [
        f"benefits+live-{good}.jsonl",
        f"benefits+live-{wrong}.jsonl",
    ]
    code, out, err = promote("priya", good, "--goldenset", "benefits")
    assert code == 2 and "already in golden set" in err
    assert versions_of(sampled, "benefits")[0] == latest  # newest first
    assert len(versions_of(sampled, "benefits")) == 3
