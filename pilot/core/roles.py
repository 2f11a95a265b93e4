"""The role names (standard library only, so the CLI can offer them without loading the store)."""

from __future__ import annotations

ROLES = ("admin", "lead", "evaluator", "auditor", "viewer")
# A token may also carry `runner`: start and resume runs and read results, nothing else (CI).
TOKEN_ROLES = (*ROLES, "runner")
