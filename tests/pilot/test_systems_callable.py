"""CallableSystem loads "module:function" targets; make_system picks the system by kind."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from pilot.core.models import Citation, Source, SystemConfig, SystemOutput, SystemRequest
from pilot.runs.systems.anthropic import AnthropicSystem
from pilot.runs.systems.base import PermanentError, TransientError
from pilot.runs.systems.callable import CallableSystem
from pilot.runs.systems.connection import Connection
from pilot.runs.systems.offline import OfflineSystem
from pilot.runs.systems.registry import make_system

REQUEST = SystemRequest(
    case_id="c-1",
    question="How much leave?",
    sources=(Source(id="p", text="You get 25 days of leave."),),
)
TARGETS = """
import asyncio
from pilot.core.models import Citation, SystemOutput

def as_output(request):
    source = request.sources[0]
    return SystemOutput(
        answer=source.text,
        claims=(source.text,),
        citations=(Citation(source_id=source.id, cited_text=source.text, start=0, end=len(source.text)),),
    )

async def as_dict(request):
    await asyncio.sleep(0)
    return {
        "answer": "25 days",
        "abstained": False,
        "citations": [{"source_id": "p", "cited_text": "25 days", "start": 8, "end": 15}],
    }

def abstains(request):
    return {"answer": "", "abstained": True, "citations": []}

def returns_text(request):
    return "25 days"

def returns_bad_dict(request):
    return {"answer": "x", "citations": [{"source_id": "p"}], "confidence": 0.9}

def raises(request):
    raise KeyError("boom")

def times_out(request):
    raise TimeoutError("backend slow")

class Service:
    async def __call__(self, request):
        return {"answer": request.case_id, "citations": []}

    @staticmethod
    def answer(request):
        return {"answer": "static", "citations": []}

service = Service()
not_callable = 42
"""


@pytest.fixture
def targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "qa_targets.py").write_text(textwrap.dedent(TARGETS))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "qa_targets"


def run(target: str) -> SystemOutput:
    system = CallableSystem(SystemConfig(kind="callable", target=target))
    return asyncio.run(system.answer(REQUEST))


def test_sync_function_returning_system_output(targets: str) -> None:
    output = run(f"{targets}:as_output")
    assert output.answer == "You get 25 days of leave."
    assert output.citations[0] == Citation(
        source_id="p", cited_text="You get 25 days of leave.", start=0, end=25
    )


def test_async_function_returning_a_dict(targets: str) -> None:
    output = run(f"{targets}:as_dict")
    assert (output.answer, output.abstained) == ("25 days", False)
    assert output.citations == (Citation(source_id="p", cited_text="25 days", start=8, end=15),)
    assert run(f"{targets}:abstains").abstained


def test_callable_objects_and_dotted_attributes(targets: str) -> None:
    assert run(f"{targets}:service").answer == "c-1"
    assert run(f"{targets}:Service.answer").answer == "static"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (None, "must be 'module:function'"),
        ("qa_targets", "must be 'module:function'"),
        ("qa_targets:", "must be 'module:function'"),
        (":as_output", "must be 'module:function'"),
        ("no_such_module_xyz:answer", "cannot import module 'no_such_module_xyz'"),
        ("qa_targets:missing", "has no attribute 'missing'"),
        ("qa_targets:not_callable", "is not callable"),
    ],
)
def test_bad_targets_are_permanent_errors_naming_the_target(
    targets: str, target: str | None, message: str
) -> None:
    with pytest.raises(PermanentError, match=message) as caught:
        CallableSystem(SystemConfig(kind="callable", target=target))
    assert repr(target) in str(caught.value)


@pytest.mark.parametrize(
    ("function", "error", "message"),
    [
        ("returns_text", PermanentError, "returned str; expected a SystemOutput or a dict"),
        ("returns_bad_dict", PermanentError, "citations.0.cited_text: Field required"),
        ("raises", PermanentError, "KeyError: 'boom'"),
        ("times_out", TransientError, "TimeoutError: backend slow"),
    ],
)
def test_bad_outputs_and_failures(
    targets: str, function: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        run(f"{targets}:{function}")
    assert f"'{targets}:{function}'" in str(caught.value)


def test_make_system_by_kind(targets: str) -> None:
    assert isinstance(make_system(SystemConfig()), OfflineSystem)
    assert isinstance(
        make_system(
            SystemConfig(kind="anthropic"),
            Connection(api_key="k", base_url="http://127.0.0.1:9"),
        ),
        AnthropicSystem,
    )
    callable_config = SystemConfig(kind="callable", target=f"{targets}:as_dict")
    assert isinstance(make_system(callable_config, Connection(api_key="ignored")), CallableSystem)
    with pytest.raises(PermanentError, match="'nope'"):
        make_system(SystemConfig(kind="callable", target="nope"))
