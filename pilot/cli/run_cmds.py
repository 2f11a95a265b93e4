"""`pilot run` and `pilot results export`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx
from pilot.core.errors import Halted, InputError
from pilot.core.models import RetrievalSettings, SystemConfig
from pilot.runs.execute import Progress, RunOptions


def resolve_config(
    system: str,
    model: str | None,
    prompt_file: str | None,
    config_file: str | None,
    top_k: int | None,
    min_score: float | None,
) -> SystemConfig:
    if config_file:
        try:
            return SystemConfig.model_validate_json(Path(config_file).read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{config_file}: {exc}") from None
    prompt = Path(prompt_file).read_text() if prompt_file else ""
    retrieval = RetrievalSettings(
        **{k: v for k, v in {"top_k": top_k, "min_score": min_score}.items() if v is not None}
    )
    if system == "offline":
        return SystemConfig(retrieval=retrieval)
    if system == "anthropic":
        from pilot.runs.systems.anthropic import DEFAULT_MODEL

        return SystemConfig(
            kind="anthropic",
            model=model or DEFAULT_MODEL,
            prompt_template=prompt,
            retrieval=retrieval,
        )
    if ":" not in system:
        raise InputError(f"--system {system!r}: use offline, anthropic or module:function")
    return SystemConfig(
        kind="callable",
        model=model or system,
        target=system,
        prompt_template=prompt,
        retrieval=retrieval,
    )


class _ProgressLine:
    """A one-line progress bar on stderr: counts and rate, redrawn at most 5 times a second."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, p: Progress, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < 0.2 and p.done < p.total:
            return
        self.last = now
        width = 30
        filled = int(width * p.done / p.total) if p.total else width
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(
            f"\r[{bar}] {p.done}/{p.total}  errors {p.errors}  cached {p.cached}  {p.rate:.1f}/s "
        )
        if final or p.done >= p.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


@cli.command(
    help="Run a golden set against a system and judge it against the bar. Exit 0 when "
    "a signed bar is met, 1 when it is not (or the run is exploratory, or worse than "
    "--baseline), 3 when halted by the kill switch.\n\n"
    "Example: pilot run --goldenset benefits --system offline --json"
)
@click.option("--goldenset", "goldenset", help="Golden set name (its latest version).")
@click.option("--version", "version", help="A golden set version id instead of the latest.")
@click.option(
    "--system", default="offline", show_default=True, help="offline, anthropic, or module:function."
)
@click.option("--model", default=None, help="Model id (anthropic) or label.")
@click.option("--prompt-file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A SystemConfig JSON file (overrides --system/--model).",
)
@click.option("--top-k", type=int, default=None)
@click.option("--min-score", type=float, default=None)
@click.option("--concurrency", default=16, show_default=True)
@click.option("--no-cache", is_flag=True, help="Call the system even when a response is cached.")
@click.option("--baseline", default=None, help="A run id to compare against (CI gate).")
@click.option(
    "--batch",
    is_flag=True,
    help="Claude only: submit through the Message Batches API and poll to the end.",
)
@click.option(
    "--poll-interval", default=30.0, show_default=True, help="Seconds between batch status checks."
)
@click.option("--resume", "resume_id", default=None, help="Resume an unfinished run.")
@click.option(
    "--replay", "replay_id", default=None, help="Re-execute a run from the response cache alone."
)
@json_option
@pass_ctx
def run(
    ctx: Context,
    goldenset: str | None,
    version: str | None,
    system: str,
    model: str | None,
    prompt_file: str | None,
    config_file: str | None,
    top_k: int | None,
    min_score: float | None,
    concurrency: int,
    no_cache: bool,
    baseline: str | None,
    batch: bool,
    poll_interval: float,
    resume_id: str | None,
    replay_id: str | None,
    as_json: bool,
) -> None:
    from pilot.results.report import run_report
    from pilot.runs.start import start_or_resume

    if concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    config = None
    if not (resume_id or replay_id):
        config = resolve_config(system, model, prompt_file, config_file, top_k, min_score)
    if batch and config is not None and config.kind != "anthropic":
        raise InputError("--batch needs --system anthropic (the Message Batches API)")
    options = RunOptions(
        concurrency=concurrency,
        use_cache=not no_cache,
        cache_only=bool(replay_id),
        batch=batch,
        poll_interval=poll_interval,
    )
    progress = _ProgressLine()
    try:
        outcome = start_or_resume(
            ctx.store,
            ctx.user,
            goldenset=goldenset,
            version=version,
            config=config,
            options=options,
            resume_id=resume_id,
            replay_id=replay_id,
            on_progress=progress,
        )
    except Halted:
        raise
    if outcome.status == "halted":
        note(
            f"run {outcome.run_id} halted by the kill switch after {outcome.done}/"
            f"{outcome.total} cases; `pilot run --resume {outcome.run_id}` continues it"
        )
        emit(
            {
                "run_id": outcome.run_id,
                "status": "halted",
                "done": outcome.done,
                "total": outcome.total,
            },
            as_json,
            lambda: None,
        )
        sys.exit(3)
    report = run_report(ctx.store, outcome.run_id, baseline=baseline)
    emit(report, as_json, lambda: _print_report(report))
    sys.exit(report["exit_code"])


def _print_report(report: dict) -> None:
    verdict = report["verdict"]
    click.echo(f"run {report['run_id']}  ({report['status']})")
    from pilot.results.tables import metric_line

    for name, m in report["metrics"].items():
        click.echo(f"  {name:<28} {metric_line(name, m)}")
    if verdict["exploratory"]:
        click.echo("  EXPLORATORY: not judged against a signed bar")
    for c in verdict["criteria"]:
        mark = "PASS" if c["passed"] else "FAIL"
        click.echo(
            f"  {mark} {c['metric']} ({c['scope']}, {c['judged_on']}) "
            f"{c['direction'].replace('_', ' ')} {c['threshold']}"
        )
    if report.get("regression"):
        r = report["regression"]
        click.echo(
            f"  vs {r['baseline']}: {r['now_wrong']} now wrong, {r['now_right']} now "
            f"right, McNemar p={r['p_value']:.3g}"
            + ("  SIGNIFICANTLY WORSE" if r["significantly_worse"] else "")
        )
    click.echo("bar met" if report["exit_code"] == 0 else "bar NOT met")


@cli.group(help="Export a run's results.\n\nExample: pilot results export RUN_ID --out r.jsonl")
def results() -> None:
    pass


@results.command(
    "export",
    help="Write one record per case (jsonl, csv or parquet by the "
    "file's extension).\n\nExample: pilot results export run-1a2b --out r.parquet",
)
@click.argument("run_id")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@pass_ctx
def results_export(ctx: Context, run_id: str, out: str) -> None:
    from pilot.runs.export import export_results

    n = export_results(ctx.store, ctx.user, run_id, Path(out))
    note(f"wrote {n} records to {out}")
