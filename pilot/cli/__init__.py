"""`pilot`: a thin click layer over the library. Exit codes follow DESIGN.md's contract."""

from __future__ import annotations

import os
import sys

import click

# Command modules attach themselves to `cli` on import.
from pilot.cli import (  # noqa: E402, F401
    admin_cmds,
    app_cmds,
    audit_cmds,
    bar_cmds,
    goldenset_cmds,
    run_cmds,
    token_cmds,
    workflow_cmds,
)
from pilot.cli.base import cli
from pilot.core.errors import PilotError


def main(argv: list[str] | None = None) -> None:
    os.umask(0o077)  # the database, its WAL, key and sentinel are owner-only from creation
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
    sys.exit(0)


__all__ = ["cli", "main"]
