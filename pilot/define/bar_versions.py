"""Acceptance bar versions: numbered, each saved once, signed at most once, never changed.

Versions are numbered 1, 2, 3 … Every save whose content differs from the latest version is a
new version whose parent is the version it was edited from; saving identical content is a
no-op. A version's content is never updated, draft or signed: the one change a row ever sees is
its signature being filled in, once (`sign_bar`). So a run that names bar version 3 names
exactly one content, whether or not 3 was ever signed, and a draft's history is kept too.
Runs against an unsigned draft (or no bar) are exploratory. This module owns `bar_versions`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.models import canonical_json, content_hash
from pilot.core.store import Store
from pilot.define.bars import AcceptanceBar, demo_bar, describe_bar
from pilot.define.criteria import STORED


class BarImmutable(InputError):
    """A signed bar version was about to change. Edit it by saving a new draft instead."""


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

    def status(self, signed_at: str | None = None) -> str:
        """One line for badges and the CLI; `signed_at` shows the time another way (the app
        gives it in the viewer's zone)."""
        if self.signed:
            return (
                f"SIGNED by {self.signed_by} at {signed_at or self.signed_at} "
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
    bar = AcceptanceBar.model_validate(json.loads(row[2]), context=STORED)  # checked when saved
    return BarVersion(row[0], row[1], bar, *row[3:])


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
            raise InputError(
                f"--version {version}: no such bar version (latest is {head.version})",
                app=f"There is no bar version {version} (the latest is {head.version}).",
            )
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


def seed_demo_bar(store: Store, lead: str = "priya") -> BarVersion:
    """The demo pilot's signed bar, recorded once: an existing bar is left as it is."""
    with store.read() as con:
        latest = latest_bar(con)
    if latest is not None:
        return latest
    save_draft(store, lead, demo_bar())
    return sign_bar(store, lead)
