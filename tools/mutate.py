"""Mutation testing of the rule modules: `make mutate` (every target) or `make mutate
MODULE=verdicts` (one; several with commas). Prints the score per target and every mutant
not killed, with its change; exits 1 when the chosen targets score below --fail-under.

mutmut (3.x) rewrites each function of the mutated files into a trampoline over its mutants,
records which tests call which function, then runs each mutant against those tests only;
tests/mutation_targets.py narrows them further to the target's own tests. The run happens in
a fresh copy of the tree (.mutate/, kept afterwards for `mutmut show NAME` or `mutmut browse`
there) whose mutmut settings name only the chosen targets' files and tests.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import functools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / os.environ.get("PILOT_MUTATE_STAGE", ".mutate")  # another name: runs side by side
sys.path.insert(0, str(ROOT / "tests"))

from mutation_targets import TARGETS, Target, chosen  # noqa: E402

COPIED = ("pilot", "metrics", "app", "tests", "goldensets")
KILLED = {"killed", "timeout", "caught by type check"}
UNCHECKED = "not checked"


def mutmut_settings(targets: list[Target]) -> dict[str, object]:
    return {
        "source_paths": ["pilot", "metrics", "app"],
        "also_copy": ["goldensets"],  # the demo golden set, read beside the package
        "only_mutate": sorted({f for t in targets for f in t.files}),
        "pytest_add_cli_args_test_selection": [
            e for t in targets for e in t.tests if not e.startswith("!")
        ],
        # in the order written: the fastest tests first (tests/conftest.py), the same every run
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "no:randomly"],
        # polars' thread pool does not survive fork(): workers fork from a server that has
        # imported the tests but never run one
        "process_isolation": "forkserver",
    }


def stage(targets: list[Target]) -> None:
    """A copy of the tree whose pyproject.toml holds the pytest and mutmut settings only."""
    shutil.rmtree(STAGE, ignore_errors=True)
    STAGE.mkdir()
    for name in COPIED:
        shutil.copytree(ROOT / name, STAGE / name, ignore=shutil.ignore_patterns("__pycache__"))
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    tables = {
        "tool.pytest.ini_options": pytest_options["ini_options"],
        "tool.mutmut": mutmut_settings(targets),
    }
    text = "".join(
        f"[{table}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()) + "\n"
        for table, values in tables.items()
    )
    (STAGE / "pyproject.toml").write_text(text)
    for path in {f for t in targets for f in t.files}:
        unwrap_registrations(STAGE / path)


REGISTRATIONS = frozenset({"metric"})


def unwrap_registrations(path: Path) -> None:
    """`@metric(...)` over `def f` becomes `def f` followed by `f = metric(...)(f)`: the same
    registration, in a form mutmut mutates (it leaves every decorated function alone, and the
    metric definitions are the counts functions `@metric` registers). Only the staged copy
    changes."""
    import libcst as cst

    def name(node: cst.BaseExpression) -> str | None:
        node = node.func if isinstance(node, cst.Call) else node
        return node.value if isinstance(node, cst.Name) else None

    module = cst.parse_module(path.read_text())
    body: list[cst.CSTNode] = []
    for statement in module.body:
        decorators = getattr(statement, "decorators", ())
        if not (
            isinstance(statement, cst.FunctionDef)
            and decorators
            and all(name(d.decorator) in REGISTRATIONS for d in decorators)
        ):
            body.append(statement)
            continue
        function = statement.name.value
        call = function
        for decorator in reversed(decorators):
            call = f"{module.code_for_node(decorator.decorator)}({call})"
        body += [
            statement.with_changes(decorators=()),
            cst.parse_statement(f"{function} = {call}\n"),
        ]
    path.write_text(module.with_changes(body=body).code)


def mutmut(*args: str, capture: bool = False) -> str:
    """`mutmut ARGS` in the staged copy, its wall-clock timeouts aimed at its own workers
    (tools/mutmut_timeouts.py: mutmut's own can kill whatever process reuses a finished
    worker's PID, which killed a stats run)."""
    command = [sys.executable, str(ROOT / "tools" / "mutmut_timeouts.py"), *args]
    env = {**os.environ, "PILOT_MUTATE": os.environ.get("PILOT_MUTATE", "")}
    done = subprocess.run(
        command, cwd=STAGE, env=env, check=True, capture_output=capture, text=True
    )
    return done.stdout if capture else ""


def statuses() -> dict[str, str]:
    found = {}
    for line in mutmut("results", "--all", "true", capture=True).splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status
    return found


def report(targets: list[Target], found: dict[str, str], minutes: float) -> float:
    """Print the score per target and every mutant not killed; return the overall score.

    The score is killed / mutants checked (all of them once a run is complete; `--report` on
    an interrupted run leaves the unchecked ones out and counts them). A survivor whose only change is the letter case of SQL
    outside quoted literals cannot be told from the original (DuckDB reads keywords and
    unquoted names in any case): it is marked equivalent, and the second score leaves such
    mutants out of the count."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (used.ru_utime + used.ru_stime) / 60
    print(f"\nMutation score by target ({minutes:.1f} min, {cpu:.1f} CPU-min over all cores)")
    header = ("target", "mutants", "unchecked", "killed", "survived", "no tests", "SQL case")
    print("{:<28}{:>8}{:>10}{:>8}{:>9}{:>9}{:>9}{:>8}{:>9}".format(*header, "score", "w/o SQL"))
    total = killed = equivalent = 0
    missed: list[tuple[str, list[str], bool]] = []
    for target in targets:
        mine = {n: s for n, s in found.items() if target.owns(n)}
        counts = Counter("killed" if s in KILLED else s for s in mine.values())
        survivors = [
            (n, change(n))
            for n in sorted(mine, key=_order)
            if mine[n] not in KILLED and mine[n] != UNCHECKED
        ]
        same = sum(sql_case_only(lines) for _, lines in survivors)
        n = len(mine) - counts[UNCHECKED]
        total, killed, equivalent = total + n, killed + counts["killed"], equivalent + same
        print(
            f"{target.name:<28}{len(mine):>8}{counts[UNCHECKED]:>10}"
            f"{counts['killed']:>8}{counts['survived']:>9}"
            f"{counts['no tests']:>9}{same:>9}{_ratio(counts['killed'], n):>8.1%}"
            f"{_ratio(counts['killed'], n - same):>9.1%}"
        )
        missed += [(name, lines, sql_case_only(lines)) for name, lines in survivors]
    overall = _ratio(killed, total)
    print(
        f"{'all chosen':<28}{'':>8}{'':>10}{killed:>8}{'':>9}{'':>9}{equivalent:>9}{overall:>8.1%}"
        f"{_ratio(killed, total - equivalent):>9.1%}"
    )
    for name, lines, sql in missed:
        print(f"\n{name}: {found[name]}{' (equivalent: SQL case)' if sql else ''}")
        print("\n".join(lines))
    return overall


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0  # nothing checked is no evidence


def _order(name: str) -> tuple[str, int]:
    base, _, number = name.rpartition("__mutmut_")
    return base, int(number) if number.isdigit() else 0


SQL_START = re.compile(
    r"\s*(SELECT|UPDATE|INSERT|DELETE|WITH|CREATE|ALTER|DROP|FROM|WHERE|JOIN|LEFT|ORDER|GROUP"
    r"|AND|OR|ON|SET|VALUES|LIMIT|HAVING|UNION|RETURNING|USING)\b"
    r"|\s*\w+\s*(?:[<>=!]=?|<>|LIKE\b|IN\b)\s*\?",  # a condition built apart: `actor = ?`
    re.IGNORECASE,
)
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
QUOTED = re.compile(r"'[^']*'")


def sql_case_only(lines: list[str]) -> bool:
    """Whether a mutant only changes the case of SQL outside its quoted values and names."""
    removed = [line[1:] for line in lines if line.startswith("-")]
    added = [line[1:] for line in lines if line.startswith("+")]
    if not removed or len(removed) != len(added):
        return False
    for before, after in zip(removed, added, strict=True):
        if before == after:
            continue
        if before.lower() != after.lower() or LITERAL.sub('""', before) != LITERAL.sub('""', after):
            return False
        for old, new in zip(LITERAL.findall(before), LITERAL.findall(after), strict=True):
            if old != new and (
                not SQL_START.match(old)
                or len(old.split()) < 2  # one word (a key "from", "on") is no statement
                or '\\"' in old
                or QUOTED.findall(old) != QUOTED.findall(new)
            ):
                return False
    return True


def change(name: str) -> list[str]:
    """The lines a mutant changes, read from the mutated copy (as `mutmut show`, faster)."""
    module, _, function = name.rpartition(".")
    defs = _functions(STAGE / "mutants" / (module.replace(".", "/") + ".py"))
    original = defs[function.partition("__mutmut_")[0] + "__mutmut_orig"].splitlines()[1:]
    mutated = defs[function].splitlines()[1:]
    diff = difflib.unified_diff(original, mutated, lineterm="", n=0)
    return [line for line in diff if line[:1] in "-+" and line[:3] not in ("---", "+++")]


@functools.cache
def _functions(path: Path) -> dict[str, str]:
    source = path.read_text()
    return {
        node.name: ast.get_source_segment(source, node) or ""
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "targets", nargs="?", default="", help=", ".join(t.name for t in TARGETS) + " (all)"
    )
    parser.add_argument("--fail-under", type=float, default=90.0, metavar="PERCENT")
    parser.add_argument(
        "--report", action="store_true", help="report on the staged run as it stands, run nothing"
    )
    parser.add_argument(
        "--only",
        default="",
        metavar="GLOBS",
        help="mutants of these names only, comma-separated globs inside the targets' own "
        "(pilot.core.audit.x__walk*): the functions a change touched, or a run's unchecked rest",
    )
    args = parser.parse_args()
    targets = chosen(args.targets.split(","))
    only = [g for g in args.only.split(",") if g]
    os.environ["PILOT_MUTATE"] = ",".join(t.name for t in targets)
    started = time.monotonic()
    if not args.report:
        stage(targets)
        mutmut("run", *(only or [g for t in targets for g in t.mutants]))
    found = statuses()
    if only:
        found = {n: s for n, s in found.items() if any(fnmatch(n, g) for g in only)}
    overall = report(targets, found, (time.monotonic() - started) / 60)
    if overall * 100 < args.fail_under:
        print(f"\nThe score, {overall:.1%}, is below {args.fail_under:.0f}%.")
        sys.exit(1)


if __name__ == "__main__":
    main()
