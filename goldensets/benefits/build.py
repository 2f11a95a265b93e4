"""Build the demo pilot's canonical golden set, `goldensets/benefits.jsonl`.

The cases are authored in two places so that each stays easy to review: the policy documents
live once in `docs/` (one Markdown file per source, file stem = source id) and
`questions.jsonl` refers to them by id. This script joins the two into the canonical format of
DESIGN.md ("Golden set file format"), where every case carries its sources in full, and checks
what a reviewer cannot check by eye: evidence is verbatim, ids are unique, sources exist.

    python goldensets/benefits/build.py            # validate and write ../benefits.jsonl
    python goldensets/benefits/build.py --check    # exit 1 if the written file is stale
    python goldensets/benefits/build.py --stats    # also print case counts by tag
    python goldensets/benefits/build.py --questions q.jsonl --out /tmp/x.jsonl   # try edits

Exit codes follow the CLI contract: 0 success, 1 stale (`--check`), 2 bad input (each message
names the file, line and field).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

HERE = Path(__file__).resolve().parent
DOCS_DIR = HERE / "docs"
QUESTIONS_PATH = HERE / "questions.jsonl"
OUTPUT_PATH = HERE.parent / "benefits.jsonl"

TOPIC_TAGS = frozenset(
    {"leave", "parental", "sick-pay", "pension", "health", "expenses", "learning"}
)
QUESTION_FIELDS = (
    "id",
    "question",
    "source_ids",
    "expected_answer",
    "answerable",
    "evidence",
    "tags",
    "consequential",
)


class SourceRecord(TypedDict):
    id: str
    title: str
    text: str


class CaseRecord(TypedDict):
    """One canonical golden case; the key order here is the key order written."""

    id: str
    question: str
    sources: list[SourceRecord]
    expected_answer: str | None
    answerable: bool
    evidence: list[str]
    tags: list[str]
    consequential: bool


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file.name if self.line is None else f"{self.file.name}:{self.line}"
        field = f" field '{self.field}':" if self.field else ""
        return f"{where}:{field} {self.message}"


class BuildError(Exception):
    """Raised with every problem found, so one run reports them all."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def load_sources(docs_dir: Path = DOCS_DIR) -> dict[str, SourceRecord]:
    """Every `*.md` under `docs_dir`, keyed by file stem; the title is the `# ` first line."""
    sources: dict[str, SourceRecord] = {}
    problems: list[Problem] = []
    for path in sorted(docs_dir.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        first_line = text.split("\n", 1)[0]
        if not first_line.startswith("# ") or not first_line[2:].strip():
            problems.append(Problem(path, 1, None, "a source document must start with '# Title'"))
            continue
        sources[path.stem] = {"id": path.stem, "title": first_line[2:].strip(), "text": text}
    if not sources and not problems:
        problems.append(Problem(docs_dir, None, None, "no *.md source documents found"))
    if problems:
        raise BuildError(problems)
    return sources


def _check_row(
    row: dict[str, Any],
    sources: dict[str, SourceRecord],
    problem: Any,
) -> None:
    """Report every problem with one question row through `problem(field, message)`."""
    for name in QUESTION_FIELDS:
        if name not in row:
            problem(name, "missing")
    for name in sorted(set(row) - set(QUESTION_FIELDS)):
        problem(name, f"unknown field (expected only {', '.join(QUESTION_FIELDS)})")

    for name in ("id", "question"):
        if name in row and (not isinstance(row[name], str) or not row[name].strip()):
            problem(name, "must be a non-empty string")
    for name in ("answerable", "consequential"):
        if name in row and not isinstance(row[name], bool):
            problem(name, "must be true or false")

    source_ids = row.get("source_ids")
    if not isinstance(source_ids, list) or not source_ids:
        problem("source_ids", "must be a non-empty list of source ids")
        source_ids = []
    for sid in source_ids:
        if not isinstance(sid, str) or sid not in sources:
            problem("source_ids", f"unknown source id {sid!r} (known: {', '.join(sources)})")
    if len(set(map(str, source_ids))) != len(source_ids):
        problem("source_ids", "lists a source more than once")
    texts = [sources[sid]["text"] for sid in source_ids if isinstance(sid, str) and sid in sources]

    evidence = row.get("evidence")
    if not isinstance(evidence, list) or not all(isinstance(e, str) and e for e in evidence):
        problem("evidence", "must be a list of non-empty strings")
        evidence = []
    for i, passage in enumerate(evidence):
        if texts and not any(passage in text for text in texts):
            problem(
                f"evidence[{i}]",
                f"not a verbatim substring of any of this case's sources: {passage[:80]!r}",
            )

    expected = row.get("expected_answer")
    answerable = row.get("answerable")
    if answerable is False:
        if expected is not None:
            problem("expected_answer", "must be null when answerable is false")
        if evidence:
            problem("evidence", "must be empty when answerable is false")
    elif answerable is True:
        if not isinstance(expected, str) or not expected.strip():
            problem("expected_answer", "must be a non-empty string when answerable is true")
        elif not evidence:
            problem("evidence", "an answerable case needs at least one evidence passage")
        elif not any(_normalise(expected) in _normalise(e) for e in evidence):
            problem(
                "expected_answer",
                f"{expected!r} does not occur in any evidence passage (the 'contains' rule "
                "needs it to)",
            )

    tags = row.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        problem("tags", "must be a list of non-empty strings")
        return
    if len(set(tags)) != len(tags):
        problem("tags", "lists a tag more than once")
    topics = sorted(TOPIC_TAGS.intersection(tags))
    if len(topics) != 1:
        problem("tags", f"needs exactly one topic tag of {sorted(TOPIC_TAGS)}, has {topics}")
    if isinstance(row.get("consequential"), bool) and row["consequential"] != (
        "consequential" in tags
    ):
        problem("consequential", "must be true exactly when the 'consequential' tag is present")


def build_cases(
    sources: dict[str, SourceRecord], questions_path: Path = QUESTIONS_PATH
) -> list[CaseRecord]:
    """Join questions with their sources, in file order; raise `BuildError` on any problem."""
    problems: list[Problem] = []
    cases: list[CaseRecord] = []
    seen: dict[str, int] = {}
    lines = questions_path.read_text(encoding="utf-8").split("\n")
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue

        def problem(field: str | None, message: str, _lineno: int = lineno) -> None:
            problems.append(Problem(questions_path, _lineno, field, message))

        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problem(None, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(row, dict):
            problem(None, "each line must be a JSON object")
            continue
        before = len(problems)
        _check_row(row, sources, problem)
        case_id = row.get("id")
        if isinstance(case_id, str):
            if case_id in seen:
                problem("id", f"duplicate id {case_id!r} (first used on line {seen[case_id]})")
            else:
                seen[case_id] = lineno
        if len(problems) > before:
            continue
        cases.append(
            {
                "id": row["id"],
                "question": row["question"],
                "sources": [sources[sid] for sid in row["source_ids"]],
                "expected_answer": row["expected_answer"],
                "answerable": row["answerable"],
                "evidence": list(row["evidence"]),
                "tags": list(row["tags"]),
                "consequential": row["consequential"],
            }
        )
    if not cases and not problems:
        problems.append(Problem(questions_path, None, None, "no cases found"))
    if problems:
        raise BuildError(problems)
    return cases


def render(cases: Sequence[CaseRecord]) -> str:
    """The canonical JSONL text: one case a line, keys in format order, trailing newline."""
    return "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)


def build_text(docs_dir: Path = DOCS_DIR, questions_path: Path = QUESTIONS_PATH) -> str:
    """What `benefits.jsonl` should contain for the current docs and questions."""
    return render(build_cases(load_sources(docs_dir), questions_path))


def tag_counts(cases: Sequence[CaseRecord]) -> Counter[str]:
    return Counter(tag for case in cases for tag in case["tags"])


def format_stats(cases: Sequence[CaseRecord]) -> str:
    n = len(cases)
    unanswerable = sum(1 for case in cases if not case["answerable"])
    consequential = sum(1 for case in cases if case["consequential"])
    source_ids = {source["id"] for case in cases for source in case["sources"]}
    lines = [
        f"cases: {n}",
        f"answerable: {n - unanswerable}, unanswerable: {unanswerable} ({unanswerable / n:.1%})",
        f"consequential: {consequential}",
        f"sources used: {len(source_ids)}",
        "",
        "| tag | cases |",
        "|---|---|",
    ]
    counts = tag_counts(cases)
    for tag, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"| {tag} | {count} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if stale")
    parser.add_argument("--stats", action="store_true", help="print case counts by tag")
    parser.add_argument("--out", type=Path, default=OUTPUT_PATH, help="output JSONL path")
    parser.add_argument("--docs", type=Path, default=DOCS_DIR, help="source documents folder")
    parser.add_argument(
        "--questions", type=Path, default=QUESTIONS_PATH, help="questions JSONL path"
    )
    args = parser.parse_args(argv)

    try:
        sources = load_sources(args.docs)
        cases = build_cases(sources, args.questions)
    except BuildError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"error: {len(exc.problems)} problem(s); nothing written", file=sys.stderr)
        return 2
    text = render(cases)

    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        if current != text:
            print(f"{args.out} is stale: run {Path(__file__).name} to rebuild", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date ({len(cases)} cases)", file=sys.stderr)
    else:
        args.out.write_bytes(text.encode("utf-8"))
        print(f"wrote {len(cases)} cases to {args.out}", file=sys.stderr)
    if args.stats:
        print(format_stats(cases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
