"""What `make mutate` mutates, and which tests may kill each target's mutants.

mutmut (3.x) finds, for every mutated function, the tests that call it and runs only those.
The rule modules are called by nearly every test (every write goes through `access`), so a
mutant would otherwise run much of the suite. Each target names the fast tests written for
its rules; tests/conftest.py drops every other test while a mutant of that target is active
(`MUTANT_UNDER_TEST`), and drops tests of no chosen target while mutmut collects its stats
(`PILOT_MUTATE`, set by tools/mutate.py). Without those variables pytest runs as usual.

A test entry is a file (`tests/pilot/test_x.py`) or one test of it (`...::test_name`); a
leading `!` drops an entry again (a test that runs the CLI in a subprocess imports the
unmutated code, so it could never kill a mutant).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

MUTANT_SEPARATOR = "__mutmut_"


@dataclass(frozen=True)
class Target:
    name: str
    files: tuple[str, ...]  # source files mutmut mutates (`only_mutate` in pyproject.toml)
    mutants: tuple[str, ...]  # globs over mutant names: the rule's functions
    tests: tuple[str, ...]  # the tests that may kill them

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(f.removesuffix(".py").replace("/", ".") for f in self.files)

    def owns(self, mutant: str) -> bool:
        return any(fnmatch(mutant, glob) for glob in self.mutants)


def _all(*files: str) -> tuple[str, ...]:
    return tuple(f.removesuffix(".py").replace("/", ".") + ".*" for f in files)


METRICS = tuple(
    f"metrics/{m}.py"
    for m in (
        "_frames",
        "_keys",
        "abstention",
        "accuracy",
        "agreement",
        "citations",
        "cost",
        "estimate",
        "frames",
        "infra_errors",
        "intervals",
        "judge",
        "latency",
        "matching",
        "planner",
        "planner_text",
        "quantiles",
        "quoting",
        "registry",
        "regression",
        "slices",
        "summaries",
        "units",
    )
)

TARGETS: tuple[Target, ...] = (
    Target(
        "verdicts",
        ("pilot/define/verdicts.py",),
        _all("pilot/define/verdicts.py"),
        ("tests/pilot/test_verdicts.py",),
    ),
    Target(
        "criterion",
        ("pilot/define/criteria.py", "pilot/results/chart_style.py"),
        (
            "pilot.define.criteria.x_metric_spec*",
            "pilot.define.criteria.x_judged_on_choices*",
            "pilot.define.criteria.xǁCriterionǁjudged_value*",
            "pilot.define.criteria.xǁCriterionǁpasses*",
            "pilot.define.criteria.x_judge_criterion*",
            "pilot.results.chart_style.xǁThresholdǁmet*",
        ),
        (
            "tests/pilot/test_criteria.py",
            "tests/pilot/test_verdicts.py",
            "tests/pilot/test_charts.py",
        ),
    ),
    Target("metrics", METRICS, ("metrics.*",), ("tests/metrics",)),
    Target(
        "boundary",
        (
            "pilot/define/redaction.py",
            "pilot/define/detectors.py",
            "pilot/define/patterns.py",
            "pilot/runs/edge.py",
            "pilot/define/workflow.py",
        ),
        (
            "pilot.define.redaction.*",
            "pilot.define.detectors.*",
            "pilot.define.patterns.*",
            "pilot.runs.edge.*",
            "pilot.define.workflow.xǁDataBoundaryǁ*",
        ),
        (
            "tests/pilot/test_redaction.py",
            "tests/pilot/test_boundary_rules.py",
            "tests/pilot/test_boundary_corpus.py",
            # end to end through the SDK and a database (about 40 s and 15 s a mutant):
            # test_what_the_edge_sends_... makes the same checks of what the boundary's code
            # produces (Edge.prepare's payload, the citations mapped back) in a few seconds, and
            # the judge's redaction is `redact`, which the unit tests pin; both stay in the suite
            "!tests/pilot/test_boundary_corpus.py::"
            "test_no_personal_data_reaches_the_api_and_ordinary_text_arrives_unchanged",
            "!tests/pilot/test_boundary_corpus.py::test_the_llm_judge_gets_only_redacted_text",
            # the workflow tests of the boundary's rules (not its versions, permissions or CLI)
            *(
                f"tests/pilot/test_workflow.py::{name}"
                for name in (
                    "test_hash_covers_workflow_and_boundary_and_is_stable",
                    "test_boundary_rules",
                    "test_document_errors_name_the_field",
                    "test_form_document_drops_blank_rows_and_splits_lists",
                    "test_demo_workflow_is_seeded_once",
                )
            ),
        ),
    ),
    Target(
        "audit",
        ("pilot/core/audit.py",),
        _all("pilot/core/audit.py"),
        # test_verified: the walk from a known intact prefix (`verify`'s `since`)
        (
            "tests/pilot/test_audit.py",
            "tests/pilot/test_integrity.py",
            "tests/pilot/test_verified.py",
        ),
    ),
    Target(
        "access",
        ("pilot/core/access.py",),
        _all("pilot/core/access.py"),
        (
            "tests/pilot/test_access_rules.py",
            "tests/pilot/test_access.py",
            "tests/pilot/test_safeguards.py",
            "tests/pilot/test_tokens.py",
            "tests/pilot/test_signin.py",
            # the `pilot demo` subprocess: 44 s under load for each mutant it is reached by,
            # and what it checks (the demo's tokens, its chain verifies) is no rule of access
            "!tests/pilot/test_tokens.py::test_pilot_demo_prints_working_tokens_and_its_database_verifies",
        ),
    ),
    Target(
        "run",
        (
            "pilot/runs/execute.py",
            "pilot/runs/writer.py",
            "pilot/runs/cache.py",
            "pilot/runs/context.py",
            "pilot/runs/batch.py",
            "pilot/core/killswitch.py",
        ),
        (
            "pilot.runs.execute.x__execute*",
            "pilot.runs.execute.x_execute_run*",
            "pilot.runs.execute.x__execute_owned*",
            "pilot.runs.writer.*",
            "pilot.runs.cache.*",
            "pilot.runs.context.xǁRunContextǁcached_output*",
            # the same rules through the Message Batches API: the cache read before submitting,
            # the sentinel before submitting and while waiting, the recorded batch on resume
            "pilot.runs.batch.x_execute_batch*",
            "pilot.runs.batch.x__wait*",
            "pilot.runs.batch.x_recorded_batch*",
            "pilot.core.killswitch.*",
        ),
        (
            "tests/pilot/test_killswitch.py",
            "tests/pilot/test_response_cache.py",
            "tests/pilot/test_run_execute.py",
            "tests/pilot/test_safeguards.py",
            "tests/pilot/test_runner.py",
            "!tests/pilot/test_runner.py::test_resume_after_kill_9_calls_no_finished_case_again",
            "!tests/pilot/test_runner.py::test_api_key_is_stored_and_logged_nowhere",
            # timing: its 0.3 s lock timeout fails the lease's release when a loaded machine
            # is slow to let go of the lock; it failed mutmut's stats run on the unmutated
            # code (it stays in the suite, left out of mutation runs only)
            "!tests/pilot/test_runner.py::test_a_busy_file_mid_run_loses_no_result",
            "tests/pilot/test_writer_waves.py",
            "tests/pilot/test_batches.py",
            "tests/pilot/test_access.py::test_kill_switch_roles",
            # a run under the LLM judge: `_execute_owned` judges the answers before finishing,
            # and a kill switch engaged while judging leaves the run halted
            "tests/pilot/test_scoring.py::test_judge_rule_grades_with_the_llm_and_records_it",
            "tests/pilot/test_scoring.py::"
            "test_kill_switch_stops_the_judge_and_resume_judges_only_the_rest",
        ),
    ),
    Target(
        "goldenset-validation",
        ("pilot/goldensets/io.py", "pilot/goldensets/checks.py"),
        _all("pilot/goldensets/io.py", "pilot/goldensets/checks.py"),
        (
            # in-process and without a database first; then the validation tests that import
            # (the CLI, agreement, naming and diff tests of test_goldensets.py test no check)
            "tests/pilot/test_goldenset_checks.py",
            *(
                f"tests/pilot/test_goldensets.py::{name}"
                for name in (
                    "test_valid_jsonl_imports_every_case",
                    "test_each_problem_is_named_and_nothing_is_imported",
                    "test_bad_encoding_names_line_and_byte_offset",
                    "test_empty_file_is_an_error",
                    "test_file_over_the_configured_limit",
                    "test_every_problem_is_reported_at_once",
                    "test_unknown_field_is_a_warning_and_still_imports",
                    "test_csv_jsonl_and_parquet_give_the_same_version",
                    "test_csv_problems_name_the_csv_line",
                    "test_parquet_problems_name_the_row",
                    "test_the_demo_golden_set_is_valid",
                    "test_a_file_read_from_disk_reports_exactly_what_its_bytes_do",
                )
            ),
        ),
    ),
    Target(
        "scoring",
        # finishing a run (the summary stored and audited) and the run's bar and rule moved out
        # of scoring.py into finish.py and run_bar.py: still this target's rules
        ("pilot/runs/scoring.py", "pilot/runs/finish.py", "pilot/runs/run_bar.py"),
        _all("pilot/runs/scoring.py", "pilot/runs/finish.py", "pilot/runs/run_bar.py"),
        (
            "tests/pilot/test_scoring.py",
            # finish_run's reuse of an identical run's scores (its audit payload names them)
            "tests/pilot/test_score_memo.py",
            "!tests/pilot/test_score_memo.py::"
            "test_a_reused_rerun_under_a_signed_bar_loads_neither_polars_nor_the_metrics",
            "tests/pilot/test_integrity.py::"
            "test_finding_1_a_run_started_before_the_edit_is_refused_at_scoring",
        ),
    ),
)
BY_NAME = {t.name: t for t in TARGETS}


def one_file(path: str) -> Target | None:
    """The part of a target that is one of its files (`metrics/citations.py`): that file's
    rule functions, against the same tests. None when no target mutates the file."""
    owner = next((t for t in TARGETS if path in t.files), None)
    if owner is None:
        return None
    module = path.removesuffix(".py").replace("/", ".")
    globs = tuple(g for g in owner.mutants if g.startswith(module + ".")) or (module + ".*",)
    return Target(path, (path,), globs, owner.tests)


def chosen(names: Iterable[str]) -> list[Target]:
    """Targets by name (`verdicts`) or by file (`pilot/define/criteria.py`); all when none."""
    names = [n for n in names if n]
    found = {n: BY_NAME.get(n) or one_file(n) for n in names}
    unknown = [n for n, t in found.items() if t is None]
    if unknown:
        files = sorted({f for t in TARGETS for f in t.files})
        raise SystemExit(
            f"unknown target {', '.join(unknown)}: use one of {', '.join(BY_NAME)}, "
            f"or one of their files: {', '.join(files)}"
        )
    return [t for t in found.values() if t is not None] or list(TARGETS)


def target_of(mutant: str) -> Target | None:
    return next((t for t in TARGETS if t.owns(mutant)), None)


def selected(nodeid: str, entries: Iterable[str]) -> bool:
    """Whether a test (pytest node id) is among `entries`: the last entry naming it decides."""
    nodeid = nodeid.removeprefix("mutants/")
    keep = False
    for entry in entries:
        drop = entry.startswith("!")
        path = entry.removeprefix("!")
        if nodeid == path or nodeid.startswith((path + "::", path + "/", path + "[")):
            keep = not drop
    return keep


def allowed_tests(environ: Mapping[str, str]) -> tuple[str, ...] | None:
    """The test entries allowed now, or None when no mutation run is under way."""
    mutant = environ.get("MUTANT_UNDER_TEST", "")
    if MUTANT_SEPARATOR in mutant:
        target = target_of(mutant)
        return target.tests if target else ()
    if "PILOT_MUTATE" in environ:
        return tuple(e for t in chosen(environ["PILOT_MUTATE"].split(",")) for e in t.tests)
    return None


def fastest_first(nodeids: list[str], stats: Path = Path("mutmut-stats.json")) -> list[str]:
    """Node ids ordered by the duration mutmut measured for each (unknown ones first): a
    mutant's run stops at its first failing test, so cheap tests should get the first go."""
    if not stats.exists():
        return nodeids
    durations = json.loads(stats.read_text()).get("duration_by_test", {})
    return sorted(nodeids, key=lambda nodeid: durations.get(nodeid.removeprefix("mutants/"), 0.0))
