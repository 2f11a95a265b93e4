"""`pilot app`: serve the Streamlit front end with the project's config."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import click

from pilot.cli.base import Context, cli, pass_ctx

APP_DIR = Path(__file__).resolve().parents[2] / "app"


def config_file() -> Path:
    """streamlit_config/config.toml beside the packages (editable install or checkout)."""
    return APP_DIR.parent / "streamlit_config" / "config.toml"


def config_flags(path: Path) -> list[str]:
    """Streamlit reads no config file from an arbitrary path, so pass each option as a flag."""
    if not path.exists():
        return []
    flags = []
    for section, options in tomllib.loads(path.read_text()).items():
        for key, value in options.items():
            rendered = str(value).lower() if isinstance(value, bool) else str(value)
            flags.append(f"--{section}.{key}={rendered}")
    return flags


def streamlit_command(port: int, address: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_DIR / "server.py"),
        *config_flags(config_file()),
        f"--server.port={port}",
        f"--server.address={address}",
    ]


@cli.command(help="Serve the app.\n\nExample: pilot --db demo.duckdb app --port 8501")
@click.option("--port", default=8501, show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True)
@pass_ctx
def app(ctx: Context, port: int, address: str) -> None:
    from pilot.demo import DEMO_ACCOUNTS, is_demo

    env = {**os.environ, "PILOT_DB": str(ctx.store.path)}
    click.echo(f"Pilot Kit on http://{address}:{port}  (database {ctx.store.path})", err=True)
    if is_demo(ctx.store):
        click.echo("demo accounts (user / password):", err=True)
        for name, role, password in DEMO_ACCOUNTS:
            click.echo(f"  {name:<7} {role:<10} {password}", err=True)
    command = streamlit_command(port, address)
    # Become the Streamlit server, so a signal to `pilot app` stops the server itself.
    os.execvpe(command[0], command, env)
