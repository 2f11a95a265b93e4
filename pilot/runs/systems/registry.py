"""One place that turns a `SystemConfig` into the system it describes."""

from __future__ import annotations

from typing import Any

from pilot.core.models import SystemConfig
from pilot.runs.systems.base import PermanentError, System


def make_system(config: SystemConfig, **kw: Any) -> System:
    """The system for `config.kind`. Keyword arguments (`api_key`, `base_url`, `timeout`) are
    connection settings for the anthropic kind; the other kinds have none and ignore them.

    Raises `PermanentError` when the system cannot be made (no API key, a bad callable target).
    """
    if config.kind == "offline":
        from pilot.runs.systems.offline import OfflineSystem

        return OfflineSystem(config)
    if config.kind == "anthropic":
        from pilot.runs.systems.anthropic import AnthropicSystem

        return AnthropicSystem(config, **kw)
    if config.kind == "callable":
        from pilot.runs.systems.callable import CallableSystem

        return CallableSystem(config)
    raise PermanentError(
        f"Unknown system kind {config.kind!r}: use 'offline', 'anthropic' or 'callable'."
    )
