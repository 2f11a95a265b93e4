"""Ordered, named schema migrations, one module each: `mNNN_name.py` with NAME and STATEMENTS.

Append only: never edit a migration that has shipped; add the next number instead.
"""

from __future__ import annotations

import importlib
import pkgutil


def _discover() -> list[tuple[int, str, list[str]]]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("m") and info.name[1:4].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append((int(info.name[1:4]), module.NAME, list(module.STATEMENTS)))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"duplicate migration numbers: {numbers}")
    return found


MIGRATIONS = _discover()
