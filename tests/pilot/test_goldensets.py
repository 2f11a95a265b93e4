"""Golden sets: validation names every problem, imports are all-or-nothing, versions are hashes."""

from __future__ import annotations

import io
import json
import random
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from helpers import run_cli, seeded_store

from pilot.core import audit
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.inert import highlight_html
from pilot.core.store import Store, put_setting
from pilot.goldensets import versions as gs
from pilot.goldensets.io import validate_goldenset
from pilot.readiness.steps import pilot_steps

TABLES = ("goldensets", "goldenset_versions", "golden_cases", "audit_events")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database with a user per role, built once: hashing passwords is the slow part."""
    path = tmp_path_factory.mktemp("template") / "pilot.duckdb"
    seeded_store(path)
    return path


@pytest.fixture
def users_store(template: Path, tmp_path: Path) -> Store:
    """A fresh copy of the template for each test."""
    shutil.copy(template, tmp_path / "pilot.duckdb")
    shutil.copy(f"{template}.key", tmp_path / "pilot.duckdb.key")  # its key goes with it
    return Store(tmp_path / "pilot.duckdb")


def case(i: int, **changes: Any) -> dict[str, Any]:
    record = {
        "id": f"c-{i:03d}",
        "question": f"How many days of leave do grade {i} staff get?",
        "sources": [
            {
                "id": "policy-1",
                "title": "Leave policy",
                "text": f"Grade {i} staff get {20 + i} days of leave. Ask your manager first.",
            }
        ],
        "expected_answer": f"{20 + i} days",
        "answerable": True,
        "evidence": [f"Grade {i} staff get {20 + i} days of leave."],
        "tags": ["numeric", "leave"] if i % 2 else ["ugly"],
        "consequential": i % 3 == 0,
    }
    record.update(changes)
    return record


def unanswerable(i: int) -> dict[str, Any]:
    return case(i, expected_answer=None, answerable=False, evidence=[], tags=["unanswerable"])


def jsonl(records: list[Any]) -> bytes:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    return ("\n".join(lines) + "\n").encode()


def good_cases() -> list[dict[str, Any]]:
    return [case(1), case(2), unanswerable(3), case(4)]


def snapshot(store: Store) -> dict[str, Any]:
    with store.read() as con:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        counts["audit_head"] = audit.verify(con).head
    return counts


def test_valid_jsonl_imports_every_case(users_store: Store) -> None:
    result = gs.import_goldenset(users_store, "priya", jsonl(good_cases()), name="benefits")
    assert result.created and result.n_cases == 4 and result.n_unanswerable == 1
    assert len(result.version) == 64 and result.short == result.version[:16]
    with users_store.read() as con:
        cases = gs.load_cases(con, result.version)
        assert [c.id for c in cases] == ["c-001", "c-002", "c-003", "c-004"]
        assert cases[2].expected_answer is None and not cases[2].answerable
        assert cases[0].tags == ("numeric", "leave") and cases[0].sources[0].id == "policy-1"
        assert gs.latest_version(con, "benefits") == result.version
        assert gs.content_intact(con, result.version)
        event = audit.events(con, action="goldenset.import")[0]
        assert event.actor == "priya" and event.payload["version"] == result.version
        assert pilot_steps(con)[2].detail == "1 version(s) imported"


# (records, the problem's text as printed). Each breaks the second case of an otherwise good file.
BROKEN = {
    "malformed json": ([case(1), '{"id": "c-002", "question": '], "cases.jsonl:2: not valid JSON"),
    "not an object": ([case(1), "[1, 2]"], "cases.jsonl:2: expected a JSON object, got a list"),
    "missing id": ([case(1), case(2, id=None)], "cases.jsonl:2: id: missing id"),
    "blank id": ([case(1), case(2, id="  ")], "cases.jsonl:2: id: missing id"),
    "duplicate id": (
        [case(1), case(1)],
        "cases.jsonl:2: id: duplicate id c-001 (first on line 1)",
    ),
    "empty question": ([case(1), case(2, question=" ")], "cases.jsonl:2: question: empty question"),
    "unanswerable with answer": (
        [case(1), case(2, answerable=False, evidence=[])],
        "cases.jsonl:2: expected_answer: answerable is false, so expected_answer must be null",
    ),
    "answerable without answer": (
        [case(1), case(2, expected_answer=None)],
        "cases.jsonl:2: expected_answer: answerable is true but expected_answer is empty",
    ),
    "answerable by default without answer": (
        [case(1), {"id": "c-002", "question": "Q?"}],
        "cases.jsonl:2: expected_answer: answerable is true (the default) but expected_answer",
    ),
    "evidence not verbatim": (
        [case(1), case(2, evidence=["Grade 2 staff get 99 days of leave."])],
        "cases.jsonl:2: evidence[0]: not found verbatim in any source of case c-002 (first 60 "
        'chars: "Grade 2 staff get 99 days of leave.")',
    ),
    "source without id": (
        [case(1), case(2, sources=[{"title": "t", "text": "Grade 2 staff get 22 days of leave."}])],
        "cases.jsonl:2: sources[0].id: missing source id",
    ),
    "source without text": (
        [case(1), case(2, sources=[{"id": "p"}], evidence=[])],
        "cases.jsonl:2: sources[0].text: missing text",
    ),
    "duplicate source id": (
        [case(1), case(2, sources=case(2)["sources"] * 2)],
        "cases.jsonl:2: sources[1].id: duplicate source id policy-1 in case c-002",
    ),
    "sources not a list": (
        [case(1), case(2, sources="policy-1", evidence=[])],
        "cases.jsonl:2: sources: expected a list of sources",
    ),
    "boolean as text": (
        [case(1), case(2, consequential="yes")],
        'cases.jsonl:2: consequential: expected true or false, got the text "yes"',
    ),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_each_problem_is_named_and_nothing_is_imported(users_store: Store, kind: str) -> None:
    records, expected = BROKEN[kind]
    before = snapshot(users_store)
    with pytest.raises(gs.GoldenSetInvalid) as exc:
        gs.import_goldenset(
            users_store, "priya", jsonl(records), name="benefits", filename="cases.jsonl"
        )
    assert isinstance(exc.value, InputError) and exc.value.exit_code == 2
    printed = [str(p) for p in exc.value.problems]
    assert any(p.startswith(expected) for p in printed), printed
    assert expected in str(exc.value)
    assert snapshot(users_store) == before


def test_bad_encoding_names_line_and_byte_offset(users_store: Store) -> None:
    data = jsonl([case(1)]) + '{"id": "c-002", "question": "caf\u00e9?"}\n'.encode("latin-1")
    before = snapshot(users_store)
    with pytest.raises(gs.GoldenSetInvalid) as exc:
        gs.import_goldenset(users_store, "priya", data, name="b", filename="cases.jsonl")
    offset = len(jsonl([case(1)])) + data[len(jsonl([case(1)])) :].index(b"\xe9")
    assert [str(p) for p in exc.value.problems] == [
        f"cases.jsonl:2: not UTF-8: byte 0xe9 at byte offset {offset}; save the file as UTF-8"
    ]
    assert snapshot(users_store) == before


@pytest.mark.parametrize("data", [b"", b"\n  \n"])
def test_empty_file_is_an_error(users_store: Store, data: bytes) -> None:
    with pytest.raises(gs.GoldenSetInvalid) as exc:
        gs.import_goldenset(users_store, "priya", data, name="b", filename="cases.jsonl")
    assert str(exc.value.problems[0]).startswith("cases.jsonl: file is empty")


def test_file_over_the_configured_limit(users_store: Store, tmp_path: Path) -> None:
    users_store.write(lambda con: put_setting(con, "goldenset_max_bytes", "100"))
    before = snapshot(users_store)
    path = tmp_path / "cases.jsonl"
    path.write_bytes(jsonl(good_cases()))
    for source in (path, path.read_bytes()):
        with pytest.raises(gs.GoldenSetInvalid) as exc:
            gs.import_goldenset(users_store, "priya", source, name="b", filename="cases.jsonl")
        assert "over the" in str(exc.value) and "goldenset_max_bytes" in str(exc.value)
    assert snapshot(users_store) == before
    report = validate_goldenset(jsonl(good_cases()), "cases.jsonl", max_bytes=10)
    assert "file is" in report.errors[0].message and report.errors[0].line is None


def test_every_problem_is_reported_at_once(users_store: Store) -> None:
    records = [
        case(1),
        case(2, evidence=["not in the policy"]),
        "{oops",
        case(1),
        case(5, question=""),
        case(6, answerable=False),
    ]
    report = validate_goldenset(jsonl(records), "cases.jsonl")
    found = [(p.line, p.field) for p in report.errors]
    assert found == [
        (2, "evidence[0]"),
        (3, None),
        (4, "id"),
        (5, "question"),
        (6, "expected_answer"),
    ]
    assert [c.id for c in report.cases] == ["c-001"]
    with pytest.raises(gs.GoldenSetInvalid) as exc:
        gs.import_goldenset(users_store, "priya", jsonl(records), name="b")
    assert len(exc.value.problems) == 5


def test_unknown_field_is_a_warning_and_still_imports(users_store: Store) -> None:
    records = [
        case(1, difficulty="hard"),
        case(2, difficulty="easy", sources=[{**case(2)["sources"][0], "url": "x"}]),
    ]
    result = gs.import_goldenset(users_store, "priya", jsonl(records), name="b", filename="a.jsonl")
    assert result.created and result.n_cases == 2
    warnings = [str(w) for w in result.warnings]
    assert warnings[0].startswith("a.jsonl:1: difficulty: unknown field, ignored (on 2 lines")
    assert warnings[1].startswith("a.jsonl:2: sources[].url: unknown field, ignored")
    plain = gs.import_goldenset(users_store, "priya", jsonl([case(1), case(2)]), name="b")
    assert not plain.created and plain.version == result.version


def test_reimporting_the_same_content_is_a_noop(users_store: Store) -> None:
    first = gs.import_goldenset(users_store, "priya", jsonl(good_cases()), name="benefits")
    before = snapshot(users_store)
    shuffled = good_cases()
    random.Random(3).shuffle(shuffled)
    again = gs.import_goldenset(users_store, "priya", jsonl(shuffled), name="benefits")
    assert not again.created and again.version == first.version
    assert snapshot(users_store) == before
    with pytest.raises(InputError, match="already version .* of golden set 'benefits'"):
        gs.import_goldenset(users_store, "priya", jsonl(good_cases()), name="other")
    assert snapshot(users_store) == before


def test_changed_file_is_a_new_version_and_diff_names_fields(users_store: Store) -> None:
    first = gs.import_goldenset(users_store, "priya", jsonl(good_cases()), name="benefits")
    changed = [
        case(1, expected_answer="21 working days", tags=["numeric"]),
        case(2),
        unanswerable(3),
        case(5),
    ]
    second = gs.import_goldenset(users_store, "priya", jsonl(changed), name="benefits")
    assert second.created and second.version != first.version
    with users_store.read() as con:
        assert gs.latest_version(con, "benefits") == second.version
        assert [v.version for v in gs.versions(con, "benefits")] == [
            second.version,
            first.version,
        ]
        assert len(gs.load_cases(con, first.version)) == 4  # the old version is untouched
        diff = gs.diff_versions(con, first.version, second.version)
        assert gs.list_goldensets(con)[0]["versions"] == 2
    assert diff.added == ["c-005"] and diff.removed == ["c-004"]
    assert [(c.case_id, c.fields) for c in diff.changed] == [("c-001", ["expected_answer", "tags"])]
    assert diff.unchanged == 2
    assert {r["change"] for r in diff.rows()} == {"added", "removed", "changed"}


def tabular(records: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [r["id"] for r in records],
            "question": [r["question"] for r in records],
            "sources": [json.dumps(r["sources"]) for r in records],
            "expected_answer": [r["expected_answer"] for r in records],
            "answerable": [r["answerable"] for r in records],
            "evidence": [json.dumps(r["evidence"]) for r in records],
            "tags": [";".join(r["tags"]) for r in records],
            "consequential": [r["consequential"] for r in records],
        }
    )


def test_csv_jsonl_and_parquet_give_the_same_version(users_store: Store, tmp_path: Path) -> None:
    records = good_cases()
    records[0]["question"] = 'Multi-line, "quoted"\nquestion; with a comma?'
    frame = tabular(records)
    frame.write_csv(tmp_path / "cases.csv")
    frame.write_parquet(tmp_path / "cases.parquet")
    (tmp_path / "cases.jsonl").write_bytes(jsonl(records))
    found = {}
    for suffix in ("jsonl", "csv", "parquet"):
        result = gs.import_goldenset(
            users_store, "priya", tmp_path / f"cases.{suffix}", name="benefits"
        )
        found[suffix] = (result.version, result.created)
    assert found["jsonl"][1] and not found["csv"][1] and not found["parquet"][1]
    assert len({v for v, _ in found.values()}) == 1
    native = pl.DataFrame(records)  # lists and structs as native Parquet types
    buffer = io.BytesIO()
    native.write_parquet(buffer)
    assert (
        gs.import_goldenset(
            users_store, "priya", buffer.getvalue(), name="benefits", filename="n.parquet"
        ).version
        == found["jsonl"][0]
    )


def test_csv_problems_name_the_csv_line(tmp_path: Path) -> None:
    records = good_cases()
    records[0]["question"] = "spans\ntwo lines"
    frame = tabular(records).with_columns(
        pl.when(pl.col("id") == "c-002")
        .then(pl.lit("yes"))
        .otherwise(pl.col("answerable").cast(pl.String).str.to_lowercase())
        .alias("answerable"),
        pl.when(pl.col("id") == "c-004")
        .then(pl.lit("[not json"))
        .otherwise(pl.col("sources"))
        .alias("sources"),
    )
    frame.write_csv(tmp_path / "cases.csv")
    report = validate_goldenset((tmp_path / "cases.csv").read_bytes(), "cases.csv")
    printed = [str(p) for p in report.errors]
    # header on line 1, c-001 on lines 2-3, so c-002 starts on line 4 and c-004 on line 6
    assert printed[0] == "cases.csv:4: answerable: expected true or false, got 'yes'"
    assert printed[1].startswith("cases.csv:6: sources: not valid JSON")
    no_id = b"question,expected_answer\nQ?,A\n"
    assert str(validate_goldenset(no_id, "x.csv").errors[0]).startswith(
        "x.csv:1: id: missing column 'id'"
    )
    ragged = b"id,question,expected_answer\nc-1,Q?,A,extra\n"
    assert "4 cells but the header has 3" in str(validate_goldenset(ragged, "x.csv").errors[0])
    header_only = b"id,question\n"
    assert "no golden cases" in validate_goldenset(header_only, "x.csv").errors[0].message


def test_parquet_problems_name_the_row(tmp_path: Path) -> None:
    records = good_cases()
    records[2]["evidence"] = ["nowhere"]
    buffer = io.BytesIO()
    tabular(records).write_parquet(buffer)
    report = validate_goldenset(buffer.getvalue(), "cases.parquet")
    assert [str(p)[:40] for p in report.errors] == ["cases.parquet:3: evidence[0]: not found "]
    broken = validate_goldenset(b"PAR1 not really", "cases.parquet")
    assert "not a readable Parquet file" in broken.errors[0].message


def test_viewer_cannot_import_and_nothing_changes(users_store: Store) -> None:
    before = snapshot(users_store)
    with pytest.raises(PermissionDenied):
        gs.import_goldenset(users_store, "dana", jsonl(good_cases()), name="benefits")
    after = snapshot(users_store)
    assert {t: after[t] for t in TABLES[:3]} == {t: before[t] for t in TABLES[:3]}
    with users_store.read() as con:
        denied = audit.events(con)[0]
    assert after["audit_events"] == before["audit_events"] + 1
    assert denied.action == "access.denied" and denied.payload["attempted"] == "goldenset.import"


def test_agreement_is_recorded_once_by_a_lead(users_store: Store) -> None:
    result = gs.import_goldenset(users_store, "priya", jsonl(good_cases()), name="benefits")
    with pytest.raises(PermissionDenied):
        gs.record_agreement(users_store, "marco", result.version, "Omar, owner", None)
    info = gs.record_agreement(users_store, "priya", "benefits", "Omar, owner", "checked")
    assert info.agreed_by == "Omar, owner" and info.agreed_at and info.note == "checked"
    assert info.agreement_recorded_by == "priya"
    with pytest.raises(InputError, match="already agreed by Omar, owner"):
        gs.record_agreement(users_store, "priya", result.version, "Someone else", None)
    with pytest.raises(InputError, match="name the person"):
        gs.record_agreement(users_store, "priya", result.version, "  ", None)
    with users_store.read() as con:
        event = audit.events(con, action="goldenset.agree")[0]
        assert event.payload == {
            "version": result.version,
            "agreed_by": "Omar, owner",
            "note": "checked",
        }
        assert gs.content_intact(con, result.version)


def test_resolve_version_by_name_prefix_or_id(users_store: Store) -> None:
    result = gs.import_goldenset(users_store, "priya", jsonl(good_cases()), name="benefits")
    with users_store.read() as con:
        assert gs.resolve_version(con, "benefits") == result.version
        assert gs.resolve_version(con, result.version[:8]) == result.version
        assert gs.resolve_version(con, result.version) == result.version
        with pytest.raises(InputError, match="no golden set or version 'nope'"):
            gs.resolve_version(con, "nope")


def test_bad_names_are_refused(users_store: Store) -> None:
    for name in ("", "has space", "x" * 65, "semi;colon"):
        with pytest.raises(InputError, match="--name"):
            gs.import_goldenset(users_store, "priya", jsonl(good_cases()), name=name)
    assert gs.default_name("Benefits v2 (final).jsonl") == "benefits-v2--final"


def test_evidence_spans_and_inert_highlighting() -> None:
    text = "<b>Rule</b>: staff get 25 days. $5 bonus.\nstaff get 25 days."
    report = validate_goldenset(
        jsonl([case(1, sources=[{"id": "p", "text": text}], evidence=["staff get 25 days."])]),
        "a.jsonl",
    )
    (golden,) = report.cases
    assert gs.evidence_spans(golden) == [("p", 13, 31), ("p", 42, 60)]
    ((source, rendered, marks),) = gs.highlighted_sources(golden)
    assert marks == 2 and "<b>" not in rendered and "&lt;b&gt;Rule&lt;/b&gt;" in rendered
    assert rendered.count("<mark>staff get 25 days.</mark>") == 2
    assert "\n" not in rendered and "&#36;5" in rendered
    assert highlight_html("abcdef", [(0, 3), (2, 5)]).count("<mark>") == 1


def test_seed_demo_goldenset(users_store: Store, tmp_path: Path) -> None:
    skipped = gs.seed_demo_goldenset(users_store, tmp_path / "missing.jsonl")
    assert "missing" in skipped["skipped"]
    demo = tmp_path / "benefits.jsonl"
    demo.write_bytes(jsonl(good_cases()))
    first = gs.seed_demo_goldenset(users_store, demo)
    before = snapshot(users_store)
    assert gs.seed_demo_goldenset(users_store, demo) == first
    assert snapshot(users_store) == before
    with users_store.read() as con:
        info = gs.version_info(con, first["version"])
    assert info and info.agreed_by == gs.DEMO_AGREED_BY and info.created_by == "priya"


@pytest.mark.skipif(not gs.DEMO_FILE.exists(), reason="goldensets/benefits.jsonl not written yet")
def test_the_demo_golden_set_is_valid() -> None:
    report = validate_goldenset(gs.DEMO_FILE.read_bytes(), gs.DEMO_FILE.name)
    assert report.errors == [] and len(report.cases) >= 60


# ---- CLI ----


def pilot(
    capsys: pytest.CaptureFixture[str], db: Path, user: str, *args: str
) -> tuple[int, str, str]:
    return run_cli(capsys, "--db", str(db), "--user", user, "goldenset", *args)


def test_cli_import_list_show_diff_agree(
    users_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = users_store.path
    first, second = tmp_path / "v1.jsonl", tmp_path / "v2.jsonl"
    first.write_bytes(jsonl(good_cases()))
    second.write_bytes(jsonl([*good_cases(), case(9)]))
    code, out, err = pilot(capsys, db, "priya", "import", str(first), "--name", "benefits")
    assert code == 0 and len(out.strip()) == 64 and "imported benefits: 4 cases" in err
    v1 = out.strip()
    code, out, err = pilot(
        capsys, db, "priya", "import", str(first), "--name", "benefits", "--json"
    )
    assert code == 0 and "already imported" in err
    assert json.loads(out) == {
        "ok": True,
        "version": v1,
        "name": "benefits",
        "n_cases": 4,
        "n_unanswerable": 1,
        "created": False,
        "warnings": [],
    }
    code, out, _ = pilot(capsys, db, "priya", "import", str(second), "--name", "benefits", "--json")
    v2 = json.loads(out)["version"]
    code, out, _ = pilot(capsys, db, "dana", "list", "--json")
    assert code == 0 and json.loads(out)["goldensets"][0]["versions"] == 2
    code, out, _ = pilot(capsys, db, "dana", "show", "benefits", "--json")
    shown = json.loads(out)
    assert shown["version"] == v2 and shown["n_cases"] == 5 and shown["content_intact"]
    assert shown["tags"] == {"numeric": 2, "leave": 2, "ugly": 2, "unanswerable": 1}
    assert shown["agreed_by"] is None
    code, out, _ = pilot(capsys, db, "dana", "show", v1[:10])
    assert code == 0 and "outcomes not yet agreed" in out
    code, out, _ = pilot(capsys, db, "dana", "diff", v1[:10], "benefits", "--json")
    assert json.loads(out)["added"] == ["c-009"] and json.loads(out)["changed"] == []
    assert pilot(capsys, db, "dana", "agree", v2, "--by", "Omar")[0] == 4
    code, out, _ = pilot(capsys, db, "priya", "agree", v2[:12], "--by", "Omar, owner", "--json")
    assert code == 0 and json.loads(out)["agreed_by"] == "Omar, owner"


def test_cli_bad_file_exits_2_listing_every_problem(
    users_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = users_store.path
    bad = tmp_path / "cases.jsonl"
    bad.write_bytes(jsonl([case(1, extra=1), "{", case(1), case(4, question="")]))
    code, out, err = pilot(capsys, db, "priya", "import", str(bad), "--name", "b")
    assert code == 2 and out == ""
    assert "cases.jsonl: 3 problems; nothing was imported" in err
    for expected in (
        "cases.jsonl:2: not valid JSON",
        "cases.jsonl:3: id: duplicate id",
        "cases.jsonl:4: question: empty question",
        "warning: cases.jsonl:1: extra: unknown field",
    ):
        assert expected in err
    code, out, err = pilot(capsys, db, "priya", "import", str(bad), "--name", "b", "--json")
    report = json.loads(out)
    assert code == 2 and report["ok"] is False
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (2, None),
        (3, "id"),
        (4, "question"),
    ]
    assert report["warnings"][0]["field"] == "extra"
    code, out, err = pilot(capsys, db, "dana", "import", str(bad), "--name", "b")
    assert code == 4 and "may not edit the workflow" in err
    code, _, err = pilot(capsys, db, "priya", "import", str(tmp_path / "no.jsonl"), "--name", "b")
    assert code == 2 and "no such file" in err
    code, _, err = pilot(capsys, db, "priya", "show", "nope")
    assert code == 2 and "no golden set or version 'nope'" in err
    with users_store.read() as con:
        assert gs.list_goldensets(con) == []


def test_import_streams_through_a_private_staging_file_and_keeps_every_value(
    users_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import stages good cases on disk (0600, deleted after) and DuckDB loads them; text
    with quotes, backslashes, NUL, line separators and emoji comes back exactly (the stored
    cases hash to the version id), a file given by path is read from disk, and when DuckDB's
    memory budget is too tight the import is retried unbounded rather than failing."""
    from pilot.goldensets import staging

    tricky = 'q "quoted" \\ back\x00slash\u2028line é😀'
    records = [
        case(1, question=tricky),
        case(2, sources=[{"id": "s\\1", "title": "T\n\t", "text": "25 days."}], evidence=[]),
        unanswerable(3),
    ]
    path = tmp_path / "cases.jsonl"
    path.write_bytes(jsonl(records))
    seen_modes: list[int] = []
    real_add = staging.StagedCases.add_all

    def spy(self: staging.StagedCases, cases: Any) -> None:
        real_add(self, cases)
        seen_modes.append(self.path.stat().st_mode & 0o777)

    bounds: list[bool] = []
    real_insert = staging.StagedCases.insert

    def insert(self: staging.StagedCases, con: Any, version: str, *, bounded: bool = True) -> None:
        bounds.append(bounded)
        real_insert(self, con, version, bounded=bounded)

    monkeypatch.setattr(staging.StagedCases, "add_all", spy)
    monkeypatch.setattr(staging.StagedCases, "insert", insert)
    monkeypatch.setattr(staging.StagedCases, "memory_budget", lambda self: 64 * 1024)
    result = gs.import_goldenset(users_store, "priya", path, name="tricky")
    assert seen_modes == [0o600]
    assert not list(users_store.path.parent.glob(".pilot-import-*"))
    with users_store.read() as con:
        stored = gs.load_cases(con, result.version)
        assert gs.content_intact(con, result.version)
    assert [c.id for c in stored] == ["c-001", "c-002", "c-003"]
    assert stored[0].question == tricky
    assert stored[1].sources[0].id == "s\\1" and stored[1].sources[0].title == "T\n\t"
    assert result.version == gs.version_of(validate_goldenset(path.read_bytes(), "x.jsonl").cases)
    assert result.n_cases == 3 and result.n_unanswerable == 1
    assert bounds == [True, False]  # 64 KB was too tight for DuckDB: retried unbounded


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("a.jsonl", b"\xef\xbb\xbf" + jsonl([case(1), case(2)])[:-1]),  # BOM, no final newline
        ("b.jsonl", jsonl([case(1)]) + b'{"id": "c-\xff"}\r\n' + jsonl([case(1)])),
        (
            "c.csv",
            b"\xef\xbb\xbfid,question,expected_answer,tags\r\n"
            b'c-1,"two\r\nlines",x,a;b\r\nc-2,\xff bad,y,\r\nc-3,q,z,t\r\n',
        ),
        ("d.csv", b"id,question,expected_answer\nc-1,q,x\nc-1,q,\n"),
    ],
)
def test_a_file_read_from_disk_reports_exactly_what_its_bytes_do(
    tmp_path: Path, filename: str, data: bytes
) -> None:
    """An import reads a path line by line from disk; the bytes in memory (an upload) go
    through the same readers: the problems, warnings and cases must be the same."""
    path = tmp_path / filename
    path.write_bytes(data)
    from_bytes = validate_goldenset(data, filename)
    from_disk = validate_goldenset(path, filename)
    assert from_disk.errors == from_bytes.errors
    assert from_disk.warnings == from_bytes.warnings
    assert from_disk.cases == from_bytes.cases
    assert from_bytes.errors or from_bytes.cases
