"""The grading queue: claims, resume, blindness in the data, append-only grades, import."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store
from pilot.review import grades, queue


def grade_all(store: Store, who: str) -> list[str]:
    done = []
    while (item := queue.next_item(store, who)) is not None:
        grades.grade(store, who, item, "correct", "none", citations_support=True)
        done.append(item)
    return done


def test_queue_resumes_and_counts(sampled: Store) -> None:
    first = queue.next_item(sampled, "marco")
    assert queue.next_item(sampled, "marco") == first  # not graded yet: the same item again
    with sampled.read() as con:
        assert queue.progress(con, "marco").sentence() == "Your queue: 20 items, 0 done"
    grades.grade(sampled, "marco", first, "incorrect", "critical", note="says 30 days")
    assert queue.next_item(sampled, "marco") != first
    with sampled.read() as con:
        p = queue.progress(con, "marco")
    assert (p.done, p.total) == (1, 20)


def test_each_item_once_and_doubles_twice_never_to_the_same_person(sampled: Store) -> None:
    marco = grade_all(sampled, "marco")
    erin = grade_all(sampled, "erin")
    assert len(marco) == 20 and len(set(marco)) == 20  # marco took everything first
    assert len(erin) == 2  # then only the two doubled items were left, for a second grader
    with sampled.read() as con:
        doubled = {r[0] for r in con.execute(
            "SELECT output_id FROM sample_items WHERE graders = 2").fetchall()}  # fmt: skip
        per_item = con.execute("SELECT output_id, count(*) FROM assignments GROUP BY 1").fetchall()
    assert set(erin) == doubled
    assert all(n == (2 if o in doubled else 1) for o, n in per_item)
    assert queue.next_item(sampled, "priya") is None  # lead: nothing left to grade


def test_blind_item_has_no_hidden_fields(sampled: Store) -> None:
    item = queue.next_item(sampled, "marco")
    with sampled.read() as con:
        view = queue.blind_item(con, "marco", item)
        with pytest.raises(PermissionDenied):
            queue.blind_item(con, "erin", item)  # not in erin's queue
        with pytest.raises(PermissionDenied):
            queue.blind_item(con, "dana", item)  # viewers do not grade
    names = {f.name for f in dataclasses.fields(view)}
    assert names == {"output_id", "input", "output", "cited", "sources", "simulated"}
    text = repr(view)
    assert "claude-secret-model-x" not in text and "0.97" not in text
    assert (
        "<mark>Employees receive 25 days of annual leave each year.</mark>" in view.sources[0].html
    )


def test_grades_append_only(sampled: Store) -> None:
    item = queue.next_item(sampled, "marco")
    grades.grade(sampled, "marco", item, "partly", "minor", citations_support=False, note="n1")
    assert grades.grade(sampled, "marco", item, "partly", "minor", citations_support=False,
                        note="n1") is None  # fmt: skip
    with pytest.raises(InputError, match="needs its reason"):
        grades.grade(sampled, "marco", item, "correct", "none")
    with pytest.raises(InputError, match="severity must be none"):
        grades.grade(sampled, "marco", item, "correct", "major", reason="x")
    grades.grade(sampled, "marco", item, "correct", "none", reason="re-read the policy")
    with sampled.read() as con:
        rows = grades.history(con, item, "marco")
        current = con.execute(
            "SELECT verdict, revision FROM current_grades WHERE output_id = ?", [item]
        ).fetchall()
    assert [(g.revision, g.verdict, g.reason) for g in rows] == [
        (1, "partly", None),
        (2, "correct", "re-read the policy"),
    ]
    assert current == [("correct", 2)]
    with pytest.raises(InputError, match="not in erin's queue"):
        grades.grade(sampled, "erin", item, "correct", "none")


def test_grades_import_all_or_nothing(sampled: Store, tmp_path: Path) -> None:
    bad = tmp_path / "g.csv"
    bad.write_text(
        "output_id,evaluator,verdict,severity,citations_support,note\n"
        "out-0001,erin,correct,none,true,fine\n"
        "out-0002,erin,wrong,none,true,\n"
        "out-9999,erin,correct,none,,\n"
        "out-0003,dana,correct,none,maybe,\n"
    )
    with pytest.raises(grades.GradesInvalid) as err:
        grades.import_grades(sampled, "priya", bad)
    assert [(p.line, p.field) for p in err.value.problems] == [
        (3, "verdict"),
        (4, "output_id"),
        (5, "citations_support"),
    ]
    with sampled.read() as con:
        assert con.execute("SELECT count(*) FROM grades").fetchone()[0] == 0
    good = tmp_path / "g.jsonl"
    good.write_text(
        '{"output_id": "out-0001", "evaluator": "erin", "verdict": "incorrect", '
        '"severity": "critical", "note": "wrong number"}\n'
    )
    assert grades.import_grades(sampled, "priya", good)["added"] == 1
    assert grades.import_grades(sampled, "priya", good)["added"] == 0  # idempotent
    with sampled.read() as con:
        assert con.execute(
            "SELECT evaluator, slot FROM assignments WHERE output_id = 'out-0001'"
        ).fetchall() == [("erin", 1)]
