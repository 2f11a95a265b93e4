"""The workflow under pilot and its data boundary: versioned, hashed by content, audited.

Each save is a new version (1, 2, 3 …) whose hash covers the workflow and the boundary
together; saving content identical to the current version is a no-op, so re-running a
setup script or `pilot demo` adds nothing. No version is ever edited in place.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from pilot.core import audit
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.models import Frozen, GoldenCase, canonical_json, content_hash
from pilot.core.store import Store
from pilot.define.detectors import VOCABULARY, known_regions
from pilot.define.redaction import DEFAULT_REGIONS, DEFAULT_RULES, GRADING_FIELDS, RedactionRule

M = TypeVar("M", bound=BaseModel)


class Workflow(Frozen):
    name: str = Field(min_length=1)
    description: str = ""
    process_owner: str = Field(min_length=1)
    accountable_lead: str = Field(min_length=1)
    user_group: str = ""
    systems: tuple[str, ...] = ()


class ProviderStatement(Frozen):
    """What the model provider confirmed about the use of inputs, and who checked it."""

    statement: str = Field(min_length=1)
    confirmed_by: str = Field(min_length=1)
    confirmed_at: str = ""
    reference: str = ""


class DataBoundary(Frozen):
    """What the system may read, what may leave for the model, and how it is redacted.

    `readable_sources` lists source ids, collection names (keys of `collections`) or glob
    patterns such as "annual-leave-*"; an empty list means every source of a case is readable.
    """

    readable_sources: tuple[str, ...] = ()
    collections: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    allowed_fields: tuple[str, ...] = ("question", "sources")
    redaction_rules: tuple[RedactionRule, ...] = DEFAULT_RULES
    restricted_fields: tuple[str, ...] = ()
    restricted_terms: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    phone_regions: tuple[str, ...] = DEFAULT_REGIONS
    provider_statement: ProviderStatement | None = None

    @field_validator("phone_regions")
    @classmethod
    def _regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        value = tuple(r.strip().upper() for r in value if r.strip())
        unknown = sorted(set(value) - known_regions())
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a region phone numbers are known for; use two-letter "
                "codes such as GB, US, IE, FR"
            )
        return value

    @model_validator(mode="after")
    def _restricted_can_be_enforced(self) -> DataBoundary:
        """A category that never leaves must be something the edge can find: a case field, a
        category with a built-in vocabulary (salary, health), or one with the owner's terms."""
        case_fields = set(GoldenCase.model_fields)
        for category in self.restricted_fields:
            if category in case_fields or category in VOCABULARY:
                continue
            if not any(t.strip() for t in self.restricted_terms.get(category, ())):
                raise ValueError(
                    f"restricted {category!r} cannot be enforced: it is not a case field and has "
                    f"no built-in vocabulary ({', '.join(VOCABULARY)}); list its terms under "
                    f'restricted_terms, e.g. {{"{category}": ["..."]}}'
                )
        return self

    @field_validator("allowed_fields")
    @classmethod
    def _no_grading_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        graded = sorted(set(value) & GRADING_FIELDS)
        if graded:
            raise ValueError(
                f"{', '.join(graded)}: the system is graded against these, so they may never "
                "be sent to it"
            )
        if "question" not in value:
            raise ValueError("must include 'question': a system cannot answer without it")
        return value

    @model_validator(mode="after")
    def _restricted_not_allowed(self) -> DataBoundary:
        both = sorted(set(self.allowed_fields) & set(self.restricted_fields))
        if both:
            raise ValueError(
                f"allowed_fields and restricted_fields both list {', '.join(both)}: a restricted "
                "field must never leave, so remove it from allowed_fields"
            )
        return self

    def readable_patterns(self) -> list[str]:
        patterns: list[str] = []
        for entry in self.readable_sources:
            patterns.extend(self.collections.get(entry, (entry,)))
        return patterns

    def may_read(self, source_id: str) -> bool:
        if not self.readable_sources:
            return True
        return any(fnmatch.fnmatchcase(source_id, p) for p in self.readable_patterns())


@dataclass(frozen=True)
class WorkflowVersion:
    version: int
    content_hash: str
    created_at: str
    created_by: str
    workflow: Workflow
    boundary: DataBoundary


def workflow_content(workflow: Workflow, boundary: DataBoundary) -> dict[str, Any]:
    return {
        "workflow": workflow.model_dump(mode="json"),
        "boundary": boundary.model_dump(mode="json"),
    }


def workflow_hash(workflow: Workflow, boundary: DataBoundary) -> str:
    return content_hash(workflow_content(workflow, boundary))


_COLUMNS = "version, content_hash, created_at, created_by, workflow, boundary"


def _row(row: tuple[Any, ...]) -> WorkflowVersion:
    return WorkflowVersion(
        version=row[0],
        content_hash=row[1],
        created_at=row[2],
        created_by=row[3],
        workflow=Workflow.model_validate(json.loads(row[4])),
        boundary=DataBoundary.model_validate(json.loads(row[5])),
    )


def current_workflow(con: duckdb.DuckDBPyConnection) -> WorkflowVersion | None:
    row = con.execute(
        f"SELECT {_COLUMNS} FROM workflow_versions ORDER BY version DESC LIMIT 1"
    ).fetchone()
    return _row(row) if row else None


def workflow_version(con: duckdb.DuckDBPyConnection, version: int) -> WorkflowVersion | None:
    row = con.execute(
        f"SELECT {_COLUMNS} FROM workflow_versions WHERE version = ?", [version]
    ).fetchone()
    return _row(row) if row else None


def workflow_history(con: duckdb.DuckDBPyConnection) -> list[WorkflowVersion]:
    """Every version, newest first."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM workflow_versions ORDER BY version DESC").fetchall()
    return [_row(r) for r in rows]


def save_workflow(
    store: Store, user: Who, workflow: Workflow, boundary: DataBoundary
) -> WorkflowVersion:
    """Record a new version as `user` (a lead); identical content returns the current one."""
    digest = workflow_hash(workflow, boundary)
    content = workflow_content(workflow, boundary)

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> WorkflowVersion:
        current = current_workflow(con)
        if current is not None and current.content_hash == digest:
            return current
        version = 1 if current is None else current.version + 1
        now = audit.utc_now()
        con.execute(
            f"INSERT INTO workflow_versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            [
                version,
                digest,
                now,
                actor.name,
                canonical_json(content["workflow"]),
                canonical_json(content["boundary"]),
            ],
        )
        audit.record(
            con,
            actor.name,
            actor.role,
            "workflow.save",
            f"workflow:v{version}",
            {
                "version": version,
                "content_hash": digest,
                "previous": current.version if current else None,
                "name": workflow.name,
            },
        )
        return WorkflowVersion(version, digest, now, actor.name, workflow, boundary)

    return write_as(store, user, "edit_pilot", "workflow.save", "workflow", body)


def validation_error(exc: ValidationError, where: str) -> InputError:
    """A pydantic error as a message for people: where, which field, what was wrong."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"field {field}: {message}")
    return InputError(f"{where}: " + "; ".join(problems))


def parse_model(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, where) from None


def load_json_file(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None


def parse_workflow_document(data: Any, where: str) -> tuple[Workflow, DataBoundary]:
    """`{"workflow": {...}, "boundary": {...}}` as models; errors name the field."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object with 'workflow' and 'boundary'")
    unknown = sorted(set(data) - {"workflow", "boundary"})
    if unknown:
        raise InputError(f"{where}: field {unknown[0]}: unknown; use 'workflow' and 'boundary'")
    if "workflow" not in data:
        raise InputError(f"{where}: field workflow: required")
    workflow = parse_model(Workflow, data["workflow"], f"{where}: workflow")
    boundary = parse_model(DataBoundary, data.get("boundary", {}), f"{where}: boundary")
    return workflow, boundary


def workflow_document(version: WorkflowVersion) -> dict[str, Any]:
    """The JSON shape `pilot workflow show --json` prints and `pilot workflow set` reads."""
    return {
        "version": version.version,
        "content_hash": version.content_hash,
        "created_at": version.created_at,
        "created_by": version.created_by,
        **workflow_content(version.workflow, version.boundary),
    }


def parse_list(text: str) -> list[str]:
    """Entries typed one a line or separated by commas, blanks dropped."""
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


def parse_terms(text: str) -> dict[str, list[str]]:
    """`category: term, term` lines as `{category: [terms]}`; a line without a colon is a term
    of the category "names"."""
    terms: dict[str, list[str]] = {}
    for line in text.splitlines():
        category, colon, rest = line.partition(":")
        if not colon:
            category, rest = "names", line
        words = parse_list(rest)
        if category.strip() and words:
            terms.setdefault(category.strip(), []).extend(words)
    return terms


def _blank(value: Any) -> bool:
    return (
        value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""
    )


def form_document(
    *,
    workflow: Mapping[str, Any],
    readable: list[str],
    collections: list[Mapping[str, Any]],
    allowed: list[str],
    restricted: list[str],
    rules: list[Mapping[str, Any]],
    statement: Mapping[str, Any],
    terms: str = "",
    regions: list[str] | None = None,
) -> dict[str, Any]:
    """The `{workflow, boundary}` document from the app's form: table rows (collections as
    `{collection, sources}`, rules as `{name, pattern, replacement, check}`) with blank rows
    dropped, a blank replacement left to its default, and lists typed as text split. Validate
    it with `parse_workflow_document`."""
    rule_rows = [
        {k: (None if _blank(v) else v) for k, v in row.items()}
        for row in rules
        if not (_blank(row.get("name")) and _blank(row.get("pattern")))
    ]
    boundary: dict[str, Any] = {
        "readable_sources": readable,
        "collections": {
            str(row["collection"]).strip(): parse_list(str(row.get("sources") or ""))
            for row in collections
            if not _blank(row.get("collection"))
        },
        "allowed_fields": allowed,
        "restricted_fields": restricted,
        "redaction_rules": [{k: v for k, v in row.items() if v is not None} for row in rule_rows],
        "restricted_terms": parse_terms(terms),
    }
    if regions is not None:
        boundary["phone_regions"] = regions
    if any(not _blank(v) for v in statement.values()):
        boundary["provider_statement"] = {k: "" if _blank(v) else v for k, v in statement.items()}
    return {"workflow": dict(workflow), "boundary": boundary}


# --- the demo pilot --------------------------------------------------------------------------

DEMO_WORKFLOW = Workflow(
    name="Answer employees' benefits questions",
    description=(
        "An assistant answers Northwind Logistics employees' questions about holiday, family "
        "leave, sick pay, pensions, health cover, expenses and learning from the company's "
        "policy documents, cites the passage it relied on, and abstains and routes the question "
        "to HR when the documents do not say."
    ),
    process_owner="Omar Haddad",
    accountable_lead="Priya Shah",
    user_group="Northwind Logistics employees in the UK",
    systems=("HR policy library", "Claude (Anthropic API)", "HR case queue (routing)"),
)

DEMO_BOUNDARY = DataBoundary(
    readable_sources=("benefits-policies",),
    collections={
        "benefits-policies": (
            "annual-leave-*",
            "family-leave-*",
            "sick-pay-*",
            "expenses-travel-*",
            "benefits-handbook-*",
            "benefits-faq",
        ),
    },
    restricted_fields=("salary", "health"),
    provider_statement=ProviderStatement(
        statement="Inputs and outputs are not used for training",
        confirmed_by="Sam Okafor (security)",
        confirmed_at="2025-09-01",
        reference="Provider commercial terms and data processing addendum DPA-2025-014",
    ),
)


def seed_demo_workflow(store: Store, lead: str = "priya") -> WorkflowVersion:
    """The demo pilot's workflow, recorded once: an existing workflow is left as it is."""
    with store.read() as con:
        current = current_workflow(con)
    return current or save_workflow(store, lead, DEMO_WORKFLOW, DEMO_BOUNDARY)
