"""Errors meant for people, each carrying the CLI exit code of DESIGN.md's contract.

One error speaks to two audiences: its message (`str(exc)`) is what the CLI prints, naming
flags and commands (`--reason`, `pilot run --resume ID`); `app` is the same advice in the app's
words (a field, a button, a page), for errors whose message would otherwise send an app user to
the command line. `app_message` is what every page shows.
"""

from __future__ import annotations

import re


class PilotError(Exception):
    exit_code = 2

    def __init__(self, *args: object, app: str | None = None) -> None:
        super().__init__(*args)
        self.app = app


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


_FLAG_PREFIX = re.compile(r"^--[a-z][a-z-]*(?: (?:'[^']*'|\S+))?: ")
_CLI_WORDS = re.compile(
    r"(?<![\w-])--[a-z][a-z-]+"  # a flag
    r"|`pilot [^`]*`"  # a command in backticks
    r"|\bpilot (?:run|goldenset|bar|token|audit|kill|live|review|sample|workflow|user|key)"
    r" (?:--|create|list|verify|import|show|set|rotate|revoke|ingest|status|draw|sign|plan)"
)


def app_message(exc: BaseException) -> str:
    """An error as the app shows it: the error's `app` words when it has them; otherwise its
    message with a leading CLI flag ("--reason: say why …" → "Say why …") taken off. Anything
    else is not an error meant for people: its type and message, no traceback."""
    if isinstance(exc, PilotError):
        words = getattr(exc, "app", None)  # a subclass may skip PilotError.__init__
        if words:
            return str(words)
        text = _FLAG_PREFIX.sub("", str(exc), count=1)
        return text[:1].upper() + text[1:]
    return f"Unexpected failure ({type(exc).__name__}): {exc}"


def speaks_cli(text: str) -> bool:
    """True when `text` names a CLI flag or command (what no app message may do)."""
    return _CLI_WORDS.search(text) is not None
