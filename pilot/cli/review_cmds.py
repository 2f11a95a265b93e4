"""Review: ingest live outputs, draw samples, import grades, and the review status."""

from __future__ import annotations

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx
from pilot.core.errors import InputError


@cli.group("live", help="Live outputs recorded in production.")
def live() -> None:
    pass


@live.command(
    "ingest",
    help="Load live outputs from PATH (a spool folder, a file or a glob) of JSONL, CSV or "
    "Parquet. Idempotent by id; each file is atomic: a file with any problem keeps nothing, "
    "and every problem is listed with its file, line and field.\n\n"
    "Example: pilot --user priya live ingest pilot-spool --json",
)
@click.argument("path")
@json_option
@pass_ctx
def live_ingest(ctx: Context, path: str, as_json: bool) -> None:
    from pilot.review import ingest

    results = ingest.ingest(ctx.store, ctx.user, path)
    data = ingest.summary(results)
    for result in results:
        for problem in result.warnings:
            note(f"warning: {problem}")
        if result.ok:
            note(
                f"{result.file}: {result.inserted} new, {result.already} already ingested, "
                f"{result.approvals} approvals"
            )
        else:
            note(f"{result.file}: {len(result.errors)} problem(s); nothing from it was kept")
            for problem in result.errors:
                note(f"  {problem}")
    emit(data, as_json, lambda: click.echo(f"{data['inserted']} new outputs ingested"))
    if not data["ok"]:
        raise InputError(f"{len(data['bad_files'])} file(s) had problems and were not ingested")
