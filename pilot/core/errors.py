"""Errors meant for people, each carrying the CLI exit code of DESIGN.md's contract."""

from __future__ import annotations


class PilotError(Exception):
    exit_code = 2


class InputError(PilotError):
    """Bad input: the message names the file, line and field, and nothing was changed."""

    exit_code = 2


class StoreBusy(PilotError):
    exit_code = 2


class BarNotMet(PilotError):
    exit_code = 1


class Halted(PilotError):
    """The kill switch is engaged: no system call may leave."""

    exit_code = 3


class PermissionDenied(PilotError):
    exit_code = 4


class Inconclusive(PilotError):
    """Too many infrastructure errors to judge the run; `pilot run --resume` retries them."""

    exit_code = 5


class RunBusy(InputError):
    """The run is owned by a live process (its lease); the message names the owner."""

    exit_code = 2


# Not part of DESIGN.md's 0-5 contract: an unexpected failure (a bug) must never look like
# "bar not met" (1). 70 is EX_SOFTWARE from sysexits.h.
INTERNAL_ERROR_EXIT = 70
