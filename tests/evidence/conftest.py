"""The evidence tests' fixtures: see tests/evidence_data.py."""

from __future__ import annotations

from evidence_data import demo_pilot, pilot_copy

__all__ = ["demo_pilot", "pilot_copy"]
