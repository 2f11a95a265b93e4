"""Pilot Kit. `import pilot` stays light: production code imports it for `record_output`
and `guard`."""

from __future__ import annotations

from typing import Any

__all__ = ["guard", "record_output"]


def __getattr__(name: str) -> Any:
    if name == "record_output":
        from pilot.review.spool import record_output

        return record_output
    if name == "guard":
        from pilot.readiness.guard import guard

        return guard
    raise AttributeError(f"module 'pilot' has no attribute {name!r}")
