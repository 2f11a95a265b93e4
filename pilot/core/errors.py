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
