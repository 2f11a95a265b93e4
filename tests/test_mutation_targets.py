"""`make mutate`'s targets agree with the tree: every file exists, every mutant glob names
functions that exist (so a move or a rename cannot leave a rule silently unmutated), every
named test exists, and a mutant runs only its own target's tests."""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

import pytest
from mutation_targets import (
    TARGETS,
    allowed_tests,
    chosen,
    fastest_first,
    selected,
    target_of,
)

ROOT = Path(__file__).resolve().parents[1]


def mutant_names(path: str) -> list[str]:
    """The names mutmut gives the first mutant of each function and method of a file."""
    module = path.removesuffix(".py").replace("/", ".")
    names = []
    for node in ast.parse((ROOT / path).read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.append(f"{module}.x_{node.name}__mutmut_1")
        elif isinstance(node, ast.ClassDef):
            names += [
                f"{module}.xǁ{node.name}ǁ{item.name}__mutmut_1"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    return names


def test_every_glob_names_functions_of_the_targets_files() -> None:
    for target in TARGETS:
        names = [n for f in target.files for n in mutant_names(f)]
        for glob in target.mutants:
            assert any(fnmatch(n, glob) for n in names), (target.name, glob)
        for path in target.files:  # and every file has a mutant of the target
            assert any(target.owns(n) for n in mutant_names(path)), (target.name, path)


def test_every_named_test_exists() -> None:
    for target in TARGETS:
        for entry in target.tests:
            path, _, name = entry.removeprefix("!").partition("::")
            assert (ROOT / path).exists(), entry
            if name:
                assert f"def {name}(" in (ROOT / path).read_text(), entry


def test_a_mutant_runs_only_its_targets_tests() -> None:
    env = {"MUTANT_UNDER_TEST": "pilot.define.verdicts.x_judge__mutmut_3"}
    entries = allowed_tests(env)
    assert entries is not None and target_of(env["MUTANT_UNDER_TEST"]).name == "verdicts"
    assert selected("tests/pilot/test_verdicts.py::test_x", entries)
    assert not selected("tests/pilot/test_scoring.py::test_x", entries)
    run = allowed_tests({"MUTANT_UNDER_TEST": "pilot.runs.execute.x__execute__mutmut_1"})
    kill_9 = "tests/pilot/test_runner.py::test_resume_after_kill_9_calls_no_finished_case_again"
    assert selected("tests/pilot/test_runner.py::test_cache_replay_and_no_cache", run)
    assert not selected(kill_9, run)  # a subprocess never sees the mutant
    assert not selected("tests/pilot/test_access.py::test_last_admin_is_protected", run)
    assert selected("tests/pilot/test_access.py::test_kill_switch_roles", run)
    # a test named by its function runs with every parameter set
    golden = allowed_tests({"MUTANT_UNDER_TEST": "pilot.goldensets.io.x__check__mutmut_1"})
    named = "tests/pilot/test_goldensets.py::test_each_problem_is_named_and_nothing_is_imported"
    assert selected(f"{named}[missing id]", golden) and selected(named, golden)
    assert not selected(f"{named}_too[missing id]", golden)


def test_outside_a_mutation_run_nothing_is_dropped() -> None:
    assert allowed_tests({}) is None
    assert allowed_tests({"MUTANT_UNDER_TEST": ""}) is None
    stats = allowed_tests({"MUTANT_UNDER_TEST": "stats", "PILOT_MUTATE": "verdicts,criterion"})
    assert stats == (
        "tests/pilot/test_verdicts.py",
        "tests/pilot/test_criteria.py",
        "tests/pilot/test_verdicts.py",
        "tests/pilot/test_charts.py",
    )


def test_a_mutant_meets_the_cheapest_tests_first(tmp_path: Path) -> None:
    stats = tmp_path / "mutmut-stats.json"
    stats.write_text('{"duration_by_test": {"t.py::slow": 9.0, "t.py::quick": 0.1}}')
    order = fastest_first(["t.py::slow", "mutants/t.py::quick", "t.py::new"], stats)
    assert order == ["t.py::new", "mutants/t.py::quick", "t.py::slow"]
    assert fastest_first(["b", "a"], tmp_path / "absent.json") == ["b", "a"]


def test_only_a_case_change_of_sql_outside_quotes_is_called_equivalent() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("mutate", ROOT / "tools" / "mutate.py")
    assert spec is not None and spec.loader is not None
    mutate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mutate)

    def diff(before: str, after: str) -> list[str]:
        return [f"-    {before}", f"+    {after}"]

    same = mutate.sql_case_only
    assert same(
        diff('x("SELECT a FROM t WHERE k = ?", [k])', 'x("select a from t where k = ?", [k])')
    )
    assert same(
        diff("\"UPDATE t SET s = 'done' WHERE k = ?\",", "\"update t set s = 'done' where k = ?\",")
    )
    assert not same(diff("\"UPDATE t SET s = 'done'\",", "\"UPDATE T SET S = 'DONE'\","))  # a value
    assert same(diff('where.append("actor = ?")', 'where.append("ACTOR = ?")'))
    assert same(diff('where.append("action LIKE ?")', 'where.append("action like ?")'))
    assert not same(diff('where.append("actor = ?")', 'where.append("XXactor = ?XX")'))
    assert not same(diff('{"case_id": c}', '{"CASE_ID": c}'))  # not SQL: judged by a person
    assert not same(diff('{"from": a, "to": b}', '{"FROM": a, "to": b}'))  # a key, not SQL
    assert not same(diff('x("on")', 'x("ON")'))
    assert not same(diff('x("SELECT a FROM t")', 'x("XXSELECT a FROM tXX")'))
    assert not same(diff('x("SELECT a FROM t", k)', 'x("select a from t", None)'))


def test_a_file_of_a_target_is_a_target_of_its_own() -> None:
    """`make mutate MODULE=metrics/citations.py`: that file's rule functions, the same tests."""
    (citations,) = chosen(["metrics/citations.py"])
    assert citations.files == ("metrics/citations.py",) and citations.tests == ("tests/metrics",)
    assert citations.owns("metrics.citations.x_citation_frames__mutmut_3")
    assert not citations.owns("metrics.accuracy.x_accuracy__mutmut_3")
    (chart,) = chosen(["pilot/results/chart_style.py"])  # only the criterion's function in it
    assert chart.mutants == ("pilot.results.chart_style.xǁThresholdǁmet*",)
    both = chosen(["verdicts", "pilot/core/audit.py"])
    assert [t.name for t in both] == ["verdicts", "pilot/core/audit.py"]
    with pytest.raises(SystemExit, match="unknown target pilot/cli/base.py"):
        chosen(["pilot/cli/base.py"])
