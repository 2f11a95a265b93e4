"""Pilot Kit. `import pilot` stays light: production code imports it for `record_output`."""

from __future__ import annotations

from typing import Any

__all__ = ["record_output"]


def __getattr__(name: str) -> Any:
    if name == "record_output":
        from pilot.review.spool import record_output

        return record_output
    raise AttributeError(f"module 'pilot' has no attribute {name!r}")
