"""`pilot run` shows progress through click's progress bar, fed by the runner's counts."""

from __future__ import annotations

import io

import click

from pilot.cli.run_cmds import ProgressBar
from pilot.runs.context import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_follows_the_runner(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    bar = ProgressBar()
    progress = Progress(total=4, done=1)  # a resumed run: one case was stored before
    bar(progress)
    assert isinstance(bar.bar, click._termui_impl.ProgressBar)
    assert bar.bar.pos == 1 and bar.bar.length == 4
    progress.done, progress.errors, progress.cached = 3, 1, 1
    bar(progress)
    assert bar.bar.pos == 3
    progress.done = 4
    bar(progress)
    bar.close()
    text = screen.getvalue()
    assert "cases" in text and "4/4" in text and "errors 1  cached 1" in text
    assert bar.bar is None
