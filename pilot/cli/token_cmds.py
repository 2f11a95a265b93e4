"""Personal access tokens and the pilot key."""

from __future__ import annotations

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx
from pilot.core.roles import TOKEN_ROLES


@cli.group(
    help="Personal access tokens: how the CLI acts as you (PILOT_TOKEN).\n\n"
    "Example: pilot token create --role runner --expires 90 --name ci"
)
def token() -> None:
    pass


@token.command(
    "create",
    help="Create a token and print it once. Default: for yourself, with your role. Only an "
    "admin may create one for another user; the role may not exceed the user's "
    "(`runner` may only start runs and read results).\n\n"
    "Example: pilot token create --user priya --role runner --expires 90 --name ci",
)
@click.option("--user", "for_user", default=None, help="Whose token (default: yours).")
@click.option("--role", type=click.Choice(TOKEN_ROLES), default=None)
@click.option("--expires", "days", type=int, default=None, help="Days until it expires.")
@click.option("--name", default="cli", show_default=True, help="A label, e.g. ci.")
@json_option
@pass_ctx
def token_create(
    ctx: Context, for_user: str | None, role: str | None, days: int | None, name: str, as_json: bool
) -> None:
    from pilot.core import tokens

    issued = tokens.create_token(ctx.store, ctx.user, for_user, role, name=name, days=days)
    data = {
        "id": issued.token_id,
        "user": issued.user,
        "role": issued.role,
        "name": issued.name,
        "expires_at": issued.expires_at,
        "token": issued.secret,
    }

    def text() -> None:
        note(
            f"token {issued.token_id} for {issued.user} ({issued.role}), expires "
            f"{issued.expires_at or 'never'}; shown once, keep it secret:"
        )
        click.echo(f"PILOT_TOKEN={issued.secret}")

    emit(data, as_json, text)


@token.command(
    "list",
    help="List tokens (an admin sees all, others their own); never the secrets.\n\n"
    "Example: pilot token list --json",
)
@json_option
@pass_ctx
def token_list(ctx: Context, as_json: bool) -> None:
    from pilot.core import access, tokens

    actor = ctx.user
    with ctx.store.read() as con:
        found = tokens.list_tokens(con, access.require(con, actor, "read"))

    def text() -> None:
        for t in found:
            click.echo(
                f"{t['id']}  {t['user']:<10} {t['role']:<9} {t['state']:<8} "
                f"{t['name']:<12} expires {t['expires_at'] or 'never'}"
            )

    emit({"tokens": found}, as_json, text)


@token.command(
    "revoke",
    help="Revoke a token (your own, or any as admin).\n\nExample: pilot token revoke 3fa0c1d2e4b5",
)
@click.argument("token_id")
@pass_ctx
def token_revoke(ctx: Context, token_id: str) -> None:
    from pilot.core import tokens

    tokens.revoke_token(ctx.store, ctx.user, token_id)
    note(f"token {token_id} revoked")


@cli.group(help="The pilot key that seals the audit chain.\n\nExample: pilot key rotate")
def key() -> None:
    pass


@key.command(
    "rotate",
    help="Verify the chain under the current key, re-seal it under a new key in one "
    "transaction, record `key.rotate`, then replace the key file (admin).\n\n"
    "Example: pilot key rotate --json",
)
@json_option
@pass_ctx
def key_rotate(ctx: Context, as_json: bool) -> None:
    from pilot.core import sealing

    state = sealing.rotate(ctx.store, ctx.user)
    emit(
        {"key_file": state.path, "key_id": state.key_id},
        as_json,
        lambda: note(f"pilot key rotated: now {state.key_id} in {state.path}"),
    )
