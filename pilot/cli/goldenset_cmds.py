"""Golden sets: import, list, show, diff and record who agreed the outcomes."""

from __future__ import annotations

from dataclasses import asdict

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx


@cli.group(
    "goldenset",
    help="Golden sets: versioned, agreed cases the system is judged on.\n\n"
    "Example: pilot goldenset import goldensets/benefits.jsonl --name benefits",
)
def goldenset() -> None:
    pass


@goldenset.command(
    "import",
    help="Validate FILE (JSONL, CSV or Parquet) and store it as a version of NAME. Every "
    "problem is listed with its line and field, and nothing is imported if there is one. "
    "Prints the version id; the same content again changes nothing.\n\n"
    "CSV and Parquet columns: sources and evidence as JSON arrays, tags separated by ';', "
    "booleans true/false, an empty expected_answer means null.\n\n"
    "Example: pilot goldenset import cases.csv --name benefits --json",
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--name", required=True, help="The golden set's name, e.g. benefits.")
@json_option
@pass_ctx
def goldenset_import(ctx: Context, file: str, name: str, as_json: bool) -> None:
    from pilot.goldensets import versions as gs

    try:
        result = gs.import_goldenset(ctx.store, ctx.user, file, name=name)
    except gs.GoldenSetInvalid as exc:
        for warning in exc.report.warnings:
            note(f"warning: {warning}")
        if as_json:
            emit(
                {
                    "ok": False,
                    "errors": [p.as_dict() for p in exc.report.errors],
                    "warnings": [p.as_dict() for p in exc.report.warnings],
                },
                True,
            )
        raise
    for warning in result.warnings:
        note(f"warning: {warning}")
    if result.created:
        note(f"imported {result.name}: {result.n_cases} cases as version {result.short}")
    else:
        note(f"already imported: {result.name} version {result.short}; nothing changed")
    emit(
        {
            "ok": True,
            "version": result.version,
            "name": result.name,
            "n_cases": result.n_cases,
            "n_unanswerable": result.n_unanswerable,
            "created": result.created,
            "warnings": [p.as_dict() for p in result.warnings],
        },
        as_json,
        lambda: click.echo(result.version),
    )


@goldenset.command("list", help="List golden sets.\n\nExample: pilot goldenset list --json")
@json_option
@pass_ctx
def goldenset_list(ctx: Context, as_json: bool) -> None:
    from pilot.core import access
    from pilot.goldensets import versions as gs

    with ctx.store.read() as con:
        access.require(con, ctx.user, "read")
        sets = gs.list_goldensets(con)

    def text() -> None:
        for s in sets:
            agreed = f"agreed by {s['agreed_by']}" if s["agreed_by"] else "not agreed"
            latest = (s["latest_version"] or "")[:16]
            click.echo(
                f"{s['name']:<20} {latest:<16} {s['n_cases']:>5} cases  "
                f"{s['versions']} version(s)  {agreed}"
            )

    emit({"goldensets": sets}, as_json, text)


@goldenset.command(
    "show",
    help="Summarise a version (a set name means its latest): cases, tags, agreement.\n\n"
    "Example: pilot goldenset show benefits --json",
)
@click.argument("version_or_name")
@json_option
@pass_ctx
def goldenset_show(ctx: Context, version_or_name: str, as_json: bool) -> None:
    from pilot.core import access
    from pilot.goldensets import versions as gs

    with ctx.store.read() as con:
        access.require(con, ctx.user, "read")
        version = gs.resolve_version(con, version_or_name)
        info = gs.version_info(con, version)
        cases = gs.load_cases(con, version)
        intact = gs.version_of(cases) == version
        history = gs.versions(con, info.name) if info else []
    assert info is not None
    summary = gs.summarize(cases)
    data = {
        **asdict(info),
        **summary,
        "content_intact": intact,
        "versions": [{"version": v.version, "created_at": v.created_at} for v in history],
    }

    def text() -> None:
        click.echo(f"{info.name} version {info.short}  ({info.format} file {info.source_file})")
        click.echo(f"imported by {info.created_by} at {info.created_at}")
        click.echo(
            f"{summary['n_cases']} cases, {summary['n_unanswerable']} unanswerable "
            f"({summary['unanswerable_share']:.0%}), {summary['n_consequential']} consequential"
        )
        if info.agreed_by:
            click.echo(f"outcomes agreed by {info.agreed_by} at {info.agreed_at}")
        else:
            click.echo("outcomes not yet agreed (pilot goldenset agree VERSION --by NAME)")
        click.echo("tags: " + ", ".join(f"{t} {n}" for t, n in summary["tags"].items()))
        click.echo("content intact" if intact else "CONTENT DOES NOT MATCH ITS VERSION HASH")

    emit(data, as_json, text)


@goldenset.command(
    "diff",
    help="Cases added, removed and changed (with the fields) from version A to version B.\n\n"
    "Example: pilot goldenset diff 5648324 9a1b2c3 --json",
)
@click.argument("a")
@click.argument("b")
@json_option
@pass_ctx
def goldenset_diff(ctx: Context, a: str, b: str, as_json: bool) -> None:
    from pilot.core import access
    from pilot.goldensets import versions as gs

    with ctx.store.read() as con:
        access.require(con, ctx.user, "read")
        diff = gs.diff_versions(con, gs.resolve_version(con, a), gs.resolve_version(con, b))

    def text() -> None:
        click.echo(f"{diff.a[:16]} -> {diff.b[:16]}: {diff.unchanged} unchanged")
        for case_id in diff.added:
            click.echo(f"+ {case_id}")
        for case_id in diff.removed:
            click.echo(f"- {case_id}")
        for change in diff.changed:
            click.echo(f"~ {change.case_id}: {', '.join(change.fields)}")

    emit(diff.as_dict(), as_json, text)


@goldenset.command(
    "agree",
    help="Record who agreed a version's expected outcomes (a lead records it, once).\n\n"
    'Example: pilot goldenset agree benefits --by "Omar Haddad, process owner"',
)
@click.argument("version")
@click.option("--by", "agreed_by", required=True, help='Who agreed, e.g. "Name, role".')
@click.option("--note", "note_text", default=None, help="What was checked.")
@json_option
@pass_ctx
def goldenset_agree(
    ctx: Context, version: str, agreed_by: str, note_text: str | None, as_json: bool
) -> None:
    from pilot.goldensets import versions as gs

    info = gs.record_agreement(ctx.store, ctx.user, version, agreed_by, note_text)
    note(f"recorded: {info.name} version {info.short} agreed by {info.agreed_by}")
    emit(asdict(info), as_json, lambda: None)
