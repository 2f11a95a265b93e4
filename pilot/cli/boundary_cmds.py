"""`pilot boundary`: record the data boundary's leak check, show the latest one."""

from __future__ import annotations

import sys

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx


@cli.group(
    "boundary",
    help="The data boundary's leak check.\n\nExample: pilot boundary check --probes pii.txt",
)
def boundary_group() -> None:
    pass


def _print(data: dict) -> None:
    state = "CLEAN" if data["clean"] else f"{data['leaks_found']} LEAK(S)"
    click.echo(
        f"{state}: {data['items_tested']} item(s) tested ({data['probes']} probes, "
        f"{data['cases_scanned']} golden cases) on workflow v{data['workflow_version']}, "
        f"boundary {data['boundary_hash'][:12]}, by {data['checked_by']} at {data['checked_at']}"
    )
    for leak in data["leaks"]:
        where = f"line {leak['line']}" if leak["line"] else "restricted term"
        click.echo(f"  leaked: {leak['kind']} ({where}) in {leak['position']}")


@boundary_group.command(
    "check",
    help="Put every value of a probe file (personal data that must never leave: one per line, "
    "or JSON lines with `value` and `kind`) in each outbound position of a case and send it "
    "through the current boundary's redaction, as a run's edge does; with --goldenset, every "
    "case of that set too. Records the result (audited; leaked values are never stored). A "
    "lead or an auditor (the security owner). Exit 1 when anything leaks.\n\n"
    "Example: pilot boundary check --probes pii.txt --goldenset benefits --json",
)
@click.option("--probes", "probes_file", required=True, type=click.Path(dir_okay=False))
@click.option("--goldenset", default=None, help="Also scan this golden set (name or version).")
@json_option
@pass_ctx
def boundary_check(ctx: Context, probes_file: str, goldenset: str | None, as_json: bool) -> None:
    from pilot.define.leak_check import read_probes, record_leak_check
    from pilot.goldensets.stored import load_cases, resolve_version

    probes, digest = read_probes(probes_file)
    cases = []
    if goldenset:
        with ctx.store.read() as con:
            cases = load_cases(con, resolve_version(con, goldenset))
    check = record_leak_check(
        ctx.store, ctx.user, probes, digest, source=click.format_filename(probes_file),
        cases=cases,
    )  # fmt: skip
    data = check.as_dict()
    note(f"leak check {check.id} recorded")
    emit(data, as_json, lambda: _print(data))
    sys.exit(0 if check.clean else 1)


@boundary_group.command(
    "last",
    help="The latest leak check and whether it was made on the current boundary.\n\n"
    "Example: pilot boundary last --json",
)
@json_option
@pass_ctx
def boundary_last(ctx: Context, as_json: bool) -> None:
    from pilot.core.access import require
    from pilot.define.leak_check import leak_check_status

    with ctx.store.read() as con:
        require(con, ctx.user, "read")
        check, current = leak_check_status(con)
    if check is None:
        note("no leak check recorded yet: `pilot boundary check --probes FILE`")
        emit({"check": None, "current": False}, as_json, lambda: None)
        return
    data = check.as_dict()
    emit({"check": data, "current": current}, as_json, lambda: _print(data))
