"""The one place that knows the kinds of system under test: which class answers for a kind, the
config it starts from, what it sends, and whether it needs a key or can batch.

Each system class carries its own facts (`KIND`, `DEFAULT_MODEL`, `NEEDS_KEY`,
`SUPPORTS_BATCH`, `build_config`, `payload`, `create`); this module only maps a kind to its class,
imported on first use (the anthropic SDK costs ~0.9 s to import). Nothing outside this module
compares `config.kind` with a name.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Protocol

from pilot.core.models import RetrievalSettings, SystemConfig, SystemRequest
from pilot.runs.systems.base import PermanentError, System
from pilot.runs.systems.connection import Connection

_CLASSES = {
    "offline": "pilot.runs.systems.offline:OfflineSystem",
    "anthropic": "pilot.runs.systems.anthropic:AnthropicSystem",
    "callable": "pilot.runs.systems.callable:CallableSystem",
}
KINDS: tuple[str, ...] = tuple(_CLASSES)


class SystemClass(Protocol):
    KIND: str
    LABEL: str
    DEFAULT_MODEL: str
    NEEDS_KEY: bool
    SUPPORTS_BATCH: bool
    FIELDS: tuple[str, ...]  # what a person sets when starting a run: model, prompt, target

    @classmethod
    def build_config(
        cls, *, model: str | None, target: str | None, prompt: str, retrieval: RetrievalSettings
    ) -> SystemConfig: ...

    @staticmethod
    def payload(config: SystemConfig, request: SystemRequest) -> dict[str, Any]: ...

    @classmethod
    def create(cls, config: SystemConfig, connection: Connection) -> System: ...


def system_class(kind: str) -> SystemClass:
    try:
        module, name = _CLASSES[kind].split(":")
    except KeyError:
        raise PermanentError(
            f"Unknown system kind {kind!r}: use {', '.join(repr(k) for k in KINDS)}."
        ) from None
    return getattr(import_module(module), name)  # type: ignore[no-any-return]


def make_system(config: SystemConfig, connection: Connection | None = None) -> System:
    """The system for `config.kind`; `connection` matters only to kinds that call out.

    Raises `PermanentError` when the system cannot be made (no API key, a bad callable target).
    """
    return system_class(config.kind).create(config, connection or Connection())


def build_config(
    kind: str,
    *,
    model: str | None = None,
    target: str | None = None,
    prompt: str = "",
    retrieval: RetrievalSettings | None = None,
) -> SystemConfig:
    """The config the CLI and the Runs page start a run with; blanks take the kind's defaults."""
    return system_class(kind).build_config(
        model=model or None,
        target=target,
        prompt=prompt,
        retrieval=retrieval or RetrievalSettings(),
    )


def default_model(kind: str) -> str:
    return system_class(kind).DEFAULT_MODEL


def payload_for(config: SystemConfig, request: SystemRequest) -> dict[str, Any]:
    """The exact content sent for `request` (what the response cache is keyed by)."""
    return system_class(config.kind).payload(config, request)


def needs_key(kind: str) -> bool:
    return system_class(kind).NEEDS_KEY


def supports_batch(config: SystemConfig) -> bool:
    return system_class(config.kind).SUPPORTS_BATCH


def is_builtin(system: str) -> bool:
    """Whether `--system` names a built-in kind (no code of the user's to import)."""
    return system in _CLASSES and system != "callable"


def parse_system_option(system: str) -> tuple[str, str | None]:
    """`--system offline|anthropic|module:function` as (kind, callable target)."""
    if system in _CLASSES:
        return system, None
    if ":" in system:
        return "callable", system
    raise PermanentError(f"--system {system!r}: use offline, anthropic or module:function")
