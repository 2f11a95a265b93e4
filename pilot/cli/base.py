"""The root command group, its global options and output helpers shared by every command."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from pilot.core.store import Store


@dataclass
class Context:
    store: Store
    user: str | None


@click.group(
    help="Pilot Kit: take one AI workflow from demo to production on evidence.\n\n"
    "Example: pilot --db pilot.duckdb --user priya readiness --json"
)
@click.option(
    "--db",
    envvar="PILOT_DB",
    default="pilot.duckdb",
    show_default=True,
    help="The pilot's DuckDB file (or PILOT_DB).",
)
@click.option("--user", envvar="PILOT_USER", help="The acting user (or PILOT_USER).")
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
