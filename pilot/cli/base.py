"""The root command group, its global options and output helpers shared by every command."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

from pilot.core.access import Actor
from pilot.core.errors import PermissionDenied
from pilot.core.store import Store

TOKEN_ENV = "PILOT_TOKEN"


@dataclass
class Context:
    store: Store
    claimed: str | None = None
    _actor: Actor | None = field(default=None, repr=False)

    @property
    def user(self) -> Actor:
        """The actor behind `PILOT_TOKEN`, checked against the database on first use.

        `--user NAME` grants nothing by itself: it only asserts whose token this must be."""
        if self._actor is None:
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
    help="Pilot Kit: take one AI workflow from demo to production on evidence.\n\n"
    "You act through a personal access token in PILOT_TOKEN (`pilot init` prints the first "
    "admin's; `pilot token create` makes more).\n\n"
    "Example: PILOT_TOKEN=pk_... pilot --db pilot.duckdb readiness --json"
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
    ctx.obj = Context(Store(db), user)


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
