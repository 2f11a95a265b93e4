"""The readiness tests' fixture: see tests/readiness_data.py."""

from __future__ import annotations

from readiness_data import pilot_store

__all__ = ["pilot_store"]
