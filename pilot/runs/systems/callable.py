"""Any Python function as the system under test, named by `config.target` = "module:function".

The function receives the `SystemRequest` (a frozen pydantic model: `case_id`, `question`,
`sources`, `fields`) and returns a `SystemOutput`, or a dict with `answer`, `abstained`,
`citations` (a list of dicts with `source_id`, `cited_text`, `start`, `end`, optional `claim`)
and optionally `claims`, `model`, token counts and cost. It may be sync or async; a sync function
runs in a worker thread so it does not stall the other cases of a run.

Errors: a bad target is a `PermanentError` naming it. The function may raise `TransientError` or
`PermanentError` itself; a `TimeoutError` or `ConnectionError` counts as transient and any other
exception as permanent.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from pilot.core.models import RetrievalSettings, SystemConfig, SystemOutput, SystemRequest
from pilot.runs.systems.base import PermanentError, TransientError
from pilot.runs.systems.connection import Connection


def load_target(target: str | None) -> Callable[..., Any]:
    """The callable that `target` ("package.module:function" or "module:Class.method") names."""
    example = 'e.g. "my_package.qa:answer"'
    if not target or ":" not in target:
        raise PermanentError(
            f"Callable system target {target!r} must be 'module:function', {example}."
        )
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise PermanentError(
            f"Callable system target {target!r} must be 'module:function', {example}."
        )
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise PermanentError(
            f"Callable system target {target!r}: cannot import module {module_name!r} ({error})."
        ) from error
    for name in attribute.split("."):
        if not hasattr(found, name):
            raise PermanentError(
                f"Callable system target {target!r}: "
                f"{module_name!r} has no attribute {attribute!r}."
            )
        found = getattr(found, name)
    if not callable(found):
        raise PermanentError(f"Callable system target {target!r} is not callable.")
    return found


def to_output(result: Any, target: str) -> SystemOutput:
    """A `SystemOutput` from what the function returned, or a `PermanentError` saying why not."""
    if isinstance(result, SystemOutput):
        return result
    if not isinstance(result, Mapping):
        raise PermanentError(
            f"Callable system target {target!r} returned {type(result).__name__}; expected a "
            "SystemOutput or a dict with 'answer', 'abstained' and 'citations'."
        )
    try:
        return SystemOutput.model_validate(dict(result))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'output'}: {item['msg']}"
            for item in error.errors()
        )
        raise PermanentError(
            f"Callable system target {target!r} returned an invalid output: {problems}."
        ) from None


class CallableSystem:
    """A `System` that calls `config.target`; the target is imported when the system is made,
    so a typo fails before a run starts."""

    KIND = "callable"
    LABEL = "callable: your own async or sync function, module:function"
    DEFAULT_MODEL = "callable"
    NEEDS_KEY = False
    SUPPORTS_BATCH = False
    FIELDS = ("target",)

    def __init__(self, config: SystemConfig) -> None:
        self.config = config
        self.target = config.target or ""
        self.function = load_target(config.target)

    @classmethod
    def build_config(
        cls, *, model: str | None, target: str | None, prompt: str, retrieval: RetrievalSettings
    ) -> SystemConfig:
        """The model label defaults to the target, so runs of two targets read apart."""
        return SystemConfig(
            kind="callable",
            model=model or target or cls.DEFAULT_MODEL,
            target=target,
            prompt_template=prompt,
            retrieval=retrieval,
        )

    @staticmethod
    def payload(config: SystemConfig, request: SystemRequest) -> dict[str, Any]:
        return request.model_dump(mode="json")

    @classmethod
    def create(cls, config: SystemConfig, connection: Connection) -> CallableSystem:
        return cls(config)

    async def answer(self, request: SystemRequest) -> SystemOutput:
        try:
            if inspect.iscoroutinefunction(self.function):
                result = await self.function(request)
            else:
                result = await asyncio.to_thread(self.function, request)
                if inspect.isawaitable(result):
                    result = await result
        except (TransientError, PermanentError):
            raise
        except (TimeoutError, ConnectionError) as error:
            raise TransientError(
                f"Callable system target {self.target!r} failed: {type(error).__name__}: {error}"
            ) from error
        except Exception as error:
            raise PermanentError(
                f"Callable system target {self.target!r} failed: {type(error).__name__}: {error}"
            ) from error
        return to_output(result, self.target)
