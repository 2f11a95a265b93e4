"""The audit log and the kill switch."""

from __future__ import annotations

import sys

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx
from pilot.core.errors import InputError


@cli.group(help="Read and verify the audit log.\n\nExample: pilot audit verify")
def audit_group() -> None:
    pass


audit_group.name = "audit"


@audit_group.command(
    "verify",
    help="Check everything a figure rests on, in one pass: the audit chain with the pilot key "
    "(MACs and the keyed head, so rewrites and deletions at the end show), then every bar "
    "version, golden-set version and finished run against the event that recorded it. Exit 1 "
    "naming the first bad record, or when the database has no key. Keep the printed anchor "
    "(SEQ:HASH) elsewhere and pass it later with --anchor to catch a restored older copy too.\n\n"
    "Example: pilot audit verify --anchor 412:3fa0c1... --json",
)
@click.option("--anchor", default=None, help="SEQ:HASH from an earlier verification.")
@json_option
@pass_ctx
def audit_verify(ctx: Context, anchor: str | None, as_json: bool) -> None:
    from pilot.core import access, audit
    from pilot.runs.integrity import verify_all

    try:
        expected = audit.parse_anchor(anchor) if anchor else None
    except ValueError as exc:
        raise InputError(f"--anchor: {exc}") from None
    actor = ctx.user
    with ctx.store.read() as con:
        access.require(con, actor, "audit")
        report = verify_all(con, ctx.store.key(), expected)

    def text() -> None:
        click.echo(report.summary())
        for line in report.chain.notes() if report.first_bad else []:
            click.echo(line)
        for line in report.problems[1:]:
            click.echo(f"also: {line}")
        if report.chain.intact:
            click.echo(f"anchor: {report.chain.anchor}")

    emit(report.as_dict(), as_json, text)
    if not report.intact:
        sys.exit(1)


@audit_group.command(
    "log",
    help="List events, newest first.\n\nExample: pilot audit log --actor priya --action bar.",
)
@click.option("--actor", default=None)
@click.option("--action", default=None, help="Action prefix, e.g. 'bar.' or 'user.add'.")
@click.option("--limit", default=50, show_default=True)
@json_option
@pass_ctx
def audit_log(
    ctx: Context, actor: str | None, action: str | None, limit: int, as_json: bool
) -> None:
    from pilot.core import access, audit

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
    "Example: pilot kill --reason 'wrong answers on leave questions'"
)
@click.option("--reason", required=True)
@click.option("--test", is_flag=True, help="Record this as a drill of the kill switch.")
@pass_ctx
def kill(ctx: Context, reason: str, test: bool) -> None:
    from pilot.core import killswitch

    state = killswitch.engage(ctx.store, ctx.user, reason, test=test)
    note(f"kill switch engaged by {state.by} at {state.at}")


@cli.command(help="Release the kill switch.\n\nExample: pilot resume")
@pass_ctx
def resume(ctx: Context) -> None:
    from pilot.core import killswitch

    state = killswitch.release(ctx.store, ctx.user)
    note(f"kill switch released by {state.by} at {state.at}")
