"""`pilot system register|list`: the callables the app and `pilot run` may run (admin registers)."""

from __future__ import annotations

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx


@cli.group(
    help="Register the Python systems the app and `pilot run --system` may run (admin only; "
    "nothing else is imported).\n\n"
    "Example: pilot --user ada system register my_team.qa:answer --name team-qa"
)
def system() -> None:
    pass


@system.command(
    "register",
    help="Register MODULE:FUNCTION under a name the Runs page offers and `pilot run --system "
    "NAME` accepts.\n\n"
    "Example: pilot --user ada system register my_team.qa:answer --name team-qa",
)
@click.argument("target")
@click.option("--name", required=True, help="The name leads pick on the Runs page.")
@json_option
@pass_ctx
def system_register(ctx: Context, target: str, name: str, as_json: bool) -> None:
    from pilot.runs.systems.registered import register_system

    done = register_system(ctx.store, ctx.user, target, name)
    note(f"registered {done.name} -> {done.target}")
    if as_json:
        emit(done.to_dict(), True)


@system.command("list", help="List registered systems.\n\nExample: pilot system list --json")
@json_option
@pass_ctx
def system_list(ctx: Context, as_json: bool) -> None:
    from pilot.runs.systems.registered import list_systems

    with ctx.store.read() as con:
        systems = list_systems(con)

    def text() -> None:
        for s in systems:
            click.echo(f"{s.name:<20} {s.target}  (by {s.registered_by} at {s.registered_at})")
        if not systems:
            click.echo("no systems registered")

    emit({"systems": [s.to_dict() for s in systems]}, as_json, text)
