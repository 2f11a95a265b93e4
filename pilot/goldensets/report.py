"""What reading a golden-set file found: each problem with its file, line and field, and the
error that carries them all when nothing may be imported."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pilot.core.errors import InputError
from pilot.core.models import GoldenCase


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, as a warning, odd) in a golden-set file, and where."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


@dataclass
class ValidationReport:
    """`cases` are the cases that passed (kept only by `validate_goldenset`; an import streams
    them); nothing may be imported while `errors` is non-empty."""

    filename: str
    format: str
    cases: list[GoldenCase] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, line: int | None, name: str | None, message: str) -> None:
        self.errors.append(Problem(self.filename, line, name, message))

    def warn(self, line: int | None, name: str | None, message: str) -> None:
        self.warnings.append(Problem(self.filename, line, name, message))


class GoldenSetInvalid(InputError):
    """The file has problems; its message lists every one, and nothing was imported."""

    def __init__(self, report: ValidationReport):
        self.report = report
        self.problems = list(report.errors)
        n = len(self.problems)
        lines = [f"{report.filename}: {n} problem{'s' if n != 1 else ''}; nothing was imported"]
        lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))
