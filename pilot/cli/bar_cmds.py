"""`pilot bar`: draft, sign, show and compare acceptance-bar versions."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx
from pilot.core.errors import InputError

if TYPE_CHECKING:
    from pilot.define import bar_versions


@cli.group("bar", help="The acceptance bar.\n\nExample: pilot bar show --json")
def bar_group() -> None:
    pass


def _get(ctx: Context, version: int, label: str) -> bar_versions.BarVersion:
    from pilot.define import bar_versions

    with ctx.store.read() as con:
        found = bar_versions.bar_version(con, version)
    if found is None:
        raise InputError(f"{label} {version}: no such bar version")
    return found


@bar_group.command(
    "show",
    help="Show the latest bar version (or --version N) with its status and criteria.\n\n"
    "Example: pilot bar show --version 2 --json",
)
@click.option("--version", type=int, default=None, help="A version number (default: latest).")
@json_option
@pass_ctx
def bar_show(ctx: Context, version: int | None, as_json: bool) -> None:
    from pilot.define import bar_versions, bars

    if version is not None:
        found = _get(ctx, version, "--version")
    else:
        with ctx.store.read() as con:
            found = bar_versions.latest_bar(con)
    if found is None:
        note("no acceptance bar yet: use `pilot bar draft FILE.json`")
        emit({"version": None}, as_json, lambda: None)
        return

    from pilot.runs.integrity import bar_problem

    with ctx.store.read() as con:
        problem = bar_problem(con, found.version)

    def text() -> None:
        if problem:
            click.echo(f"NOT TRUSTED: {problem} (see `pilot audit verify`)")
        click.echo(found.status())
        for line in bars.describe_bar(found.bar):
            click.echo(f"  - {line}")

    emit(found.as_dict() | {"integrity_problem": problem}, as_json, text)


@bar_group.command(
    "draft",
    help="Save a bar JSON file as a draft version (a new version after a signed one).\n\n"
    "Example: pilot bar draft bar.json",
)
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@pass_ctx
def bar_draft(ctx: Context, file: str, as_json: bool) -> None:
    from pilot.define import bar_versions, bars
    from pilot.define.workflow import load_json_file, parse_model

    bar = parse_model(bars.AcceptanceBar, load_json_file(file), file)
    saved = bar_versions.save_draft(ctx.store, ctx.user, bar)
    note(saved.status())
    emit(saved.as_dict(), as_json, lambda: click.echo(saved.version))


@bar_group.command(
    "sign",
    help="Sign the latest draft: records who, when and its content hash; it never changes "
    "again.\n\nExample: pilot bar sign --version 3",
)
@click.option("--version", type=int, default=None, help="Must be the latest version.")
@json_option
@pass_ctx
def bar_sign(ctx: Context, version: int | None, as_json: bool) -> None:
    from pilot.define import bar_versions

    signed = bar_versions.sign_bar(ctx.store, ctx.user, version)
    note(signed.status())
    emit(signed.as_dict(), as_json, lambda: click.echo(signed.signature_hash))


@bar_group.command(
    "diff",
    help="What changed between two bar versions.\n\nExample: pilot bar diff 1 2 --json",
)
@click.argument("a", type=int)
@click.argument("b", type=int)
@json_option
@pass_ctx
def bar_diff(ctx: Context, a: int, b: int, as_json: bool) -> None:
    from pilot.define import bars

    first, second = _get(ctx, a, "A"), _get(ctx, b, "B")
    diff = bars.diff_bars(first.bar, second.bar)
    emit(
        {"from": a, "to": b, **diff.as_dict()},
        as_json,
        lambda: [click.echo(line) for line in diff.lines()],
    )


def _expected(values: tuple[str, ...], n_criteria: int) -> dict[int, float]:
    """`--expected 0=0.95` pairs: a criterion's index (from 0) and its expected rate."""
    rates: dict[int, float] = {}
    for value in values:
        index, _, rate = value.partition("=")
        try:
            i, r = int(index), float(rate)
        except ValueError:
            raise InputError(f"--expected {value!r}: write INDEX=RATE, e.g. 0=0.95") from None
        if not 0 <= i < n_criteria:
            raise InputError(
                f"--expected {value!r}: no criterion {i}; the bar has {n_criteria} (from 0)"
            )
        if not 0.0 <= r <= 1.0:
            raise InputError(f"--expected {value!r}: the rate must be between 0 and 1")
        rates[i] = r
    return rates


@bar_group.command(
    "plan",
    help="How many cases each criterion needs so that a system as good as expected passes "
    "with the chosen chance (exact binomial sums over the bar's own rule), and what chance "
    "the newest golden set gives it. Prints the figures the pages chart.\n\n"
    "Example: pilot bar plan --expected 0=0.95 --power 0.8 --json",
)
@click.option("--version", type=int, default=None, help="A bar version (default: latest).")
@click.option("--goldenset", "goldenset", default=None, help="A golden-set version id.")
@click.option(
    "--expected",
    multiple=True,
    metavar="INDEX=RATE",
    help="Expected rate for criterion INDEX (from 0); default halfway to perfect. Repeatable.",
)
@click.option(
    "--power",
    type=click.FloatRange(0.5, 0.99),
    default=0.8,
    show_default=True,
    help="The chance of passing to plan for.",
)
@json_option
@pass_ctx
def bar_plan(
    ctx: Context,
    version: int | None,
    goldenset: str | None,
    expected: tuple[str, ...],
    power: float,
    as_json: bool,
) -> None:
    from pilot.define import bar_versions, planner
    from pilot.define.planner_curves import planner_curves
    from pilot.goldensets import sizes

    found = _get(ctx, version, "--version") if version is not None else None
    with ctx.store.read() as con:
        found = found or bar_versions.latest_bar(con)
        if found is None:
            raise InputError("no acceptance bar yet: use `pilot bar draft FILE.json` first")
        rates = _expected(expected, len(found.bar.criteria))
        rows = planner.planner_rows(sizes.planner_context(con, goldenset), found.bar, rates, power)
        golden = sizes.latest_goldenset(con, goldenset)
    if goldenset is not None and golden is None:
        raise InputError(f"--goldenset {goldenset}: no such golden-set version")
    data = {
        "bar_version": found.version,
        "goldenset": None if golden is None else asdict(golden),
        "power": power,
        "search_bound": planner.MAX_CASES,
        "criteria": [
            row.as_dict() | (planner_curves(row).as_dict() if row.plan else {}) for row in rows
        ],
    }

    def text() -> None:
        click.echo(f"Bar version {found.version}: sizes for a {power:.0%} chance of passing.")
        for row in rows:
            click.echo(f"\n[{row.index}] {row.description}")
            click.echo(f"  {row.headline}")
            for sentence in row.sentences:
                click.echo(f"  - {sentence}")

    emit(data, as_json, text)
