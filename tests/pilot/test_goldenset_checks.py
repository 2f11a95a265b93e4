"""One golden case's checks, word for word: each problem's field and its whole message, read
without a database (`validate_goldenset` stores nothing). test_goldensets.py shows the same
problems stop an import; this file pins what a person fixing the file reads, including the
part after the first words, and what a good case becomes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pilot.goldensets.checks import check_case, kind
from pilot.goldensets.io import detect_format, validate_goldenset


def case(i: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"c-{i:03d}",
        "question": f"Q{i}?",
        "sources": [{"id": "p", "title": "T", "text": f"Staff get {20 + i} days."}],
        "expected_answer": f"{20 + i} days",
        "answerable": True,
        "evidence": [f"Staff get {20 + i} days."],
        "tags": ["a"],
        "consequential": False,
    }
    record.update(changes)
    return record


def jsonl(records: list[Any]) -> bytes:
    return ("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n").encode()


def errors(records: list[Any], filename: str = "f.jsonl") -> list[str]:
    return [str(p) for p in validate_goldenset(jsonl(records), filename).errors]


# One broken case each: the record and every problem printed for it, in full.
PROBLEMS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "id a number": (case(1, id=7), ["f.jsonl:1: id: must be text, got the number 7"]),
    "id a boolean": (case(1, id=True), ["f.jsonl:1: id: must be text, got the boolean true"]),
    "question a list": (case(1, question=["x"]), ["f.jsonl:1: question: must be text, got a list"]),
    "question an object": (
        case(1, question={"a": 1}),
        ["f.jsonl:1: question: must be text, got a dict"],
    ),
    "expected answer a number": (
        case(1, expected_answer=1.5),
        ["f.jsonl:1: expected_answer: must be text or null, got the number 1.5"],
    ),
    "answerable as text": (
        case(1, answerable="yes"),
        ['f.jsonl:1: answerable: expected true or false, got the text "yes"'],
    ),
    "consequential as text": (
        case(1, consequential="yes"),
        ['f.jsonl:1: consequential: expected true or false, got the text "yes"'],
    ),
    "consequential as a number": (
        case(1, consequential=1),
        ["f.jsonl:1: consequential: expected true or false, got the number 1"],
    ),
    "sources not a list": (
        case(1, sources="policy-1", evidence=[]),
        ['f.jsonl:1: sources: expected a list of sources, got the text "policy-1"'],
    ),
    "a source text a number": (
        case(1, sources=[{"id": "p", "text": 3}], evidence=[]),
        ["f.jsonl:1: sources[0].text: must be text (got the number 3)"],
    ),
    "the only evidence passage a number": (
        case(1, evidence=[5]),
        ["f.jsonl:1: evidence[0]: expected non-empty text, got the number 5"],
    ),
    "evidence not a list": (
        case(1, evidence="x"),
        ['f.jsonl:1: evidence: expected a list of text, got the text "x"'],
    ),
    "an evidence passage a number": (
        case(1, evidence=["Staff get 21 days.", 5]),
        ["f.jsonl:1: evidence[1]: expected non-empty text, got the number 5"],
    ),
    "a blank evidence passage": (
        case(1, evidence=[" "]),
        ['f.jsonl:1: evidence[0]: expected non-empty text, got the text " "'],
    ),
    "a tag a number": (
        case(1, tags=["a", 2]),
        ["f.jsonl:1: tags[1]: expected non-empty text, got the number 2"],
    ),
    "a blank tag": (
        case(1, tags=["a", " "]),
        ['f.jsonl:1: tags[1]: expected non-empty text, got the text " "'],
    ),
    "a tag with a semicolon": (
        case(1, tags=["a;b"]),
        ["f.jsonl:1: tags[0]: a tag cannot contain ';' (got 'a;b')"],
    ),
    "a source as text": (
        case(1, sources=["p"], evidence=[]),
        ['f.jsonl:1: sources[0]: expected an object {id, title, text}, got the text "p"'],
    ),
    "a source id a number": (
        case(1, sources=[{"id": 1, "text": "x"}], evidence=[]),
        ["f.jsonl:1: sources[0].id: must be text (got the number 1)"],
    ),
    "a source title a number": (
        case(1, sources=[{"id": "p", "title": 1, "text": "x"}], evidence=[]),
        ["f.jsonl:1: sources[0].title: must be text, got the number 1"],
    ),
    "a blank source id": (
        case(1, sources=[{"id": " ", "text": "x"}], evidence=[]),
        ['f.jsonl:1: sources[0].id: must be text (got the text " ")'],
    ),
    "an empty source id": (
        case(1, sources=[{"id": "", "text": "x"}], evidence=[]),
        ['f.jsonl:1: sources[0].id: missing source id (got the text "")'],
    ),
    "a blank source text": (
        case(1, sources=[{"id": "p", "text": " "}], evidence=[]),
        ['f.jsonl:1: sources[0].text: must be text (got the text " ")'],
    ),
    "a source with empty text": (
        case(1, sources=[{"id": "p", "text": ""}], evidence=[]),
        ['f.jsonl:1: sources[0].text: missing text (got the text "")'],
    ),
    # a source without text is not searched for evidence (there is nothing to search)
    "a source without text, and evidence": (
        case(1, sources=[{"id": "p"}], evidence=["x"]),
        [
            "f.jsonl:1: sources[0].text: missing text (got null)",
            "f.jsonl:1: evidence[0]: not found verbatim in any source of (it has none) case "
            'c-001 (first 60 chars: "x")',
        ],
    ),
    "a source without text": (
        case(1, sources=[{"id": "p"}], evidence=[]),
        ["f.jsonl:1: sources[0].text: missing text (got null)"],
    ),
    "a duplicate source id": (
        case(1, sources=[{"id": "p", "text": "a"}, {"id": "p", "text": "b"}], evidence=[]),
        ["f.jsonl:1: sources[1].id: duplicate source id p in case c-001 (first at sources[0])"],
    ),
    # the duplicate is not one of the case's sources: evidence found only there is not found
    "evidence only in a duplicate source": (
        case(1, sources=[{"id": "p", "text": "a"}, {"id": "p", "text": "b"}], evidence=["b"]),
        [
            "f.jsonl:1: sources[1].id: duplicate source id p in case c-001 (first at sources[0])",
            "f.jsonl:1: evidence[0]: not found verbatim in any source of case c-001 (first 60 "
            'chars: "b")',
        ],
    ),
    "evidence differing in case and spacing": (
        case(1, evidence=["staff  GET 21 days."]),
        [
            "f.jsonl:1: evidence[0]: not found verbatim in any source of case c-001 (first 60 "
            'chars: "staff  GET 21 days."); it matches if case and spacing are ignored: copy '
            "the passage exactly"
        ],
    ),
    "evidence with no sources": (
        case(1, sources=[], evidence=["x"]),
        [
            "f.jsonl:1: evidence[0]: not found verbatim in any source of (it has none) case "
            'c-001 (first 60 chars: "x")'
        ],
    ),
    "evidence longer than 60 characters, nowhere": (
        case(1, evidence=["y" * 70]),
        [
            "f.jsonl:1: evidence[0]: not found verbatim in any source of case c-001 (first 60 "
            f'chars: "{"y" * 60}")'
        ],
    ),
    "evidence in other scripts, nowhere": (
        case(1, evidence=["café 日本"]),
        [
            "f.jsonl:1: evidence[0]: not found verbatim in any source of case c-001 (first 60 "
            'chars: "café 日本")'
        ],
    ),
    "unanswerable with an answer": (
        case(1, answerable=False),
        [
            "f.jsonl:1: expected_answer: answerable is false, so expected_answer must be null "
            '(the right behaviour is to abstain); got the text "21 days"'
        ],
    ),
    "answerable with a blank answer": (
        case(1, expected_answer=" "),
        [
            "f.jsonl:1: expected_answer: answerable is true but expected_answer is empty: give "
            "the agreed answer, or set answerable to false"
        ],
    ),
    "answerable by default without an answer": (
        {"id": "c-001", "question": "Q?"},
        [
            "f.jsonl:1: expected_answer: answerable is true (the default) but expected_answer "
            "is empty: give the agreed answer, or set answerable to false"
        ],
    ),
    # answerable refused: the default does not apply, and the message does not claim it does
    "a blank id, an unreadable answerable and no answer": (
        case(1, id=" ", answerable="no", expected_answer=None),
        [
            'f.jsonl:1: answerable: expected true or false, got the text "no"',
            "f.jsonl:1: id: missing id: every case needs a unique id",
            "f.jsonl:1: expected_answer: answerable is true but expected_answer is empty: give "
            "the agreed answer, or set answerable to false",
        ],
    ),
    "no id, evidence nowhere": (
        case(1, id=None, evidence=["nowhere"]),
        [
            "f.jsonl:1: id: missing id: every case needs a unique id",
            "f.jsonl:1: evidence[0]: not found verbatim in any source of case on line 1 (first "
            '60 chars: "nowhere")',
        ],
    ),
    "an empty question": (case(1, question=""), ["f.jsonl:1: question: empty question"]),
    "no question": (
        {k: v for k, v in case(1).items() if k != "question"},
        ["f.jsonl:1: question: empty question"],
    ),
}


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_each_problem_is_printed_in_full(name: str) -> None:
    record, printed = PROBLEMS[name]
    report = validate_goldenset(jsonl([record]), "f.jsonl")
    assert [str(p) for p in report.errors] == printed
    assert report.cases == [] and report.warnings == []


def test_a_refused_value_leaves_the_other_fields_checked() -> None:
    """A field pydantic refuses is set aside; the rules still run over the rest of the case, a
    list keeps its good items, and evidence is only looked for when every source was read."""
    assert errors([case(1, evidence=[5, "nowhere"], question=" ")]) == [
        "f.jsonl:1: evidence[0]: expected non-empty text, got the number 5",
        "f.jsonl:1: question: empty question",
    ]
    assert errors([case(1, sources=[{"id": 5, "text": "x"}], evidence=["nowhere"])]) == [
        "f.jsonl:1: sources[0].id: must be text (got the number 5)",
    ]
    assert errors([case(1, tags=["a;b", 3], answerable="maybe")]) == [
        'f.jsonl:1: answerable: expected true or false, got the text "maybe"',
        "f.jsonl:1: tags[1]: expected non-empty text, got the number 3",
        "f.jsonl:1: tags[0]: a tag cannot contain ';' (got 'a;b')",
    ]
    # a passage refused drops only itself: the blank one before it is still named
    assert errors([case(1, evidence=[" ", 5])]) == [
        "f.jsonl:1: evidence[1]: expected non-empty text, got the number 5",
        'f.jsonl:1: evidence[0]: expected non-empty text, got the text " "',
    ]
    # another field refused: the evidence (all of it readable) is still looked for
    assert errors([case(1, answerable="maybe", evidence=["nowhere"])]) == [
        'f.jsonl:1: answerable: expected true or false, got the text "maybe"',
        "f.jsonl:1: evidence[0]: not found verbatim in any source of case c-001 (first 60 "
        'chars: "nowhere")',
    ]
    # a tag refused: the evidence (all of it readable, as are the sources) is still looked for
    assert errors([case(1, tags=[3], evidence=["nowhere"])]) == [
        "f.jsonl:1: tags[0]: expected non-empty text, got the number 3",
        "f.jsonl:1: evidence[0]: not found verbatim in any source of case c-001 (first 60 "
        'chars: "nowhere")',
    ]
    # a source refused as a whole: the sources left are still checked for duplicates, each
    # named by its own index in the file
    assert errors(
        [case(1, sources=[7, {"id": "p", "text": "a"}, {"id": "p", "text": "b"}], evidence=[])]
    ) == [
        "f.jsonl:1: sources[0]: expected an object {id, title, text}, got the number 7",
        "f.jsonl:1: sources[2].id: duplicate source id p in case c-001 (first at sources[1])",
    ]
    # an unreadable id is reported once, not again as missing, and takes no place in `seen`
    assert errors([case(1, id=5), case(2, id=5)]) == [
        "f.jsonl:1: id: must be text, got the number 5",
        "f.jsonl:2: id: must be text, got the number 5",
    ]


def test_ids_are_unique_across_lines_and_problems_sort_by_line() -> None:
    printed = errors([case(1), case(2, question=" "), case(1), "[1]", "{oops"])
    assert printed == [
        "f.jsonl:2: question: empty question",
        "f.jsonl:3: id: duplicate id c-001 (first on line 1)",
        "f.jsonl:4: expected a JSON object, got a list",
        "f.jsonl:5: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
    ]


def test_a_good_case_is_read_as_written_with_its_defaults() -> None:
    report = validate_goldenset(
        jsonl(
            [
                case(1, tags=[" a ", "a", "b"], consequential=True),
                {
                    "id": "c-002",
                    "question": "Q?",
                    "expected_answer": "x",
                    "sources": [{"id": "s", "text": "t"}],
                    "consequential": None,
                },
                case(3, answerable=False, expected_answer=None, evidence=[]),
            ]
        ),
        "f.jsonl",
    )
    assert report.errors == [] and report.warnings == []
    first, second, third = report.cases
    assert (first.id, first.question, first.expected_answer) == ("c-001", "Q1?", "21 days")
    assert first.tags == ("a", "b") and first.consequential is True and first.answerable is True
    assert first.evidence == ("Staff get 21 days.",)
    assert [(s.id, s.title, s.text) for s in first.sources] == [("p", "T", "Staff get 21 days.")]
    assert second.answerable is True and second.consequential is False
    assert second.tags == () and second.evidence == ()
    assert [(s.id, s.title, s.text) for s in second.sources] == [("s", "", "t")]
    assert third.answerable is False and third.expected_answer is None
    assert first.model_fields_set == set(type(first).model_fields)


def test_a_csv_row_is_checked_by_the_same_rules() -> None:
    """A row (a mapping, as CSV and Parquet give) takes the path pydantic's JSON parsing does
    not: its cells are validated as Python values, refused ones set aside."""
    seen: dict[str, int] = {}
    unknown: dict[str, list[int]] = {}
    row = {"id": "c-1", "question": "Q?", "answerable": "yes", "colour": "red"}
    result, found = check_case(row, 4, seen, unknown)
    assert result is None
    assert found == [
        ("answerable", 'expected true or false, got the text "yes"'),
        (
            "expected_answer",
            "answerable is true but expected_answer is empty: give the agreed answer, or set "
            "answerable to false",
        ),
    ]
    assert seen == {"c-1": 4} and unknown == {"colour": [4]}
    good, found = check_case({"id": "c-2", "question": "Q?", "expected_answer": "A"}, 5, seen, {})
    assert found == [] and good is not None and good.id == "c-2" and seen["c-2"] == 5


def test_unknown_fields_are_warned_once_with_their_lines() -> None:
    report = validate_goldenset(
        jsonl(
            [
                case(1, extra=1),
                case(2),
                case(3, extra=2, sources=[{"id": "p", "text": "Staff get 23 days.", "url": "u"}]),
            ]
        ),
        "f.jsonl",
    )
    assert [str(w) for w in report.warnings] == [
        "f.jsonl:1: extra: unknown field, ignored (on 2 lines, first 1); known fields: id, "
        "question, sources, expected_answer, answerable, evidence, tags, consequential",
        "f.jsonl:3: sources[].url: unknown field, ignored; known fields: id, title, text",
    ]
    assert len(report.cases) == 3


def test_a_csv_file_with_a_header_and_no_rows_says_so() -> None:
    report = validate_goldenset(b"id,question\n", "f.csv")
    assert [str(e) for e in report.errors] == ["f.csv: no golden cases found: the file has no rows"]


def test_a_parquet_files_unknown_field_is_counted_in_rows() -> None:
    import io

    import polars as pl

    rows = [
        {"id": f"c-{i}", "question": "Q?", "expected_answer": "x", "extra": "e"} for i in range(2)
    ]
    data = io.BytesIO()
    pl.DataFrame(rows).write_parquet(data)
    report = validate_goldenset(data.getvalue(), "f.parquet")
    assert [str(w) for w in report.warnings] == [
        "f.parquet:1: extra: unknown field, ignored (on 2 rows, first 1); known fields: id, "
        "question, sources, expected_answer, answerable, evidence, tags, consequential"
    ]
    assert report.errors == [] and len(report.cases) == 2


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (None, "null"),
        (True, "the boolean true"),
        (False, "the boolean false"),
        (3, "the number 3"),
        (2.5, "the number 2.5"),
        ("é" * 50, f'the text "{"é" * 40}"'),
        ([1], "a list"),
        ((1,), "a list"),
        ({"a": 1}, "a dict"),
    ],
)
def test_kind_names_a_value(value: Any, named: str) -> None:
    assert kind(value) == named


@pytest.mark.parametrize(
    ("head", "filename", "found"),
    [
        (b"{}", "cases.JSONL", "jsonl"),
        (b"{}", "cases.ndjson", "jsonl"),
        (b"a,b", "cases.Parquet", "parquet"),
        (b"{}", "cases.csv", "csv"),
        (b"PAR1....", "upload", "parquet"),
        (b"  \n[1]", "upload", "jsonl"),
        (b'  {"id": 1}', "upload.txt", "jsonl"),
        (b"id,question", "upload", "csv"),
        (b"", "upload", "csv"),
        (b"a,b", "cases.jsonl", "jsonl"),  # the extension wins over what the content looks like
        (b"a,b", "cases.ndjson", "jsonl"),
        (b"PAR1....", "csv", "parquet"),  # no dot: a name, not an extension
        (b'{"id": 1}', "golden.v2.csv", "csv"),  # the last extension only
    ],
)
def test_the_format_is_found_by_extension_then_content(
    head: bytes, filename: str, found: str
) -> None:
    assert detect_format(head, filename) == found


KNOWN = "id, question, sources, expected_answer, answerable, evidence, tags, consequential"


def test_a_line_with_a_problem_still_takes_its_id_and_names_its_unknown_fields() -> None:
    """A JSON line pydantic refuses is parsed again and checked as a mapping: on its own line
    number, so a later duplicate of its id and its unknown fields still point at it."""
    report = validate_goldenset(
        jsonl([case(1, consequential="yes", colour="red"), case(1)]), "f.jsonl"
    )
    assert [str(p) for p in report.errors] == [
        'f.jsonl:1: consequential: expected true or false, got the text "yes"',
        "f.jsonl:2: id: duplicate id c-001 (first on line 1)",
    ]
    assert [str(p) for p in report.warnings] == [
        f"f.jsonl:1: colour: unknown field, ignored; known fields: {KNOWN}"
    ]


def test_csv_rows_take_their_own_lines_for_ids_and_unknown_columns() -> None:
    data = b"id,question,expected_answer,colour\nc-1,Q?,A,red\nc-1,Q2?,B,blue\n"
    report = validate_goldenset(data, "x.csv")
    assert [str(p) for p in report.errors] == ["x.csv:3: id: duplicate id c-1 (first on line 2)"]
    assert [str(p) for p in report.warnings] == [
        f"x.csv:2: colour: unknown field, ignored (on 2 lines, first 2); known fields: {KNOWN}"
    ]


def test_unreadable_sources_are_one_problem_not_also_missing_evidence() -> None:
    """Sources that could not be read are not searched for the evidence: the one problem is
    the sources, in a CSV cell (set aside by the reader) as in a JSON line."""
    data = b'id,question,expected_answer,sources,evidence\nc-1,Q?,A,[not json,"[""x""]"\n'
    assert validate_goldenset(data, "x.csv").cases == []  # the row is not a good case either
    assert [str(p) for p in validate_goldenset(data, "x.csv").errors] == [
        "x.csv:2: sources: not valid JSON (Expecting value); write a JSON array of objects "
        "{id, title, text}"
    ]
    assert errors([case(1, sources="policy-1")]) == [
        'f.jsonl:1: sources: expected a list of sources, got the text "policy-1"'
    ]


def test_the_file_as_a_whole_size_emptiness_and_spreadsheets() -> None:
    data = jsonl([case(1)])
    assert validate_goldenset(data, "f.jsonl", max_bytes=len(data)).errors == []  # at the limit
    over = validate_goldenset(data, "f.jsonl", max_bytes=len(data) - 1)
    assert [str(p) for p in over.errors] == [
        f"f.jsonl: file is {len(data)} bytes, over the {len(data) - 1} bytes limit (setting "
        "goldenset_max_bytes); split it into smaller golden sets or raise the limit"
    ]
    # one byte is not an empty file
    assert [str(p) for p in validate_goldenset(b"{", "f.jsonl").errors] == [
        "f.jsonl:1: not valid JSON: Expecting property name enclosed in double quotes (column 2)"
    ]
    assert [str(p) for p in validate_goldenset(b"PK\x03\x04rest", "cases.csv").errors] == [
        "cases.csv: looks like a spreadsheet (xlsx/zip): export it as CSV UTF-8"
    ]
    as_parquet = validate_goldenset(b"PK\x03\x04rest", "cases.parquet").errors
    assert [p.message.split(":")[0] for p in as_parquet] == ["not a readable Parquet file"]
    # no extension: the format comes from the content
    found = validate_goldenset(data, "upload")
    assert found.format == "jsonl" and [c.id for c in found.cases] == ["c-001"]


def test_items_after_a_refused_item_keep_their_index_in_the_file() -> None:
    # the number is refused by type; the item after it is still named by its own index
    text = "Staff get 21 days."
    assert errors([case(1, tags=[3, "a;b"])]) == [
        "f.jsonl:1: tags[0]: expected non-empty text, got the number 3",
        "f.jsonl:1: tags[1]: a tag cannot contain ';' (got 'a;b')",
    ]
    assert errors([case(1, evidence=[3, text, "  ", "not there"])]) == [
        "f.jsonl:1: evidence[0]: expected non-empty text, got the number 3",
        'f.jsonl:1: evidence[2]: expected non-empty text, got the text "  "',
    ]
    sources = [
        {"id": 5, "text": text},
        {"id": "p", "text": text},
        {"id": "p", "text": text},
    ]
    assert errors([case(1, sources=sources)]) == [
        "f.jsonl:1: sources[0].id: must be text (got the number 5)",
        "f.jsonl:1: sources[2].id: duplicate source id p in case c-001 (first at sources[1])",
    ]
