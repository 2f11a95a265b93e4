"""`pilot demo`: the whole demo pilot in seconds, so every page has real records to show."""

from __future__ import annotations

from typing import Any

import duckdb

from pilot.core import access, audit, tokens
from pilot.core.store import Store, get_setting, put_setting
from pilot.define.bar_versions import seed_demo_bar
from pilot.define.workflow import seed_demo_workflow
from pilot.goldensets.versions import seed_demo_goldenset
from pilot.review.simulate import seed_demo_review
from pilot.runs.start import seed_demo_runs

DEMO_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("ada", "admin", "ada-admin-demo"),
    ("priya", "lead", "priya-lead-demo"),
    ("omar", "lead", "omar-lead-demo"),
    ("marco", "evaluator", "marco-eval-demo"),
    ("erin", "evaluator", "erin-eval-demo"),
    ("sam", "auditor", "sam-audit-demo"),
    ("dana", "viewer", "dana-view-demo"),
)
ADMIN, LEAD = "ada", "priya"


def is_demo(store: Store) -> bool:
    with store.read() as con:
        return get_setting(con, "demo") == "true"


def seed_demo(store: Store) -> dict[str, Any]:
    """Create what is missing; running it twice changes nothing the second time."""
    with store.read() as con:
        existing = {u["name"] for u in access.list_users(con)}
    for name, role, password in DEMO_ACCOUNTS:
        if name not in existing:
            access.add_user(
                store, ADMIN, name, role, password=password, email=f"{name}@northwind.example"
            )
    seed_demo_workflow(store, LEAD)
    seed_demo_bar(store, LEAD)
    goldenset = seed_demo_goldenset(store)
    runs = seed_demo_runs(store, LEAD)
    review = seed_demo_review(store, LEAD)

    def mark_demo(con: duckdb.DuckDBPyConnection) -> None:
        if get_setting(con, "demo") != "true":
            put_setting(con, "demo", "true")
            audit.record(con, ADMIN, "admin", "demo.seed", "settings:demo", {"demo": True})

    store.write(mark_demo)
    return {
        "database": str(store.path),
        "accounts": [{"name": n, "role": r, "password": p} for n, r, p in DEMO_ACCOUNTS],
        "goldenset": goldenset,
        "runs": runs,
        "review": review,
    }


def demo_tokens(store: Store) -> list[tokens.IssuedToken]:
    """A fresh CLI token per demo account (shown once by `pilot demo`)."""

    def body(con: duckdb.DuckDBPyConnection) -> list[tokens.IssuedToken]:
        admin = access.Actor(ADMIN, "admin")
        return [tokens.issue(con, admin, name, None, name="demo") for name, _, _ in DEMO_ACCOUNTS]

    return store.write(body)
