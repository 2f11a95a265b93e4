"""The root command group, its global options and output helpers shared by every command.

Start-up cost (issue #14): `pilot --help` and `pilot kill` start in well under 0.15 s because
nothing here, and nothing at the top of a `*_cmds` module, imports duckdb, polars, pyarrow,
pydantic, anthropic, plotly or streamlit. Commands import what they use inside their function
body; `tests/pilot/test_cli_startup.py` fails when `import pilot.cli` or `pilot --help` loads
one of those.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pilot.core.access import Actor
    from pilot.core.store import Store

TOKEN_ENV = "PILOT_TOKEN"

# Every top-level command: its name -> "module:attribute" of the click command or group, loaded
# only when that command runs (or `pilot --help` lists it). TO ADD A COMMAND: write it in its own
# pilot/cli/<area>_cmds.py (heavy imports inside the function body; `@cli.command` or
# `@click.command` both work) and add its name here. `tests/pilot/test_cli_startup.py` fails
# when a `*_cmds` module defines a top-level command that is missing from this table.
COMMANDS: dict[str, str] = {
    "app": "pilot.cli.app_cmds:app",
    "audit": "pilot.cli.audit_cmds:audit_group",
    "bar": "pilot.cli.bar_cmds:bar_group",
    "boundary": "pilot.cli.boundary_cmds:boundary_group",
    "demo": "pilot.cli.admin_cmds:demo",
    "demote": "pilot.cli.readiness_cmds:demote",
    "goldenset": "pilot.cli.goldenset_cmds:goldenset",
    "grades": "pilot.cli.review_cmds:grades_group",
    "init": "pilot.cli.admin_cmds:init",
    "key": "pilot.cli.token_cmds:key",
    "kill": "pilot.cli.audit_cmds:kill",
    "live": "pilot.cli.review_cmds:live",
    "promote": "pilot.cli.readiness_cmds:promote",
    "readiness": "pilot.cli.readiness_cmds:readiness",
    "replay": "pilot.cli.evidence_cmds:replay",
    "report": "pilot.cli.evidence_cmds:report",
    "results": "pilot.cli.run_cmds:results",
    "resume": "pilot.cli.audit_cmds:resume",
    "review": "pilot.cli.review_cmds:review",
    "rollback": "pilot.cli.readiness_cmds:rollback",
    "run": "pilot.cli.run_cmds:run",
    "sample": "pilot.cli.review_cmds:sample",
    "system": "pilot.cli.system_cmds:system",
    "token": "pilot.cli.token_cmds:token",
    "user": "pilot.cli.admin_cmds:user",
    "workflow": "pilot.cli.workflow_cmds:workflow_group",
}


class LazyGroup(click.Group):
    """click's documented lazy-loading group: subcommands named in `lazy` are imported from
    their module on first use, so `pilot kill` loads one command module, not all of them."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy if lazy is not None else {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@dataclass
class Context:
    db: str
    claimed: str | None = None
    _actor: Actor | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        """The pilot's database, opened on first use (so `--help` never loads DuckDB)."""
        if self._store is None:
            from pilot.core.store import Store

            self._store = Store(self.db)
        return self._store

    @property
    def user(self) -> Actor:
        """The actor behind `PILOT_TOKEN`, checked against the database on first use.

        `--user NAME` grants nothing by itself: it only asserts whose token this must be."""
        if self._actor is None:
            from pilot.core.errors import PermissionDenied
            from pilot.core.tokens import authenticate_token

            secret = os.environ.get(TOKEN_ENV)
            if not secret and self.claimed:
                raise PermissionDenied(
                    f"--user {self.claimed} grants nothing without a token: set {TOKEN_ENV} to "
                    f"a token of {self.claimed} (`pilot token create`, or printed by "
                    "`pilot init` / `pilot demo`)"
                )
            actor = authenticate_token(self.store, secret)
            if self.claimed and self.claimed != actor.name:
                raise PermissionDenied(
                    f"--user {self.claimed}: {TOKEN_ENV} belongs to {actor.name} "
                    f"(token {actor.token_id}), not {self.claimed}"
                )
            self._actor = actor
        return self._actor


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    help="Pilot Kit: take one AI workflow from demo to production on evidence.\n\n"
    "You act through a personal access token in PILOT_TOKEN (`pilot init` prints the first "
    "admin's; `pilot token create` makes more).\n\n"
    "Example: PILOT_TOKEN=pk_... pilot --db pilot.duckdb readiness --json",
)
@click.option(
    "--db",
    envvar="PILOT_DB",
    default="pilot.duckdb",
    show_default=True,
    help="The pilot's DuckDB file (or PILOT_DB). Its key is PILOT_KEY_FILE, else <db>.key.",
)
@click.option(
    "--user",
    envvar="PILOT_USER",
    help="Optional check: refuse unless PILOT_TOKEN belongs to this user. Grants nothing.",
)
@click.pass_context
def cli(ctx: click.Context, db: str, user: str | None) -> None:
    ctx.obj = Context(db, user)


pass_ctx = click.make_pass_decorator(Context)


def emit(data: Any, as_json: bool, text: Callable[[], None] | None = None) -> None:
    """Exactly one JSON object on stdout with --json; otherwise a human rendering."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, default=str))
    elif text is not None:
        text()
    else:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def note(message: str) -> None:
    """Messages go to stderr so stdout stays machine-readable."""
    click.echo(message, err=True)


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
