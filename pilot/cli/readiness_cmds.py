"""Readiness: the ladder and scorecard, promotion, demotion, rollback."""

from __future__ import annotations

import sys

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx


def _print(data: dict) -> None:
    click.echo(f"stage {data['stage']} {data['stage_name']}: {data['stage_meaning']}")
    if data["at_risk"]:
        click.echo("AT RISK: " + "; ".join(data["risk_reasons"]))
    record = data["run_of_record"]
    if record:
        click.echo(f"run of record {record['run_id']}: " + ("passes the bar" if record["passed"]
                   else f"fails ({', '.join(record['failing'])})"))  # fmt: skip
    for g in data["gates"]:
        click.echo(f"gate {g['name']}: {'MET' if g['met'] else 'not met'}")
        for r in g["requirements"]:
            click.echo(f"  [{r['status']}] {r['name']}: {r['evidence']}"
                       + (f" (missing: {r['missing']})" if r["missing"] else ""))  # fmt: skip
    for item in data.get("scorecard", []):
        click.echo(f"[{item['status']}] {item['name']}: {item['evidence']}"
                   + (f" (missing: {item['missing']})" if item["missing"] else ""))  # fmt: skip


@cli.command(
    help="The autonomy stage, each gate with its figures, and the scorecard. Exit 1 when the "
    "stage is at risk (live accuracy in the latest window below the bar, or a critical "
    "error graded).\n\nExample: pilot readiness --json"
)
@json_option
@pass_ctx
def readiness(ctx: Context, as_json: bool) -> None:
    from pilot.readiness.status import readiness as compute

    actor = ctx.user
    with ctx.store.read() as con:
        data = compute(con, actor, ctx.store.key())
    emit(data, as_json, lambda: _print(data))
    sys.exit(1 if data["at_risk"] else 0)


@cli.command(
    help="Promote the autonomy stage by one (a lead; only when the gate is met). The gate's "
    "figures and their hash are recorded in the audit chain. Exit 1 when the gate is not "
    "met.\n\nExample: pilot promote --reason 'W41 and W42 held the bar'"
)
@click.option("--reason", default="", help="Why, in a sentence (recorded).")
@json_option
@pass_ctx
def promote(ctx: Context, reason: str, as_json: bool) -> None:
    from pilot.readiness.decisions import promote as do

    change = do(ctx.store, ctx.user, reason)
    note(f"stage {change.from_stage} → {change.to_stage} by {change.by}")
    emit(change.as_dict(), as_json, lambda: None)


@cli.command(
    help="Lower the autonomy stage (a lead; no gate).\n\n"
    "Example: pilot demote --reason 'critical error on leave questions'"
)
@click.option("--reason", required=True, help="Why (recorded).")
@click.option("--to", "to_stage", type=int, default=None, help="Target stage (default: one down).")
@json_option
@pass_ctx
def demote(ctx: Context, reason: str, to_stage: int | None, as_json: bool) -> None:
    from pilot.readiness.decisions import demote as do

    change = do(ctx.store, ctx.user, reason, to_stage)
    note(f"stage {change.from_stage} → {change.to_stage} by {change.by}")
    emit(change.as_dict(), as_json, lambda: None)


@cli.command(
    help="Restore the previous system config version and the stage that went with it "
    "(admin or lead; recorded).\n\nExample: pilot rollback --reason 'new prompt regressed'"
)
@click.option("--reason", required=True, help="Why (recorded).")
@json_option
@pass_ctx
def rollback(ctx: Context, reason: str, as_json: bool) -> None:
    from pilot.readiness.decisions import rollback as do

    change = do(ctx.store, ctx.user, reason)
    note(f"rolled back to config {change.config_version} at stage {change.to_stage}")
    emit(change.as_dict(), as_json, lambda: None)
