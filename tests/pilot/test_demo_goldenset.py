"""The demo pilot's golden set: the committed file is current, valid and as varied as promised.

`goldensets/benefits/build.py` is a script, not part of a package, so it is loaded from its
path; the tests call its functions rather than running it in a subprocess.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pilot.core.models import GoldenCase

ROOT = Path(__file__).resolve().parents[2]
BUILD_PATH = ROOT / "goldensets" / "benefits" / "build.py"
GOLDEN_PATH = ROOT / "goldensets" / "benefits.jsonl"

REQUIRED_TAGS = (
    "typo",
    "multi-part",
    "numeric",
    "conflicting",
    "long-doc",
    "consequential",
    "ugly",
    "pii",
    "leave",
    "parental",
    "sick-pay",
    "pension",
    "health",
    "expenses",
    "learning",
)
FIELD_ORDER = [
    "id",
    "question",
    "sources",
    "expected_answer",
    "answerable",
    "evidence",
    "tags",
    "consequential",
]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
UK_PHONE = re.compile(r"\b0\d{4}\s?\d{6}\b")


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_goldenset_build", BUILD_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build() -> ModuleType:
    return _load_build()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    lines = GOLDEN_PATH.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


# --- the committed file is what the build produces --------------------------------------


def test_committed_file_matches_build(build: ModuleType) -> None:
    expected = build.build_text()
    committed = GOLDEN_PATH.read_bytes().decode("utf-8")
    assert committed == expected, (
        "goldensets/benefits.jsonl is stale: run "
        "`.venv/bin/python goldensets/benefits/build.py` and commit the result"
    )


def test_build_is_deterministic(build: ModuleType) -> None:
    first = build.build_text()
    assert first == build.build_text()
    assert first.endswith("\n") and not first.endswith("\n\n")


def test_lines_are_canonical(rows: list[dict[str, Any]]) -> None:
    text = GOLDEN_PATH.read_text(encoding="utf-8")
    assert "\\u00a3" not in text, "non-ASCII must be written as is (ensure_ascii=False)"
    assert "£" in text
    for row in rows:
        assert list(row) == FIELD_ORDER
        for source in row["sources"]:
            assert list(source) == ["id", "title", "text"]


def test_rows_are_valid_golden_cases(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        GoldenCase.model_validate(row)


# --- content -------------------------------------------------------------------------------


def test_every_evidence_passage_is_verbatim_in_a_source(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        texts = [source["text"] for source in row["sources"]]
        for passage in row["evidence"]:
            assert any(passage in text for text in texts), (row["id"], passage)


def test_expected_answer_occurs_in_evidence(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if row["answerable"]:
            assert row["expected_answer"] and row["evidence"], row["id"]
            answer = _normalise(row["expected_answer"])
            assert any(answer in _normalise(e) for e in row["evidence"]), row["id"]
        else:
            assert row["expected_answer"] is None and row["evidence"] == [], row["id"]


def test_size_and_unanswerable_share(rows: list[dict[str, Any]]) -> None:
    assert len(rows) >= 80
    unanswerable = sum(1 for row in rows if not row["answerable"])
    assert unanswerable / len(rows) >= 0.15


def test_ids_are_unique(rows: list[dict[str, Any]]) -> None:
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("tag", REQUIRED_TAGS)
def test_required_tag_has_at_least_four_cases(rows: list[dict[str, Any]], tag: str) -> None:
    counts = Counter(tag for row in rows for tag in row["tags"])
    assert counts[tag] >= 4, f"tag {tag!r} has {counts[tag]} cases"


def test_each_case_has_one_topic_and_a_consistent_consequential_flag(
    build: ModuleType, rows: list[dict[str, Any]]
) -> None:
    for row in rows:
        assert len(build.TOPIC_TAGS.intersection(row["tags"])) == 1, row["id"]
        assert row["consequential"] == ("consequential" in row["tags"]), row["id"]


def test_pii_cases_contain_an_email_or_phone_number(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if "pii" in row["tags"]:
            assert EMAIL.search(row["question"]) or UK_PHONE.search(row["question"]), row["id"]


def test_long_doc_evidence_sits_deep_in_a_long_document(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if "long-doc" not in row["tags"]:
            continue
        long_texts = [s["text"] for s in row["sources"] if len(s["text"]) >= 8000]
        assert any(t.find(e) >= 4000 for t in long_texts for e in row["evidence"]), row["id"]


def test_conflicting_cases_carry_more_than_one_source(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if "conflicting" in row["tags"]:
            assert len(row["sources"]) >= 2, row["id"]


def test_documents(build: ModuleType) -> None:
    sources = build.load_sources()
    assert 6 <= len(sources) <= 8
    sizes = [len(source["text"].encode("utf-8")) for source in sources.values()]
    assert max(sizes) >= 8000
    assert 25_000 <= sum(sizes) <= 45_000
    for source_id, source in sources.items():
        assert source["text"].startswith(f"# {source['title']}\n"), source_id


# --- the build fails loudly on bad input -------------------------------------------------


def _write_inputs(tmp_path: Path, rows: list[dict[str, Any]]) -> tuple[Path, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "policy-a.md").write_text("# Policy A\n\nYou get 25 days of leave.\n", "utf-8")
    (docs / "policy-b.md").write_text("# Policy B\n\nYou get 23 days of leave.\n", "utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return docs, questions


def _row(case_id: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": case_id,
        "question": "How much leave do I get?",
        "source_ids": ["policy-a", "policy-b"],
        "expected_answer": "25 days",
        "answerable": True,
        "evidence": ["You get 25 days of leave."],
        "tags": ["leave", "numeric"],
        "consequential": False,
    }
    row.update(changes)
    return row


def test_small_valid_input_builds(build: ModuleType, tmp_path: Path) -> None:
    docs, questions = _write_inputs(tmp_path, [_row("c-1"), _row("c-2")])
    cases = build.build_cases(build.load_sources(docs), questions)
    assert [case["id"] for case in cases] == ["c-1", "c-2"]
    assert cases[0]["sources"][0] == {
        "id": "policy-a",
        "title": "Policy A",
        "text": "# Policy A\n\nYou get 25 days of leave.\n",
    }


@pytest.mark.parametrize(
    ("second_row", "where"),
    [
        (
            _row("c-2", evidence=["You get 30 days of leave."]),
            "questions.jsonl:2: field 'evidence[0]'",
        ),
        (_row("c-1"), "questions.jsonl:2: field 'id': duplicate id 'c-1'"),
        (_row("c-2", source_ids=["policy-z"]), "questions.jsonl:2: field 'source_ids'"),
        (_row("c-2", expected_answer="30 days"), "questions.jsonl:2: field 'expected_answer'"),
        (_row("c-2", answerable=False), "questions.jsonl:2: field 'expected_answer'"),
        (_row("c-2", tags=["numeric"]), "questions.jsonl:2: field 'tags'"),
        (_row("c-2", consequential=True), "questions.jsonl:2: field 'consequential'"),
    ],
)
def test_bad_input_exits_2_naming_line_and_field(
    build: ModuleType,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    second_row: dict[str, Any],
    where: str,
) -> None:
    docs, questions = _write_inputs(tmp_path, [_row("c-1"), second_row])
    out = tmp_path / "out.jsonl"
    with pytest.raises(build.BuildError):
        build.build_cases(build.load_sources(docs), questions)
    code = build.main(["--docs", str(docs), "--questions", str(questions), "--out", str(out)])
    assert code == 2
    assert where in capsys.readouterr().err
    assert not out.exists()


def test_check_reports_a_stale_file(build: ModuleType, tmp_path: Path) -> None:
    docs, questions = _write_inputs(tmp_path, [_row("c-1")])
    out = tmp_path / "out.jsonl"
    args = ["--docs", str(docs), "--questions", str(questions), "--out", str(out)]
    assert build.main([*args, "--check"]) == 1
    assert build.main(args) == 0
    assert build.main([*args, "--check"]) == 0


def test_readme_counts_match_the_data(build: ModuleType) -> None:
    readme = (ROOT / "goldensets" / "README.md").read_text(encoding="utf-8")
    stats = build.format_stats(build.build_cases(build.load_sources()))
    assert stats in readme, (
        "goldensets/README.md counts are stale: paste the output of "
        "`.venv/bin/python goldensets/benefits/build.py --check --stats`"
    )
