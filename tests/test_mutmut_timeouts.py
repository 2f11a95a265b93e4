"""`make mutate`'s wall-clock timeout (tools/mutmut_timeouts.py) stops the worker it was set
for, and never the process that later reuses a finished worker's PID, as mutmut's own does."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
NEXT_PID = Path("/proc/sys/kernel/ns_last_pid")


@pytest.fixture(scope="module")
def timeouts() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mutmut_timeouts", ROOT / "tools" / "mutmut_timeouts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def finished_child() -> int:
    """The PID of a child that has exited and been reaped, as a mutant's worker is."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_a_worker_still_running_at_its_deadline_gets_sigxcpu(timeouts: ModuleType) -> None:
    worker = subprocess.Popen(["sleep", "30"])
    started = time.monotonic()
    timeouts.register_timeout(worker.pid, 0.5)
    assert worker.wait(timeout=20) == -24  # SIGXCPU: mutmut reads it as a timeout
    assert time.monotonic() - started >= 0.5


def test_a_deadline_is_dropped_when_its_worker_exits(timeouts: ModuleType) -> None:
    worker = subprocess.Popen(["true"])
    timeouts.register_timeout(worker.pid, 600)  # registered before the worker is reaped
    assert worker.wait(timeout=20) == 0
    waited = 0.0
    while timeouts.pending() and waited < 20:
        time.sleep(0.1)
        waited += 0.1
    assert timeouts.pending() == 0  # long before its deadline: no signal left to go astray


def test_a_deadline_for_a_worker_already_reaped_is_not_kept(timeouts: ModuleType) -> None:
    timeouts.register_timeout(finished_child(), 0.1)
    assert timeouts.pending() == 0


ATTEMPT = """
import os, subprocess, sys
sys.path.insert(0, sys.argv[2])
if sys.argv[1] == "ours":
    from mutmut_timeouts import register_timeout
else:
    from mutmut.workers.timeout import register_timeout
worker = subprocess.Popen(["sleep", "30"])
register_timeout(worker.pid, 2.0)
worker.kill()
worker.wait()  # the worker is done and reaped; its deadline is not
with open("/proc/sys/kernel/ns_last_pid", "w") as f:
    f.write(str(worker.pid - 1))  # the kernel hands out the worker's PID next
other = subprocess.Popen(["sleep", "5"])
if other.pid != worker.pid:  # another process took it first: leave before the deadline
    other.kill()
    sys.exit(99)
print(other.wait())
"""


def other_process_exit(register: str) -> int:
    """Start a worker and its deadline, let it finish, give its PID to another process (5 s of
    sleep) and return that process's exit. The attempt runs in a process of its own that leaves
    before the deadline when the PID went elsewhere, so no stale deadline outlives it."""
    for _ in range(30):
        done = subprocess.run(
            [sys.executable, "-c", ATTEMPT, register, str(ROOT / "tools")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 99:
            assert done.returncode == 0, done.stderr
            return int(done.stdout)
    pytest.skip("another process took the PID every time")


@pytest.mark.skipif(
    not os.access(NEXT_PID, os.W_OK), reason="choosing the next PID needs root (ns_last_pid)"
)
def test_a_later_process_given_a_finished_workers_pid_is_left_alone() -> None:
    """The deadline of a worker that has finished, its PID handed to an unrelated process
    before the deadline: mutmut's own timeout kills that process (SIGXCPU); this one cannot."""
    assert other_process_exit("ours") == 0  # slept its 5 s
    assert other_process_exit("mutmut") == -24  # the bug tools/mutmut_timeouts.py fixes
