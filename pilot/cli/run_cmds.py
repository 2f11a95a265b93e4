"""`pilot run` and `pilot results export`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pilot.cli import collector
from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx
from pilot.core.errors import Halted, InputError

if TYPE_CHECKING:
    from pilot.core.models import SystemConfig
    from pilot.runs.context import Progress


def resolve_config(
    ctx: Context,
    system: str,
    model: str | None,
    prompt_file: str | None,
    config_file: str | None,
    top_k: int | None,
    min_score: float | None,
) -> SystemConfig:
    from pilot.core.models import RetrievalSettings, SystemConfig
    from pilot.runs.systems.registered import registered_target
    from pilot.runs.systems.registry import build_config, is_builtin, parse_system_option

    if config_file:
        try:
            config = SystemConfig.model_validate_json(Path(config_file).read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{config_file}: {exc}") from None
        if config.target is not None:  # code to import: only what an admin registered
            with ctx.store.read() as con:
                registered_target(con, "--config", config.target)
        return config
    prompt = Path(prompt_file).read_text() if prompt_file else ""
    retrieval = RetrievalSettings(
        **{k: v for k, v in {"top_k": top_k, "min_score": min_score}.items() if v is not None}
    )
    if is_builtin(system):
        kind, target = parse_system_option(system)
    else:  # a callable: only one an admin registered, by its name or its target
        with ctx.store.read() as con:
            kind, target = parse_system_option(registered_target(con, "--system", system))
    return build_config(kind, model=model, target=target, prompt=prompt, retrieval=retrieval)


class ProgressBar:
    """`click.progressbar` on stderr, fed by the runner's progress: cases done of the total,
    with errors, cache hits and the rate beside it. Click redraws it only on a terminal.
    `first`: called at the first result (the run's long-lived objects are all built then)."""

    def __init__(self, first: Callable[[], None] = lambda: None) -> None:
        self.bar: Any = None
        self.shown = 0
        self.first = first

    def __call__(self, p: Progress) -> None:
        if self.bar is None:
            self.first()
            self.bar = click.progressbar(
                length=p.total,
                label="cases",
                file=sys.stderr,
                show_pos=True,
                item_show_func=lambda q: (
                    f"errors {q.errors}  cached {q.cached}  {q.rate:.1f}/s" if q else None
                ),
            )
            self.bar.__enter__()
        if not self.bar._is_atty:
            return  # not a terminal: click draws nothing after the label, so skip the work
        self.bar.update(p.done - self.shown, p)
        self.shown = p.done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@cli.group(
    invoke_without_command=True,
    help="Run a golden set against a system and judge it against the bar. Exit 0 when "
    "a signed bar is met, 1 when it is not (or the run is exploratory, or worse than "
    "--baseline), 2 when the run is owned by another live process, 3 when halted by the kill "
    "switch, 5 when inconclusive (more cases errored than the bar's max_error_rate, 2% by "
    "default; --resume calls them again). `pilot run pin RUN_ID` makes a run the run of "
    "record.\n\n"
    "Example: pilot run --goldenset benefits --system offline --json",
)
@click.option("--goldenset", "goldenset", help="Golden set name (its latest version).")
@click.option("--version", "version", help="A golden set version id instead of the latest.")
@click.option(
    "--system",
    default="offline",
    show_default=True,
    help="offline, anthropic, or a system an admin registered (`pilot system list`), by its "
    "name or its module:function.",
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
    collecting = collector.Paused(not batch)  # until the first result (`pilot.cli.collector`)
    click.get_current_context().call_on_close(collecting.resume)  # whatever happens
    from pilot.results.report import run_report
    from pilot.runs.context import RunOptions
    from pilot.runs.run import RunStatus
    from pilot.runs.start import start_or_resume

    if click.get_current_context().invoked_subcommand:
        return  # `pilot run pin ...`
    if concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    config = None
    if not (resume_id or replay_id):
        config = resolve_config(ctx, system, model, prompt_file, config_file, top_k, min_score)
    options = RunOptions(
        concurrency=concurrency,
        use_cache=not no_cache,
        cache_only=bool(replay_id),
        batch=batch,
        poll_interval=poll_interval,
    )
    progress = ProgressBar(collecting.resume)
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
    finally:
        progress.close()
    if outcome.status is RunStatus.HALTED:
        note(
            f"run {outcome.run_id} halted by the kill switch after {outcome.done}/"
            f"{outcome.total} cases; `pilot run --resume {outcome.run_id}` continues it"
        )
        emit(
            {
                "run_id": outcome.run_id,
                "status": outcome.status.value,
                "done": outcome.done,
                "total": outcome.total,
            },
            as_json,
            lambda: None,
        )
        sys.exit(3)
    report = run_report(ctx.store, outcome.run_id, baseline=baseline, record=outcome.record)
    emit(report, as_json, lambda: _print_report(report))
    sys.exit(report["exit_code"])


@run.command(
    "pin",
    help="Pin RUN_ID (finished, judged against a signed bar) as the run of record for its "
    "golden-set and bar versions (a lead; audited). Until one is pinned, the newest finished "
    "run on the current versions is the run of record.\n\nExample: pilot run pin r-20261129-ab12",
)
@click.argument("run_id")
@json_option
@pass_ctx
def run_pin(ctx: Context, run_id: str, as_json: bool) -> None:
    from pilot.readiness.record import pin_run

    pinned = pin_run(ctx.store, ctx.user, run_id)
    emit(
        pinned.as_dict(),
        as_json,
        lambda: click.echo(
            f"run {pinned.run_id} is the run of record for golden set {pinned.goldenset_version[:12]} "
            f"and bar v{pinned.bar_version}: " + ("passes" if pinned.passed else "fails")
        ),
    )


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
    if verdict.get("inconclusive"):
        click.echo(
            f"INCONCLUSIVE: {verdict['errors']}/{verdict['n_cases']} cases failed to get an "
            f"answer (over the bar's max error rate {verdict['max_error_rate']:.0%}); "
            f"`pilot run --resume {report['run_id']}` calls them again"
        )
        return
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
