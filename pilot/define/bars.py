"""The acceptance bar: criteria agreed in writing, versioned, signed, and then never changed.

Versions are numbered 1, 2, 3 … Every save whose content differs from the latest version is a
new version whose parent is the version it was edited from; saving identical content is a
no-op. A version's content is never updated, draft or signed: the one change a row ever sees is
its signature being filled in, once (`sign_bar`). So a run that names bar version 3 names
exactly one content, whether or not 3 was ever signed, and a draft's history is kept too.
Runs against an unsigned draft (or no bar) are exploratory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

import duckdb
from pydantic import Field, field_validator, model_validator

from pilot.core import audit
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.models import Frozen, canonical_json, content_hash
from pilot.core.store import Store

Direction = Literal["higher", "lower"]

METRIC_LABELS: dict[str, str] = {
    "accuracy": "Accuracy",
    "citation_precision": "Citation precision",
    "citation_coverage": "Citation coverage",
    "evidence_recall": "Evidence recall",
    "abstain_rate_unanswerable": "Abstain rate",
    "false_abstain_rate": "False-abstain rate",
}
"""The metrics a bar may name (the same names `metrics.registry.METRICS` computes)."""

LOWER_IS_BETTER = frozenset({"false_abstain_rate"})

POPULATION: dict[str, Literal["all", "answerable", "unanswerable"]] = {
    "accuracy": "all",
    "citation_precision": "answerable",
    "citation_coverage": "answerable",
    "evidence_recall": "answerable",
    "abstain_rate_unanswerable": "unanswerable",
    "false_abstain_rate": "answerable",
}
"""Which golden-set cases each metric is measured on (citations come from answered cases,
which the planner approximates by the answerable ones)."""

MATCH_RULES = ("exact", "contains", "f1", "numeric", "judge")


def metric_direction(metric: str) -> Direction:
    return "lower" if metric in LOWER_IS_BETTER else "higher"


class Criterion(Frozen):
    """One line of the bar. `judged_on="lower_bound"` means the conservative end of the 95%
    interval: the lower bound for an at-least metric, the upper bound for an at-most one."""

    metric: str
    threshold: float
    scope: str = "all"
    judged_on: Literal["point", "lower_bound"] = "lower_bound"

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in METRIC_LABELS:
            raise ValueError(f"unknown metric {value!r}; use one of: {', '.join(METRIC_LABELS)}")
        return value

    @field_validator("threshold")
    @classmethod
    def _proportion(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            hint = f": write {value / 100:g} for {value:g}%" if 1 < value <= 100 else ""
            raise ValueError(f"{value:g} is not a proportion between 0 and 1{hint}")
        return value

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        value = value.strip()
        if value == "all" or (value.startswith("tag:") and value[4:].strip()):
            return "all" if value == "all" else "tag:" + value[4:].strip()
        raise ValueError(f"{value!r}: use 'all' or 'tag:<name>', e.g. 'tag:numeric'")

    @property
    def direction(self) -> Direction:
        return metric_direction(self.metric)

    @property
    def tag(self) -> str | None:
        return self.scope[4:] if self.scope.startswith("tag:") else None

    @property
    def key(self) -> tuple[str, str]:
        return (self.metric, self.scope)

    def judged_value(self, value: float, low: float, high: float) -> float:
        """The figure compared with the threshold, given an estimate and its 95% interval."""
        if self.judged_on == "point":
            return value
        return low if self.direction == "higher" else high

    def passes(self, value: float, low: float, high: float) -> bool:
        judged = self.judged_value(value, low, high)
        return judged >= self.threshold if self.direction == "higher" else judged <= self.threshold


DEFAULT_RUBRIC = (
    "The answer is correct when it states the same facts as the reference answer, including "
    "every number, amount and condition; extra correct detail is fine; a hedge, a different "
    "number or a missing condition is incorrect."
)
DEFAULT_JUDGE_MODEL = "claude-haiku-4-5"


class MatchRule(Frozen):
    """How an answer is compared with the expected one. Parameters a rule does not use are
    dropped, and a used one left out takes its default, so equal rules hash equally."""

    rule: Literal["exact", "contains", "f1", "numeric", "judge"] = "contains"
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    tolerance: float | None = Field(default=None, ge=0.0)
    rubric: str | None = None  # judge only: what counts as a correct answer
    judge_model: str | None = None  # judge only: the Claude model that grades

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        rule = data.get("rule", "contains")
        if rule == "f1":
            data["threshold"] = 0.5 if data.get("threshold") is None else data["threshold"]
        else:
            data["threshold"] = None
        if rule == "judge":
            data["rubric"] = data.get("rubric") or DEFAULT_RUBRIC
            data["judge_model"] = data.get("judge_model") or DEFAULT_JUDGE_MODEL
        else:
            data["rubric"] = data["judge_model"] = None
        if rule == "numeric":
            data["tolerance"] = 0.0 if data.get("tolerance") is None else data["tolerance"]
        else:
            data["tolerance"] = None
        return data


class AcceptanceBar(Frozen):
    criteria: tuple[Criterion, ...] = ()
    min_cases: int = Field(default=30, ge=1)
    max_critical_errors: int = Field(default=0, ge=0)
    when_unsure: str = ""
    match_rule: MatchRule = MatchRule()
    # Above this share of cases failing for infrastructure reasons (API errors, timeouts) the
    # run is inconclusive (exit 5), not failed. None: the default, DEFAULT_MAX_ERROR_RATE.
    max_error_rate: float | None = Field(default=None, ge=0, le=1)

    @field_validator("criteria")
    @classmethod
    def _one_per_metric_and_scope(cls, value: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
        seen: dict[tuple[str, str], int] = {}
        for index, criterion in enumerate(value):
            if criterion.key in seen:
                raise ValueError(
                    f"criteria {seen[criterion.key]} and {index} both judge {criterion.metric} "
                    f"on scope {criterion.scope}; keep one"
                )
            seen[criterion.key] = index
        return value

    def content(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if data.get("max_error_rate") is None:
            data.pop("max_error_rate", None)  # bars signed before the field keep their hash
        return data

    @property
    def content_hash(self) -> str:
        return content_hash(self.content())


class BarImmutable(InputError):
    """A signed bar version was about to change. Edit it by saving a new draft instead."""


# --- plain language ---------------------------------------------------------------------------


def percent(value: float) -> str:
    text = f"{100 * value:.1f}".removesuffix(".0")
    return f"{text}%"


def describe_criterion(c: Criterion) -> str:
    """E.g. "Accuracy on all cases must be at least 90%, judged on the 95% lower bound"."""
    tag = f"cases tagged {c.tag!r}" if c.tag else "all cases"
    if c.metric == "abstain_rate_unanswerable":
        tag = f"unanswerable {tag}" if c.tag else "unanswerable cases"
    bound = "at least" if c.direction == "higher" else "at most"
    if c.judged_on == "point":
        basis = "the point estimate"
    else:
        basis = "the 95% lower bound" if c.direction == "higher" else "the 95% upper bound"
    return f"{METRIC_LABELS[c.metric]} on {tag} must be {bound} {percent(c.threshold)}, judged on {basis}"


def describe_match_rule(m: MatchRule) -> str:
    if m.rule == "f1":
        return f"token F1 of at least {m.threshold:g} with the expected answer"
    if m.rule == "numeric":
        return f"the first number equals the expected one within ±{m.tolerance:g}"
    if m.rule == "judge":
        return f"is found correct by the LLM judge {m.judge_model} under the rubric: {m.rubric}"
    return {
        "exact": "equals the expected answer after normalising case and punctuation",
        "contains": "contains the expected answer after normalising case and punctuation",
    }[m.rule]


def describe_bar(bar: AcceptanceBar) -> list[str]:
    """The bar as sentences, criteria first, for the page, the CLI and the report."""
    lines = [describe_criterion(c) for c in bar.criteria]
    lines.append(f"At least {bar.min_cases} cases in the golden set")
    errors = bar.max_critical_errors
    lines.append("No critical errors" if errors == 0 else f"At most {errors} critical error(s)")
    lines.append(f"An answer is correct when it {describe_match_rule(bar.match_rule)}")
    if bar.when_unsure.strip():
        lines.append(f"When unsure, the system must: {bar.when_unsure.strip()}")
    return lines


# --- versions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BarVersion:
    version: int
    content_hash: str
    bar: AcceptanceBar
    created_at: str
    created_by: str
    signed_by: str | None = None
    signed_at: str | None = None
    signature_hash: str | None = None
    parent_version: int | None = None

    @property
    def signed(self) -> bool:
        return self.signed_by is not None

    def status(self) -> str:
        """One line for badges and the CLI."""
        if self.signed:
            return (
                f"SIGNED by {self.signed_by} at {self.signed_at} "
                f"(version {self.version}, hash {self.content_hash[:12]})"
            )
        return f"DRAFT (exploratory): version {self.version}, not signed"

    def problems(self) -> list[str]:
        """Whether the stored row still matches its hashes (detects edits made outside)."""
        found = []
        if self.bar.content_hash != self.content_hash:
            found.append("its content no longer matches its content hash")
        if self.signed and self.signature_hash != signature_hash(
            self.version, self.content_hash, self.signed_by or "", self.signed_at or ""
        ):
            found.append("its signature does not match its content and signer")
        return found

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape `pilot bar show --json` prints."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "bar"}
        data |= {"status": "signed" if self.signed else "draft", "exploratory": not self.signed}
        return data | {"bar": self.bar.content(), "description": describe_bar(self.bar)}


def signature_hash(version: int, digest: str, signed_by: str, signed_at: str) -> str:
    return content_hash(
        {"version": version, "content_hash": digest, "signed_by": signed_by, "signed_at": signed_at}
    )


_COLUMNS = (
    "version, content_hash, bar, created_at, created_by, signed_by, signed_at, "
    "signature_hash, parent_version"
)


def _row(row: tuple[Any, ...]) -> BarVersion:
    return BarVersion(row[0], row[1], AcceptanceBar.model_validate(json.loads(row[2])), *row[3:])


def _one(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]) -> BarVersion | None:
    row = con.execute(
        f"SELECT {_COLUMNS} FROM bar_versions WHERE {where} ORDER BY version DESC LIMIT 1", params
    ).fetchone()
    return _row(row) if row else None


def bar_version(con: duckdb.DuckDBPyConnection, version: int) -> BarVersion | None:
    return _one(con, "version = ?", [version])


def latest_bar(con: duckdb.DuckDBPyConnection) -> BarVersion | None:
    """The newest version, draft or signed: the one an edit starts from."""
    return _one(con, "TRUE", [])


def latest_signed_bar(con: duckdb.DuckDBPyConnection) -> BarVersion | None:
    """The bar runs are judged against; None means every run is exploratory."""
    return _one(con, "signed_by IS NOT NULL", [])


def bar_history(con: duckdb.DuckDBPyConnection) -> list[BarVersion]:
    """Every version, newest first."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM bar_versions ORDER BY version DESC").fetchall()
    return [_row(r) for r in rows]


def is_exploratory(version: BarVersion | None) -> bool:
    """A run judged against no bar, or against an unsigned draft, proves nothing yet."""
    return version is None or not version.signed


def save_draft(
    store: Store, user: Who, bar: AcceptanceBar, *, base: int | None = None
) -> BarVersion:
    """Save `bar` as a draft version, as `user` (a lead).

    `base` is the version the edit started from; when given it must still be the latest, so an
    edit made while someone else saved or signed is refused rather than silently superseding
    theirs. Identical content to the latest version returns it unchanged.
    """
    digest = bar.content_hash
    body_json = canonical_json(bar.content())

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> BarVersion:
        head = latest_bar(con)
        if base is not None and (head is None or head.version != base):
            latest = f"version {head.version}" if head else "no version at all"
            raise InputError(
                f"the bar changed since you opened version {base}: the latest is {latest}; "
                "reload it and edit that"
            )
        if head is not None and head.content_hash == digest:
            return head
        version = 1 if head is None else head.version + 1
        parent = head.version if head else None
        now = audit.utc_now()
        con.execute(
            f"INSERT INTO bar_versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, ?)",
            [version, digest, body_json, now, actor.name, parent],
        )
        audit.record(
            con,
            actor.name,
            actor.role,
            "bar.draft",
            f"bar:v{version}",
            {"version": version, "content_hash": digest, "parent": parent, "bar": bar.content()},
        )
        return BarVersion(version, digest, bar, now, actor.name, parent_version=parent)

    return write_as(store, user, "edit_pilot", "bar.draft", "bar", body)


def signable_problems(bar: AcceptanceBar) -> list[str]:
    """What a draft still lacks before it can be signed."""
    problems = []
    if not bar.criteria:
        problems.append("field criteria: a bar needs at least one criterion")
    if not bar.when_unsure.strip():
        problems.append(
            "field when_unsure: say what the system must do when unsure, "
            "e.g. 'abstain and route to HR'"
        )
    return problems


def _fill_signature(
    con: duckdb.DuckDBPyConnection, version: int, signed_by: str, signed_at: str, sig: str
) -> None:
    """The only UPDATE of `bar_versions`: fills a draft's signature columns, never a signed
    row's, and never the content."""
    changed = con.execute(
        "UPDATE bar_versions SET signed_by = ?, signed_at = ?, signature_hash = ? "
        "WHERE version = ? AND signed_by IS NULL RETURNING version",
        [signed_by, signed_at, sig, version],
    ).fetchall()
    if not changed:
        raise BarImmutable(f"bar version {version} is already signed and can never change")


def sign_bar(store: Store, user: Who, version: int | None = None) -> BarVersion:
    """Sign the latest version (or `version`, which must be the latest) as `user` (a lead):
    records who, when and the content hash; from then on that version never changes."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> BarVersion:
        head = latest_bar(con)
        if head is None:
            raise InputError("there is no acceptance bar to sign: save a draft first")
        target = head if version is None else bar_version(con, version)
        if target is None:
            raise InputError(f"--version {version}: no such bar version (latest is {head.version})")
        if target.signed:
            raise BarImmutable(
                f"bar version {target.version} was signed by {target.signed_by} at "
                f"{target.signed_at} and can never change; save a draft to make a new version"
            )
        if target.version != head.version:
            raise InputError(
                f"bar version {target.version} has been superseded by version {head.version}; "
                "sign the latest version"
            )
        problems = target.problems() + signable_problems(target.bar)
        if problems:
            raise InputError(
                f"bar version {target.version} cannot be signed: " + "; ".join(problems)
            )
        now = audit.utc_now()
        sig = signature_hash(target.version, target.content_hash, actor.name, now)
        _fill_signature(con, target.version, actor.name, now, sig)
        audit.record(
            con,
            actor.name,
            actor.role,
            "bar.sign",
            f"bar:v{target.version}",
            {"version": target.version, "content_hash": target.content_hash, "signature_hash": sig},
        )
        return replace(target, signed_by=actor.name, signed_at=now, signature_hash=sig)

    return write_as(store, user, "sign", "bar.sign", "bar", body)


# --- diff ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BarDiff:
    added: list[Criterion] = field(default_factory=list)
    removed: list[Criterion] = field(default_factory=list)
    changed: list[tuple[Criterion, Criterion]] = field(default_factory=list)
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.fields)

    def lines(self) -> list[str]:
        out = [f"added: {describe_criterion(c)}" for c in self.added]
        out += [f"removed: {describe_criterion(c)}" for c in self.removed]
        out += [
            f"changed: {describe_criterion(old)} → {describe_criterion(new)}"
            for old, new in self.changed
        ]
        out += [f"{name}: {old!r} → {new!r}" for name, old, new in self.fields]
        return out or ["no differences"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": [_plain(c) for c in self.added],
            "removed": [_plain(c) for c in self.removed],
            "changed": [{"from": _plain(a), "to": _plain(b)} for a, b in self.changed],
            "fields": [{"field": n, "from": a, "to": b} for n, a, b in self.fields],
            "lines": self.lines(),
        }


def diff_bars(a: AcceptanceBar, b: AcceptanceBar) -> BarDiff:
    """What changed from `a` to `b`: criteria matched by (metric, scope), then other fields."""
    old = {c.key: c for c in a.criteria}
    new = {c.key: c for c in b.criteria}
    diff = BarDiff(
        added=[c for k, c in new.items() if k not in old],
        removed=[c for k, c in old.items() if k not in new],
        changed=[(old[k], c) for k, c in new.items() if k in old and old[k] != c],
    )
    for name in ("min_cases", "max_critical_errors", "when_unsure", "match_rule"):
        before, after = getattr(a, name), getattr(b, name)
        if before != after:
            diff.fields.append((name, _plain(before), _plain(after)))
    return diff


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, Frozen) else value


# --- the demo pilot --------------------------------------------------------------------------

DEMO_BAR = AcceptanceBar(
    criteria=(
        Criterion(metric="accuracy", threshold=0.90, judged_on="lower_bound"),
        Criterion(metric="citation_coverage", threshold=0.95, judged_on="point"),
        Criterion(metric="abstain_rate_unanswerable", threshold=0.80, judged_on="point"),
        Criterion(metric="false_abstain_rate", threshold=0.10, judged_on="point"),
    ),
    min_cases=60,
    max_critical_errors=0,
    when_unsure=(
        "Abstain: say the policy documents do not answer the question and route it to HR "
        "(people@northwind.example)"
    ),
    match_rule=MatchRule(rule="contains"),
)


def seed_demo_bar(store: Store, lead: str = "priya") -> BarVersion:
    """The demo pilot's signed bar, recorded once: an existing bar is left as it is."""
    with store.read() as con:
        latest = latest_bar(con)
    if latest is not None:
        return latest
    save_draft(store, lead, DEMO_BAR)
    return sign_bar(store, lead)
