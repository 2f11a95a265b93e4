"""Review: ingest live outputs, draw samples, import grades, and the review status."""

from __future__ import annotations

import click

from pilot.cli.base import Context, cli, emit, json_option, note, pass_ctx
from pilot.core.errors import InputError


@cli.group("live", help="Live outputs recorded in production.")
def live() -> None:
    pass


@live.command(
    "ingest",
    help="Load live outputs from PATH (a spool folder, a file or a glob) of JSONL, CSV or "
    "Parquet. Idempotent by id; each file is atomic: a file with any problem keeps nothing, "
    "and every problem is listed with its file, line and field.\n\n"
    "Example: pilot --user priya live ingest pilot-spool --json",
)
@click.argument("path")
@json_option
@pass_ctx
def live_ingest(ctx: Context, path: str, as_json: bool) -> None:
    from pilot.review import ingest

    results = ingest.ingest(ctx.store, ctx.user, path)
    data = ingest.summary(results)
    for result in results:
        for problem in result.warnings:
            note(f"warning: {problem}")
        if result.ok:
            note(
                f"{result.file}: {result.inserted} new, {result.already} already ingested, "
                f"{result.approvals} approvals"
            )
        else:
            note(f"{result.file}: {len(result.errors)} problem(s); nothing from it was kept")
            for problem in result.errors:
                note(f"  {problem}")
    emit(data, as_json, lambda: click.echo(f"{data['inserted']} new outputs ingested"))
    if not data["ok"]:
        raise InputError(f"{len(data['bad_files'])} file(s) had problems and were not ingested")


@cli.group("sample", help="Samples of live outputs for human review.")
def sample() -> None:
    pass


@sample.command(
    "draw",
    help="Draw a seeded, stratified sample of SIZE live outputs from one ISO week (strata: "
    "tag, stage, consequential; consequential outputs oversampled). Stored with its seed, "
    "window and strata: the same call returns the same items. A share is marked for two "
    "graders, to measure agreement.\n\n"
    "Example: pilot --user priya sample draw --window 2026-W40 --size 40 --seed 7 --json",
)
@click.option("--window", required=True, help="ISO week, e.g. 2026-W40.")
@click.option("--size", type=int, required=True, help="How many outputs to sample.")
@click.option("--seed", type=int, required=True, help="The seed: same seed, same sample.")
@click.option(
    "--double-share", type=float, default=0.10, show_default=True, help="Share graded twice."
)
@click.option(
    "--consequential-weight",
    type=float,
    default=3.0,
    show_default=True,
    help="How much more likely a consequential output is to be drawn.",
)
@json_option
@pass_ctx
def sample_draw(
    ctx: Context,
    window: str,
    size: int,
    seed: int,
    double_share: float,
    consequential_weight: float,
    as_json: bool,
) -> None:
    from pilot.review import sampling

    data = sampling.draw(
        ctx.store,
        ctx.user,
        window,
        size,
        seed,
        double_share=double_share,
        consequential_weight=consequential_weight,
    )
    note(
        f"{'drew' if data['created'] else 'already drawn:'} sample {data['sample_id']}: "
        f"{data['n_items']} items ({data['n_double']} graded twice) from {window}"
    )
    emit(data, as_json, lambda: click.echo(data["sample_id"]))


@cli.group("grades", help="Grades of sampled live outputs.")
def grades_group() -> None:
    pass


@grades_group.command(
    "import",
    help="Import grades made outside the app from FILE (CSV with a header, or JSONL): "
    "output_id, evaluator, verdict (correct|partly|incorrect), severity "
    "(none|minor|major|critical), citations_support (true|false|empty), note, reason "
    "(needed when it changes an existing grade), graded_at. All or nothing: every problem is "
    "listed with its line and field. Grades only append; the same grade again adds nothing.\n\n"
    "Example: pilot --user priya grades import grades.csv --json",
)
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@pass_ctx
def grades_import(ctx: Context, file: str, as_json: bool) -> None:
    from pilot.review import grades

    try:
        data = grades.import_grades(ctx.store, ctx.user, file)
    except grades.GradesInvalid as exc:
        if as_json:
            emit({"ok": False, "errors": [p.as_dict() for p in exc.problems]}, True)
        raise
    note(f"{data['added']} grade(s) added, {data['unchanged']} unchanged")
    emit(data, as_json, lambda: click.echo(f"{data['added']} grades added"))


@cli.group("review", help="Human review of live outputs.")
def review() -> None:
    pass


@review.command(
    "status",
    help="Grading progress per evaluator and week, live accuracy per week with its 95% "
    "interval against the bar, critical errors, agreement (Cohen's kappa per pair, "
    "Krippendorff's alpha) and the approval-without-edit rate. Exit 1 when the latest graded "
    "week is below the bar.\n\nExample: pilot --user priya review status --json",
)
@json_option
@pass_ctx
def review_status(ctx: Context, as_json: bool) -> None:
    from pilot.core.errors import BarNotMet
    from pilot.review import dashboard

    with ctx.store.read() as con:
        data = dashboard.status(con, ctx.user)

    def text() -> None:
        for w in data["windows"]:
            acc = "—" if w["accuracy"] is None else f"{100 * w['accuracy']:.1f}%"
            click.echo(f"{w['window']}: {w['graded']}/{w['sampled']} graded, accuracy {acc}")
        for row in data["progress"]:
            click.echo(
                f"  {row['evaluator']} {row['window']}: {row['graded']} of {row['assigned']}"
            )
        click.echo(f"critical errors: {len(data['critical_errors'])}")
        click.echo(f"claims held over 4 hours without a grade: {len(data['stale_claims'])}")
        alpha = data["agreement"]["alpha"]
        click.echo(f"agreement (alpha): {'—' if alpha is None else f'{alpha:.2f}'}")

    emit(data, as_json, text)
    graded = [w for w in data["windows"] if w["graded"]]
    if graded and graded[-1].get("meets_bar") is False:
        raise BarNotMet(f"{graded[-1]['window']}: live accuracy is below the bar")


@live.command(
    "promote",
    help="Add a graded live output OUTPUT_ID to a new version of golden set NAME (its latest "
    "cases plus this one), so the golden set grows from what production sees. The expected "
    "answer is the one its grades agree on (the output when every grade says correct, the "
    "approver's edit when it was edited); otherwise give it with --answer. Leads only; one "
    "transaction, audited.\n\n"
    "Example: pilot --user priya live promote out-0042 --goldenset benefits --json",
)
@click.argument("output_id")
@click.option("--goldenset", "name", required=True, help="The golden set to add it to.")
@click.option("--answer", default=None, help="The correct answer, when it was not graded correct.")
@json_option
@pass_ctx
def live_promote(
    ctx: Context, output_id: str, name: str, answer: str | None, as_json: bool
) -> None:
    from pilot.goldensets import versions as gs
    from pilot.review import promote

    try:
        result = promote.add_to_goldenset(ctx.store, ctx.user, output_id, name, answer)
    except gs.GoldenSetInvalid as exc:
        if as_json:
            emit({"ok": False, "errors": [p.as_dict() for p in exc.report.errors]}, True)
        raise
    note(f"golden set {result.name}: new version {result.short} with {result.n_cases} cases, "
         f"including live-{output_id}")  # fmt: skip
    data = {"ok": True, "output_id": output_id, "case_id": f"live-{output_id}",
            "name": result.name, "version": result.version, "n_cases": result.n_cases,
            "created": result.created}  # fmt: skip
    emit(data, as_json, lambda: click.echo(result.version))


@review.command(
    "release",
    help="Release claims held without a grade for longer than --older-than hours (default "
    "4): each item goes to the next evaluator who asks for work. Leads only; audited.\n\n"
    "Example: pilot --user priya review release --older-than 8 --json",
)
@click.option(
    "--older-than", "hours", type=click.FloatRange(min=0), default=4.0, show_default=True,
    help="Release claims held longer than this many hours.",
)  # fmt: skip
@json_option
@pass_ctx
def review_release(ctx: Context, hours: float, as_json: bool) -> None:
    from datetime import timedelta

    from pilot.review import queue

    released = queue.release_stale(ctx.store, ctx.user, timedelta(hours=hours))
    note(
        f"released {len(released)} claim{'' if len(released) == 1 else 's'} held longer than {hours:g} hours"
    )
    data = {"ok": True, "older_than_hours": hours,
            "released": [{"output_id": c.output_id, "evaluator": c.evaluator,
                          "claimed_at": c.claimed_at} for c in released]}  # fmt: skip
    emit(data, as_json, lambda: click.echo(f"{len(released)} claims released"))
