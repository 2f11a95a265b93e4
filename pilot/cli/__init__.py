"""`pilot`: a thin click layer over the library. Exit codes follow DESIGN.md's contract.

0 ok / 1 bar not met / 2 bad input / 3 halted / 4 denied / 5 inconclusive; anything unexpected
(a bug in pilot or a library it uses) exits 70 with one line on stderr, never 1, so a CI gate
cannot read a crash as "bar not met".
"""

from __future__ import annotations

import atexit
import gc
import os
import sys

import click

# Commands are loaded lazily: `pilot.cli.base.COMMANDS` names each one's module. Do not import
# command modules here (see that table's comment to add a command).
from pilot.cli import collector
from pilot.cli.base import cli
from pilot.core.errors import INTERNAL_ERROR_EXIT, PilotError


def main(argv: list[str] | None = None) -> None:
    os.umask(0o077)  # the database, its WAL, key and sentinel are owner-only from creation
    if argv is None:  # the `pilot` command's own process (tests call `main(argv)` in theirs)
        collector.OWNS_PROCESS = True
    if not _FREEZE_AT_EXIT:
        _FREEZE_AT_EXIT.append(atexit.register(gc.freeze))
    try:
        cli.main(args=argv, prog_name="pilot", standalone_mode=False)
    except PilotError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - the contract's last line of defence
        sys.exit(internal_error(exc))
    sys.exit(0)


# At exit the interpreter's last garbage collection walks every object still alive: after the
# anthropic SDK's import (hundreds of pydantic models) that took 1.3-2.2 s at load 30 (0.1 s
# frozen), paid after `pilot run` had printed its result. `gc.freeze`, run by the last atexit
# handler, moves them out of that collection; atexit handlers, flushing and the freeing of
# every object by its reference count still happen, and the process's memory goes back to the
# system whole. Registered once per process (tests call `main` many times in one).
_FREEZE_AT_EXIT: list[object] = []


def internal_error(exc: BaseException) -> int:
    """One line on stderr for an unexpected failure; `PILOT_DEBUG=1` adds the traceback."""
    import os
    import traceback

    if os.environ.get("PILOT_DEBUG"):
        traceback.print_exception(exc)
    text = " ".join(str(exc).split())[:300] or "(no message)"
    click.echo(
        f"internal error: {type(exc).__name__}: {text} (a bug in pilot, exit "
        f"{INTERNAL_ERROR_EXIT}; PILOT_DEBUG=1 shows the traceback)",
        err=True,
    )
    return INTERNAL_ERROR_EXIT


__all__ = ["cli", "internal_error", "main"]
