"""init, demo and user management."""

from __future__ import annotations

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx
from pilot.core.roles import ROLES


@cli.command(
    help="Create the database (0600) and its pilot key (PILOT_KEY_FILE, else <db>.key, 0600); "
    "on an empty database, create the first admin and print its token once. On a database made "
    "before keys, create the key: events before it are reported as unkeyed.\n\n"
    "Example: pilot --db pilot.duckdb init --admin ada"
)
@click.option(
    "--admin",
    "admin_name",
    default="admin",
    show_default=True,
    help="Name of the first admin (only used on an empty database).",
)
@json_option
@pass_ctx
def init(ctx: Context, admin_name: str, as_json: bool) -> None:
    from pilot.core import access, sealing, tokens

    with ctx.store.read() as con:
        empty = not access.list_users(con)
    state = sealing.adopt_key(ctx.store)
    issued = None
    if empty:
        first = access.add_user(ctx.store, None, admin_name, "admin")
        issued = ctx.store.write(
            lambda con: tokens.issue(con, first, first.name, "admin", name="init")
        )
    data = {
        "database": str(ctx.store.path),
        "key_file": state.path,
        "key_id": state.key_id,
        "key_created": state.created,
        "first_keyed_event": state.first_keyed,
        "admin": issued.user if issued else None,
        "token": issued.secret if issued else None,
        "token_id": issued.token_id if issued else None,
    }

    def text() -> None:
        note(f"database ready: {ctx.store.path}")
        note(f"pilot key {state.key_id}: {state.path} (keep it out of backups of the database)")
        if state.first_keyed and state.first_keyed > 1:
            note(f"unkeyed records before event {state.first_keyed} (written before the key)")
        if issued:
            note(f"first admin: {issued.user}; this token is shown once, keep it secret:")
            click.echo(f"PILOT_TOKEN={issued.secret}")

    emit(data, as_json, text)


@cli.command(
    help="Build the demo pilot (users, workflow, signed bar, golden set, runs) in this "
    "database.\n\nExample: pilot --db demo.duckdb demo"
)
@json_option
@pass_ctx
def demo(ctx: Context, as_json: bool) -> None:
    from pilot.demo import demo_tokens, seed_demo

    summary = seed_demo(ctx.store)
    issued = demo_tokens(ctx.store)
    summary["tokens"] = {t.user: t.secret for t in issued}

    def text() -> None:
        click.echo(f"demo pilot ready in {ctx.store.path}")
        click.echo("sign in with one of these demo accounts (demo data only):")
        for account in summary["accounts"]:
            click.echo(
                f"  {account['name']:<7} {account['role']:<10} password: {account['password']}"
            )
        click.echo("CLI tokens for the demo accounts (new ones each time; export one):")
        for t in issued:
            click.echo(f"  {t.user:<7} PILOT_TOKEN={t.secret}")

    emit(summary, as_json, text)


@cli.group(help="Manage users and roles (admin only).\n\nExample: pilot user list")
def user() -> None:
    pass


@user.command(
    "add",
    help="Add a user. The very first user becomes admin.\n\n"
    "Example: pilot user add marco --role evaluator --password-stdin",
)
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def user_add(ctx: Context, name: str, role: str, email: str | None, password_stdin: bool) -> None:
    from pilot.core import access

    password = click.get_text_stream("stdin").readline().rstrip("\n") if password_stdin else None
    created = access.add_user(ctx.store, ctx.user, name, role, password=password, email=email)
    note(f"added {created.name} as {created.role}")


@user.command("list", help="List users.\n\nExample: pilot user list --json")
@json_option
@pass_ctx
def user_list(ctx: Context, as_json: bool) -> None:
    from pilot.core import access

    actor = ctx.user
    with ctx.store.read() as con:
        access.require(con, actor, "read")
        users = access.list_users(con)

    def text() -> None:
        for u in users:
            state = "" if u["active"] else " (inactive)"
            click.echo(f"{u['name']:<12} {u['role']:<10}{state}")

    emit({"users": users}, as_json, text)


@user.command(
    "unlock",
    help="Unlock an account locked after 10 failed sign-ins in 15 minutes (admin).\n\n"
    "Example: pilot user unlock marco",
)
@click.argument("name")
@pass_ctx
def user_unlock(ctx: Context, name: str) -> None:
    from pilot.core import signin

    signin.unlock(ctx.store, ctx.user, name)
    note(f"{name} is unlocked")


@user.command("role", help="Change a user's role.\n\nExample: pilot user role dana lead")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@pass_ctx
def user_role(ctx: Context, name: str, role: str) -> None:
    from pilot.core import access

    access.set_role(ctx.store, ctx.user, name, role)
    note(f"{name} is now {role}")
