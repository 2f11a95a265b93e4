"""Evidence: the report a risk committee reads without the tool, and its replay."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx


@cli.command(
    help="Write the evidence report: one self-contained HTML file (opens with no network) or "
    "its PDF, chosen by the file's suffix. The summary comes first: ready or not, for which "
    "stage, and why. A lead's; the generation is audited and its files kept beside the "
    "database (<db>.evidence/).\n\nExample: pilot report --out evidence.html"
)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="evidence.html or evidence.pdf")  # fmt: skip
@click.option("--run", "runs", multiple=True, help="A run to cover (repeatable; default: the "
              "run of record and the newest runs on its golden set).")  # fmt: skip
@click.option("--window", "windows", multiple=True,
              help="A live window (ISO week, e.g. 2026-W39) to cover (repeatable; default all).")  # fmt: skip
@json_option
@pass_ctx
def report(ctx: Context, out: Path, runs: tuple[str, ...], windows: tuple[str, ...],
           as_json: bool) -> None:  # fmt: skip
    from pilot.core.errors import InputError
    from pilot.evidence.report import generate

    suffix = out.suffix.lower()
    if suffix not in {".html", ".htm", ".pdf"}:
        raise InputError(f"--out {out}: name an .html or a .pdf file")
    made = generate(ctx.store, ctx.user, list(runs), list(windows), pdf=suffix == ".pdf")
    data = made.pdf if suffix == ".pdf" else made.html.encode("utf-8")
    out.write_bytes(data or b"")
    note(f"wrote {out} ({len(data or b''):,} bytes); audit event {made.seq}")
    result = {"out": str(out), "sha256": made.sha256, "signed": made.hmac is not None,
              "audit_event": made.seq, "ready": made.evidence.summary.ready,
              "headline": made.evidence.summary.headline, "figures": len(made.evidence.figures),
              "runs": list(made.evidence.scope.runs), "windows": made.evidence.scope.windows}  # fmt: skip
    emit(result, as_json, lambda: click.echo(made.evidence.summary.headline))


@cli.command(
    help="Check an evidence report against the database: its SHA-256, the pilot key's "
    "signature, and every figure recomputed from the stored rows. Exit 1 naming each figure "
    "that differs.\n\nExample: pilot replay evidence.html"
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_ctx
def replay(ctx: Context, path: Path, as_json: bool) -> None:
    from pilot.core.errors import InputError
    from pilot.evidence.report import replay as check

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not an HTML evidence report (replay reads the .html)") from None
    result = check(ctx.store, ctx.user, text, str(path))

    def show() -> None:
        click.echo(f"{path}: SHA-256 {'matches' if result.hash_ok else 'DOES NOT match'}; "
                   f"signature {result.signature}; {result.figures} figures")  # fmt: skip
        for line in result.differences:
            click.echo(f"DIFFERS: {line}")
        if result.wording:
            click.echo(f"worded by an earlier kit ({result.worded_by}); its facts are compared, "
                       "and these words read differently now:")  # fmt: skip
        for line in result.wording:
            click.echo(f"WORDING: {line}")
        click.echo("replay: every figure matches" if result.ok else "replay: FAILED")

    emit(result.as_dict(), as_json, show)
    sys.exit(0 if result.ok else 1)
