"""init, demo and user management."""

from __future__ import annotations

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx
from pilot.core import access


@cli.command(help="Create the database and apply migrations.\n\nExample: pilot init")
@pass_ctx
def init(ctx: Context) -> None:
    with ctx.store.read():
        pass
    note(f"database ready: {ctx.store.path}")


@cli.command(
    help="Build the demo pilot (users, workflow, signed bar, golden set, runs) in this "
    "database.\n\nExample: pilot --db demo.duckdb demo"
)
@json_option
@pass_ctx
def demo(ctx: Context, as_json: bool) -> None:
    from pilot.demo import seed_demo

    summary = seed_demo(ctx.store)

    def text() -> None:
        click.echo(f"demo pilot ready in {ctx.store.path}")
        click.echo("sign in with one of these demo accounts:")
        for account in summary["accounts"]:
            click.echo(
                f"  {account['name']:<7} {account['role']:<10} password: {account['password']}"
            )

    emit(summary, as_json, text)


@cli.group(help="Manage users and roles (admin only).\n\nExample: pilot --user ada user list")
def user() -> None:
    pass


@user.command(
    "add",
    help="Add a user. The very first user becomes admin.\n\n"
    "Example: pilot --user ada user add marco --role evaluator --password-stdin",
)
@click.argument("name")
@click.option("--role", type=click.Choice(access.ROLES), required=True)
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def user_add(ctx: Context, name: str, role: str, email: str | None, password_stdin: bool) -> None:
    password = click.get_text_stream("stdin").readline().rstrip("\n") if password_stdin else None
    created = access.add_user(ctx.store, ctx.user, name, role, password=password, email=email)
    note(f"added {created.name} as {created.role}")


@user.command("list", help="List users.\n\nExample: pilot user list --json")
@json_option
@pass_ctx
def user_list(ctx: Context, as_json: bool) -> None:
    with ctx.store.read() as con:
        users = access.list_users(con)

    def text() -> None:
        for u in users:
            state = "" if u["active"] else " (inactive)"
            click.echo(f"{u['name']:<12} {u['role']:<10}{state}")

    emit({"users": users}, as_json, text)


@user.command("role", help="Change a user's role.\n\nExample: pilot --user ada user role dana lead")
@click.argument("name")
@click.argument("role", type=click.Choice(access.ROLES))
@pass_ctx
def user_role(ctx: Context, name: str, role: str) -> None:
    access.set_role(ctx.store, ctx.user, name, role)
    note(f"{name} is now {role}")
