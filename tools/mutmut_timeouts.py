"""mutmut, with its wall-clock timeout aimed at the worker it was set for, not at a PID.

mutmut 3.8 gives each mutant's worker a wall-clock deadline (`mutmut.workers.timeout`): a
thread keeps `(deadline, pid)` and, when the deadline passes, sends SIGXCPU to that PID, whether
or not the worker has long finished. The deadline is 15 times the tests' expected time, so it
usually passes minutes after the worker exited, by which time Linux may have given its PID to
another process: on the shared machine PIDs wrap every few minutes (about 160 new processes a
second). That process is killed by a signal meant for nobody. It was a `make mutate` stats run
(`exit -24`, SIGXCPU, after 7 minutes: it was long-lived, so sooner or later some run's stale
deadline named its PID), and it can be a later mutant's worker (counted as a timeout, that is
as killed, though no test caught it) or any other program on the machine.

Here each deadline holds a pidfd, opened while the worker is still unreaped (mutmut registers
the deadline right after `fork()`, in the thread that later reaps it), so the signal can only
reach that worker; a deadline is dropped as soon as its worker exits. `python
tools/mutmut_timeouts.py ARGS` is `mutmut ARGS` with this in place (tools/mutate.py runs it).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
import time

_lock = threading.Condition()
_deadlines: dict[int, float] = {}  # pidfd -> time.monotonic() deadline
_checker: threading.Thread | None = None
MUTANT = "__mutmut_"  # in a mutant's name, never in "stats", "fail", ...
POLL_SECONDS = 1.0  # how often new deadlines and exited workers are noticed


def register_timeout(pid: int, timeout_s: float) -> None:
    """Send SIGXCPU to the process `pid` names now (a child not yet reaped) if it is still
    running `timeout_s` seconds from now; never to a later process given the same PID."""
    global _checker
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # already gone: nothing to time out
    with _lock:
        _deadlines[fd] = time.monotonic() + timeout_s
        if _checker is None:
            _checker = threading.Thread(target=_check, name="mutmut-timeouts", daemon=True)
            _checker.start()
        _lock.notify()


def pending() -> int:
    """How many deadlines are still held (workers not yet exited, deadline not passed)."""
    with _lock:
        return len(_deadlines)


def _check() -> None:
    while True:
        with _lock:
            while not _deadlines:
                _lock.wait()
            watched = dict(_deadlines)
        poller = select.poll()
        for fd in watched:
            poller.register(fd, select.POLLIN)  # readable once the process has exited
        wait = min(POLL_SECONDS, max(0.0, min(watched.values()) - time.monotonic()))
        exited = {fd for fd, _ in poller.poll(wait * 1000)}
        now = time.monotonic()
        with _lock:
            for fd, deadline in watched.items():
                if fd not in exited and deadline > now:
                    continue
                if fd not in exited:
                    with contextlib.suppress(ProcessLookupError):
                        signal.pidfd_send_signal(fd, signal.SIGXCPU)
                del _deadlines[fd]
                os.close(fd)


def _forget_after_fork() -> None:
    """A forked child (mutmut's fork server) has no checker thread: it starts its own."""
    global _checker, _lock
    _checker, _lock = None, threading.Condition()
    for fd in list(_deadlines):
        os.close(fd)
    _deadlines.clear()


def install() -> None:
    """Put `register_timeout` where mutmut's runners look it up, and shield the processes
    that run no mutant from SIGXCPU sent by other programs' stale deadlines (mutmut's own, in
    another run on the machine, still aim at PIDs: one killed a `mutmut run` itself). Those
    processes have no CPU limit, so SIGXCPU can only be astray there; a mutant's worker gets
    the default back, so its CPU limit and its deadline still stop it."""
    import mutmut.workers.isolation
    import mutmut.workers.timeout

    mutmut.workers.timeout.register_timeout = register_timeout
    mutmut.workers.isolation.register_timeout = register_timeout  # imported by name there
    signal.signal(signal.SIGXCPU, signal.SIG_IGN)  # inherited by the stats run, the fork server
    choose = mutmut.workers.isolation.set_mutant_under_test  # called in a worker, after fork

    def set_mutant_under_test(name: str | None) -> None:
        if name and MUTANT in name:
            signal.signal(signal.SIGXCPU, signal.SIG_DFL)
        choose(name)

    mutmut.workers.isolation.set_mutant_under_test = set_mutant_under_test


os.register_at_fork(after_in_child=_forget_after_fork)


if __name__ == "__main__":
    sys.path.pop(0)  # this folder: the run should import what the `mutmut` command would
    install()
    from mutmut.__main__ import cli

    cli()
