"""The layout keeps its rules (issue 8): no import cycle, `metrics` never imports `pilot`, `app/`
holds no SQL and never imports duckdb, no module over 400 lines, later steps import earlier ones
only, and a table is queried only by the package that owns it (each package's `__init__`
docstring names its tables under "Tables owned:").

The source is read with `ast`, so imports inside functions count: a cycle hidden by a local
import is still a cycle. Imports under `if TYPE_CHECKING:` do not run and are left out.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pilot", "metrics", "app")
STEPS = ("core", "define", "goldensets", "runs", "results", "review", "readiness", "evidence")
MAX_LINES = 400

SQL_VERB = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\b")
SQL_STATEMENT = re.compile(
    r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE"
    r"|ALTER\s+TABLE|DROP\s+TABLE)\b",
    re.S,
)
TABLE_REF = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+([A-Za-z_][A-Za-z0-9_]*)")
CREATED = re.compile(r"CREATE TABLE\s+(?:IF NOT EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def source_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in source_files()}


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _walk_runtime(node: ast.AST) -> Iterator[ast.AST]:
    """Every node, leaving out `if TYPE_CHECKING:` bodies."""
    for child in ast.iter_child_nodes(node):
        if _type_checking_block(child):
            continue
        yield child
        yield from _walk_runtime(child)


def imports_of(path: Path) -> set[str]:
    """The modules `path` imports (a `from package import module` names the module)."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in _walk_runtime(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                candidate = f"{origin}.{alias.name}"
                found.add(candidate if candidate in MODULES else origin)
    return found


def internal_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = set()
        for imported in imports_of(path):
            # `import pilot.runs.execute` depends on that module; unknown names (third party,
            # or an attribute of a package) fall back to the nearest known module.
            while imported and imported not in MODULES:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def strings_of(path: Path) -> Iterator[str]:
    """Every string constant, f-strings joined with their holes left blank."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.JoinedStr):
            yield "".join(
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else " "
                for v in node.values
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def sql_in(path: Path) -> list[str]:
    return [s for s in strings_of(path) if SQL_VERB.search(s) and SQL_STATEMENT.search(s)]


def step_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "pilot" and parts[1] in STEPS:
        return STEPS.index(parts[1])
    return None


def owners() -> dict[str, str]:
    """table -> owning package, from each package's "Tables owned:" sentence."""
    owned: dict[str, str] = {}
    for init in sorted((ROOT / "pilot").glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        match = re.search(r"Tables owned[^:]*:(.*?)(?:\n\n|$)", doc, re.S)
        if not match:
            continue
        for table in re.findall(r"`([a-z_][a-z0-9_]*)`", match.group(1)):
            assert table not in owned, f"{table} has two owners: {owned[table]} and {init}"
            owned[table] = module_name(init)
    return owned


def created_tables() -> set[str]:
    tables = set()
    for path in (ROOT / "pilot" / "core" / "migrations").glob("m*.py"):
        for text in strings_of(path):
            tables.update(CREATED.findall(text))
    return tables


# ---------------------------------------------------------------------------------------------


def test_the_checks_see_the_code() -> None:
    """Guard against a check that passes because it reads nothing."""
    graph = internal_graph()
    assert len(MODULES) > 60
    assert "pilot.runs.execute" in graph["pilot.runs.start"]
    assert "pilot.core.store" in graph["pilot.runs.execute"]
    assert {"runs", "results", "judgements", "golden_cases"} <= created_tables()
    assert sql_in(ROOT / "pilot" / "runs" / "register.py")


def test_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    assert cycles(internal_graph()) == []


def test_metrics_never_imports_pilot() -> None:
    offenders = {
        rel(path)
        for name, path in MODULES.items()
        if name.split(".")[0] == "metrics"
        and any(i == "pilot" or i.startswith("pilot.") for i in imports_of(path))
    }
    assert offenders == set()


def test_app_has_no_sql_and_no_duckdb() -> None:
    offenders = {}
    for name, path in MODULES.items():
        if name.split(".")[0] != "app":
            continue
        if any(i == "duckdb" or i.startswith("duckdb.") for i in imports_of(path)):
            offenders[rel(path)] = "imports duckdb"
        elif sql := sql_in(path):
            offenders[rel(path)] = sql[0][:80]
    assert offenders == {}


def test_no_module_over_400_lines() -> None:
    sizes = {rel(p): len(p.read_text().splitlines()) for p in source_files()}
    over = {path: n for path, n in sizes.items() if n > MAX_LINES}
    assert over == {}


def test_later_steps_are_never_imported_by_earlier_ones() -> None:
    offenders = []
    for module, targets in internal_graph().items():
        mine = step_of(module)
        if mine is None:
            continue
        for target in sorted(targets):
            theirs = step_of(target)
            if target.startswith(("pilot.cli", "pilot.demo")) or (
                theirs is not None and theirs > mine
            ):
                offenders.append(f"{module} -> {target}")
    assert offenders == []


def test_every_table_has_one_owner() -> None:
    assert created_tables() <= set(owners()), created_tables() - set(owners())


@pytest.mark.parametrize("table", sorted(created_tables()))
def test_table_is_queried_only_by_its_owner(table: str) -> None:
    owner = owners()[table]
    offenders = []
    for name, path in MODULES.items():
        if name.startswith(("pilot.core.migrations", owner + ".")) or name == owner:
            continue
        if any(table in TABLE_REF.findall(sql) for sql in sql_in(path)):
            offenders.append(rel(path))
    assert offenders == [], f"`{table}` (owned by {owner}) queried in {offenders}"


SYSTEM_KINDS = {"offline", "anthropic", "callable"}


def _kind_comparisons(path: Path) -> list[int]:
    """Lines comparing a system kind with a name (`kind == "anthropic"`, `x.kind != "..."`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        names_kind = any(
            (isinstance(s, ast.Attribute) and s.attr == "kind")
            or (isinstance(s, ast.Name) and s.id == "kind")
            for s in sides
        )
        if names_kind and any(
            isinstance(s, ast.Constant) and s.value in SYSTEM_KINDS for s in sides
        ):
            found.append(node.lineno)
    return found


def test_kind_is_compared_only_in_the_systems_registry() -> None:
    offenders = {
        rel(path): lines
        for name, path in MODULES.items()
        if not name.startswith("pilot.runs.systems") and (lines := _kind_comparisons(path))
    }
    assert offenders == {}


def test_kind_check_sees_a_comparison(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('if config.kind == "anthropic":\n    pass\n')
    assert _kind_comparisons(sample) == [1]


def test_app_names_no_model() -> None:
    """The default model comes from one constant (the system's class), never a page literal."""
    offenders = {
        rel(path)
        for name, path in MODULES.items()
        if name.startswith("app") and any(s.startswith("claude-") for s in strings_of(path))
    }
    assert offenders == set()
