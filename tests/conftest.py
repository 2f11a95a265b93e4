"""Fixtures shared across the suite."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# No per-example deadline: a loaded CI machine or a cold import must not fail a property test.
settings.register_profile("pilot", deadline=None)
settings.load_profile("pilot")

from helpers import seeded_store  # noqa: E402
from stub_messages_api import MessagesStub  # noqa: E402

from pilot.core.store import Store  # noqa: E402


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty, migrated database in the test's own folder."""
    s = Store(tmp_path / "pilot.duckdb")
    with s.read():
        pass
    return s


@pytest.fixture
def users_store(tmp_path: Path) -> Store:
    """A database with one user per role (see tests/helpers.py)."""
    return seeded_store(tmp_path / "pilot.duckdb")


@pytest.fixture
def messages_stub() -> Iterator[MessagesStub]:
    """A local Messages API for the real anthropic SDK (see tests/stub_messages_api.py): pass
    `base_url=messages_stub.base_url`. Stopped after the test."""
    with MessagesStub() as stub:
        yield stub


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """During `make mutate` only: run a mutant against its target's tests alone (see
    tests/mutation_targets.py). A no-op otherwise."""
    from mutation_targets import MUTANT_SEPARATOR, allowed_tests, fastest_first, selected

    entries = allowed_tests(os.environ)
    if entries is None:
        return
    kept = [item for item in items if selected(item.nodeid, entries)]
    dropped = [item for item in items if not selected(item.nodeid, entries)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    if MUTANT_SEPARATOR in os.environ.get("MUTANT_UNDER_TEST", ""):
        order = {nodeid: i for i, nodeid in enumerate(fastest_first([i.nodeid for i in kept]))}
        kept.sort(key=lambda item: order[item.nodeid])
    items[:] = kept


# During `make mutate` only: a test still running after this long under a mutant is hung (a
# mutated loop that never ends, a wait that is never woken). It fails, so the mutant counts as
# killed, as mutmut's own timeout would count it, but after minutes, not after mutmut's deadline
# of 15 times the tests' expected time (over half an hour for the run target's writer). The
# slowest test of a target takes about 12 s in mutmut's stats run on the loaded machine.
# PILOT_MUTANT_TEST_SECONDS sets another limit: the writer's loop, whose mutants often hang,
# ran with 30 s (its slowest test takes under 5 s since the give-up tests shortened their waits).
MUTANT_TEST_SECONDS = int(os.environ.get("PILOT_MUTANT_TEST_SECONDS", "150"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    from mutation_targets import MUTANT_SEPARATOR

    if MUTANT_SEPARATOR not in os.environ.get("MUTANT_UNDER_TEST", ""):
        yield
        return

    def hung(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"{item.nodeid}: still running after {MUTANT_TEST_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(MUTANT_TEST_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Say the test order last, even under -q: a failure seen in one random order can then be
    repeated with the same seed (pytest-randomly; `-p no:randomly` runs the files as written)."""
    seed = (
        config.getoption("randomly_seed", None)
        if config.pluginmanager.hasplugin("randomly")
        else None
    )
    order = f"random, --randomly-seed={seed}" if isinstance(seed, int) else "as written"
    terminalreporter.write_line(f"Test order: {order}")
