"""The audit log and the kill switch."""

from __future__ import annotations

import sys

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx
from pilot.core import access, audit, killswitch
from pilot.core.errors import InputError


@cli.group(help="Read and verify the audit log.\n\nExample: pilot --user sam audit verify")
def audit_group() -> None:
    pass


audit_group.name = "audit"


@audit_group.command(
    "verify",
    help="Verify the hash chain; exit 1 naming the first bad event. Keep the printed anchor "
    "(SEQ:HASH) somewhere else and pass it later with --anchor to detect deleted newest "
    "events too.\n\n"
    "Example: pilot --user sam audit verify --anchor 412:3fa0c1... --json",
)
@click.option("--anchor", default=None, help="SEQ:HASH from an earlier verification.")
@json_option
@pass_ctx
def audit_verify(ctx: Context, anchor: str | None, as_json: bool) -> None:
    try:
        expected = audit.parse_anchor(anchor) if anchor else None
    except ValueError as exc:
        raise InputError(f"--anchor: {exc}") from None
    with ctx.store.read() as con:
        access.require(con, ctx.user, "audit")
        result = audit.verify(con, expected)
    emit(
        {
            "intact": result.intact,
            "events": result.events,
            "first_bad": result.first_bad,
            "reason": result.reason,
            "head": result.head,
            "anchor": result.anchor,
            "summary": result.summary(),
        },
        as_json,
        lambda: click.echo(result.summary()),
    )
    if not result.intact:
        sys.exit(1)


@audit_group.command(
    "log",
    help="List events, newest first.\n\n"
    "Example: pilot --user sam audit log --actor priya --action bar.",
)
@click.option("--actor", default=None)
@click.option("--action", default=None, help="Action prefix, e.g. 'bar.' or 'user.add'.")
@click.option("--limit", default=50, show_default=True)
@json_option
@pass_ctx
def audit_log(
    ctx: Context, actor: str | None, action: str | None, limit: int, as_json: bool
) -> None:
    with ctx.store.read() as con:
        access.require(con, ctx.user, "audit")
        found = audit.events(con, actor=actor, action=action, limit=limit)

    def text() -> None:
        for e in found:
            click.echo(f"{e.seq:>6} {e.ts} {e.actor:<10} {e.action:<22} {e.object}")

    emit({"events": [e.__dict__ for e in found]}, as_json, text)


cli.add_command(audit_group)


@cli.command(
    help="Engage the kill switch: no system call leaves until `pilot resume`.\n\n"
    "Example: pilot --user priya kill --reason 'wrong answers on leave questions'"
)
@click.option("--reason", required=True)
@click.option("--test", is_flag=True, help="Record this as a drill of the kill switch.")
@pass_ctx
def kill(ctx: Context, reason: str, test: bool) -> None:
    state = killswitch.engage(ctx.store, ctx.user, reason, test=test)
    note(f"kill switch engaged by {state.by} at {state.at}")


@cli.command(help="Release the kill switch.\n\nExample: pilot --user priya resume")
@pass_ctx
def resume(ctx: Context) -> None:
    state = killswitch.release(ctx.store, ctx.user)
    note(f"kill switch released by {state.by} at {state.at}")
