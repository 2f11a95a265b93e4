"""Errors in the app say what to do in the app's words; the CLI's words stay in the CLI
(issue 10, item 8).

Every error `pilot/` raises for people (a `PilotError`) is found by parsing the source: its
message is rendered (f-string values become a sample word) and passed through `app_message`,
what every page shows; the result must name no CLI flag (`--reason`) and no command
(`pilot run --resume …`). Pages must show errors through `app_message`, never `str(exc)`.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import pilot
from pilot.core.errors import InputError, PilotError, app_message, speaks_cli

ROOT = Path(__file__).resolve().parents[2]
PILOT = ROOT / "pilot"
APP = ROOT / "app"


def _pilot_error_names() -> set[str]:
    for info in pkgutil.walk_packages(pilot.__path__, "pilot."):
        if not info.name.startswith("pilot.cli"):
            importlib.import_module(info.name)
    found, todo = set(), [PilotError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo += cls.__subclasses__()
    return found


def _render(node: ast.AST) -> str | None:
    """A message as a person would read it, with each {value} replaced by a sample word."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "sample" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _render(node.left), _render(node.right)
        return None if left is None or right is None else left + right
    return None


def raised_messages() -> list[tuple[str, str | None, str | None]]:
    """(where, message, app words) for every PilotError constructed under pilot/ (not cli)."""
    names = _pilot_error_names()
    out = []
    for path in sorted(PILOT.rglob("*.py")):
        if "cli" in path.relative_to(PILOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in names or not node.args:
                continue
            app = next((k.value for k in node.keywords if k.arg == "app"), None)
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            out.append((where, _render(node.args[0]), None if app is None else _render(app)))
    return out


def test_the_scan_finds_the_errors_it_is_about() -> None:
    found = raised_messages()
    assert len(found) > 50
    assert any("decisions.py" in w and m and m.startswith("--reason") for w, m, _ in found)


def test_no_error_reaches_the_app_in_cli_words() -> None:
    bad = []
    for where, message, app in raised_messages():
        if app is not None:
            shown = app
        elif message is not None:
            shown = app_message(InputError(message))
        else:
            continue  # a message built elsewhere: checked by the tests below
        if speaks_cli(shown):
            bad.append(f"{where}: {shown}")
    assert not bad, "\n".join(bad)


def test_app_message_takes_off_a_leading_flag_and_keeps_the_advice() -> None:
    assert app_message(InputError("--reason: say why the stage is lowered")) == (
        "Say why the stage is lowered"
    )
    assert app_message(InputError("x", app="Use the field below.")) == "Use the field below."
    assert app_message(ValueError("boom")) == "Unexpected failure (ValueError): boom"


@pytest.mark.parametrize(
    "text",
    ["--reason: x", "run `pilot audit verify`", "pilot run --resume r-1", "use --name"],
)
def test_speaks_cli_catches_flags_and_commands(text: str) -> None:
    assert speaks_cli(text)


@pytest.mark.parametrize("text", ["a well-known rule", "2026-11-29 — done", "the pilot lead"])
def test_speaks_cli_leaves_ordinary_words(text: str) -> None:
    assert not speaks_cli(text)


def test_permission_denials_speak_the_apps_words() -> None:
    from pilot.core.access import Actor, _denial_message

    for user in ("", "ghost", Actor("dana", "viewer")):
        actor = user if isinstance(user, Actor) else None
        denied = PilotError(_denial_message(user, actor, "edit_pilot"))
        assert not speaks_cli(app_message(denied)) or not user, app_message(denied)


def test_pages_show_errors_through_app_message() -> None:
    """No page puts `str(exc)` (the CLI's words) on screen."""
    bad = []
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "str"
                and node.args
                and getattr(node.args[0], "id", None) in {"exc", "error", "e", "err"}
            ):
                bad.append(f"{path.name}:{node.lineno}")
    assert not bad, bad
