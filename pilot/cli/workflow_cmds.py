"""`pilot workflow`: show and set the workflow and its data boundary."""

from __future__ import annotations

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx


@cli.group(
    "workflow",
    help="The workflow under pilot and its data boundary.\n\nExample: pilot workflow show --json",
)
def workflow_group() -> None:
    pass


@workflow_group.command(
    "show",
    help="Show the current workflow and data boundary.\n\nExample: pilot workflow show --json",
)
@json_option
@pass_ctx
def workflow_show(ctx: Context, as_json: bool) -> None:
    from pilot.define import workflow as wf

    with ctx.store.read() as con:
        current = wf.current_workflow(con)
    if current is None:
        note("no workflow recorded yet: use `pilot workflow set FILE.json`")
        emit({"version": None}, as_json, lambda: None)
        return

    def text() -> None:
        w, b = current.workflow, current.boundary
        click.echo(f"{w.name} (version {current.version}, hash {current.content_hash[:12]})")
        click.echo(f"  process owner:    {w.process_owner}")
        click.echo(f"  accountable lead: {w.accountable_lead}")
        click.echo(f"  user group:       {w.user_group or '—'}")
        click.echo(f"  systems:          {', '.join(w.systems) or '—'}")
        click.echo(f"  may read:         {', '.join(b.readable_sources) or 'every source'}")
        click.echo(f"  may leave:        {', '.join(b.allowed_fields)}")
        click.echo(f"  never leaves:     {', '.join(b.restricted_fields) or '—'}")
        click.echo(f"  redaction rules:  {', '.join(r.name for r in b.redaction_rules) or '—'}")
        click.echo(f"  phone regions:    {', '.join(b.phone_regions) or '—'}")
        for category, terms in b.restricted_terms.items():
            click.echo(f"  terms ({category}): {len(terms)} listed")
        statement = b.provider_statement
        click.echo(
            "  provider:         "
            + (
                f"{statement.statement} (confirmed by {statement.confirmed_by})"
                if statement
                else "—"
            )
        )

    emit(wf.workflow_document(current), as_json, text)


@workflow_group.command(
    "set",
    help="Record a new version from a JSON file {workflow, boundary}; identical content is a "
    "no-op.\n\nExample: pilot workflow set workflow.json",
)
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@pass_ctx
def workflow_set(ctx: Context, file: str, as_json: bool) -> None:
    from pilot.define import workflow as wf

    workflow, boundary = wf.parse_workflow_document(wf.load_json_file(file), file)
    saved = wf.save_workflow(ctx.store, ctx.user, workflow, boundary)
    note(f"workflow version {saved.version} ({saved.content_hash[:12]})")
    emit(
        {"version": saved.version, "content_hash": saved.content_hash},
        as_json,
        lambda: click.echo(saved.version),
    )
