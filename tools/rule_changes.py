"""The deliberate rule changes of issue 16, each applied by hand to a copy of the tree: the test
written for it must fail on the changed rule and pass on the right one.

Run: `.venv/bin/python tools/rule_changes.py [INDEX ...]`. Prints one line per change and exits
1 if any change goes unnoticed. The tree itself is never touched: each change is made in a
temporary copy and undone before the next. `make mutate` does the same for every small change
mutmut can make; these are the changes a reviewer named, kept as a check of their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("pilot", "metrics", "app", "tests", "goldensets")

# (what changes, file, the right text, the changed text, the test that must notice)
CHANGES = [
    (
        "verdict: n_cases >= min_cases becomes >",
        "pilot/define/verdicts.py",
        "        and n_cases >= bar.min_cases\n",
        "        and n_cases > bar.min_cases\n",
        "tests/pilot/test_verdicts.py::test_a_figure_exactly_on_the_threshold_meets_it",
    ),
    (
        "verdict: critical errors <= max becomes <",
        "pilot/define/verdicts.py",
        "        and len(crit) <= bar.max_critical_errors\n",
        "        and len(crit) < bar.max_critical_errors\n",
        "tests/pilot/test_verdicts.py::test_a_figure_exactly_on_the_threshold_meets_it",
    ),
    (
        "criterion rule: >= becomes > (Criterion.passes, used by the verdict)",
        "pilot/define/criteria.py",
        "judged >= self.threshold if",
        "judged > self.threshold if",
        "tests/pilot/test_verdicts.py::test_a_figure_exactly_on_the_threshold_meets_it",
    ),
    (
        "criterion rule: <= becomes < for at-most metrics",
        "pilot/define/criteria.py",
        "else judged <= self.threshold",
        "else judged < self.threshold",
        "tests/pilot/test_verdicts.py::test_a_figure_exactly_on_the_threshold_meets_it",
    ),
    (
        "chart threshold judged on the point instead of the bound",
        "pilot/results/chart_style.py",
        "return self.criterion.passes(value, low, high)",
        "return self.criterion.passes(value, value, value)",
        "tests/pilot/test_charts.py::test_the_bar_is_judged_on_the_figure_it_names",
    ),
    (
        "resume re-processes finished cases",
        "pilot/runs/execute.py",
        "pending = [c for c in cases if c.id not in finished]",
        "pending = list(cases)",
        "tests/pilot/test_safeguards.py::test_resume_alone_skips_finished_cases_with_the_cache_off",
    ),
    (
        "the response cache is never read",
        "pilot/runs/context.py",
        "            return self.cache.get(key)\n",
        "            return None\n",
        "tests/pilot/test_safeguards.py::test_cache_alone_answers_finished_cases_in_a_new_run",
    ),
    (
        "the runner skips the kill-switch sentinel",
        "pilot/runs/execute.py",
        "return halted or writer.halted_in_db or sentinel.exists()",
        "return halted or writer.halted_in_db",
        "tests/pilot/test_safeguards.py::test_the_sentinel_alone_stops_the_next_call",
    ),
    (
        "the commit does not read the kill switch",
        "pilot/runs/writer.py",
        "self.halted_in_db = killswitch.state(con).engaged",
        "self.halted_in_db = False",
        "tests/pilot/test_safeguards.py::test_the_commit_check_alone_stops_calls_once_the_setting_is_committed",
    ),
    (
        "a source title leaves unredacted",
        "pilot/define/redaction.py",
        "title = redact(source.title, redactor).text.strip()",
        "title = source.title.strip()",
        "tests/pilot/test_redaction.py::test_personal_data_in_a_source_title_is_redacted_before_it_leaves",
    ),
    (
        "the edge re-reads cited_text for a mismatched citation",
        "pilot/runs/edge.py",
        "    if sent.text[citation.start : citation.end] != citation.cited_text:\n",
        "    if False:\n",
        "tests/pilot/test_redaction.py::test_the_edge_never_launders_a_citation_that_misquotes_what_it_was_sent",
    ),
    (
        "an errored consequential case counts as a critical error",
        "pilot/define/verdicts.py",
        '        & pl.col("error").is_null()\n',
        "",
        "tests/pilot/test_verdicts.py::test_an_errored_consequential_case_goes_to_a_person_not_the_critical_count",
    ),
    (
        "evidence matched ignoring case",
        "metrics/citations.py",
        '.str.contains(pl.col("evidence"), literal=True)',
        '.str.to_lowercase().str.contains(pl.col("evidence").str.to_lowercase(), literal=True)',
        "tests/metrics/test_citations.py::test_evidence_is_matched_case_sensitively",
    ),
]


def run(copy: Path, test: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-x", "-p", "no:cacheprovider"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return done.returncode, (done.stdout.strip().splitlines() or [""])[-1]


def main() -> None:
    chosen = {int(i) for i in sys.argv[1:]}
    unnoticed = 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        for name in COPIED:
            shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
        for index, (what, path, right, changed, test) in enumerate(CHANGES):
            if chosen and index not in chosen:
                continue
            source = copy / path
            original = source.read_text()
            if original.count(right) != 1:
                raise SystemExit(f"{path}: the text to change for {what!r} is not there once")
            source.write_text(original.replace(right, changed))
            code_changed, said_changed = run(copy, test)
            source.write_text(original)
            code_right, said_right = run(copy, test)
            noticed = code_changed != 0 and code_right == 0
            unnoticed += not noticed
            print(
                f"{'caught' if noticed else 'MISSED'}: {what} ({path}); {test.split('::')[1]}: "
                f"changed rule {said_changed!r}, right rule {said_right!r}",
                flush=True,
            )
    sys.exit(1 if unnoticed else 0)


if __name__ == "__main__":
    main()
