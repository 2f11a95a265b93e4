"""Limits a JSONL line must keep before it is parsed, so reading a file takes memory in
proportion to its size and no line can exhaust the parser (issue 9, finding 10)."""

from __future__ import annotations

import re

# A case is an object of text, lists of text and a list of source objects: three levels, and a
# few values per hundred characters. A line far denser in values (`[[],[],...]` or `["t","t",...]`
# take 50-60 bytes of memory per 3-4 characters) or deeper could not be a case: it is refused
# before it is parsed, which keeps the memory a line can take in proportion to its length.
MAX_NESTING = 8
MAX_VALUES_PER_KB = 48
MIN_VALUES_CHECKED = 64  # any line with fewer values is parsed
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[{]+|[\]}]+|,+')


def too_dense(line: bytes) -> str | None:
    """Why a JSONL line cannot be a case before parsing it (too deep, too dense), or None."""
    if line.count(b",") + line.count(b"[") + line.count(b"{") <= MIN_VALUES_CHECKED:
        return None  # most lines stop here
    values, depth = _structure(line)
    if depth > MAX_NESTING:
        return f"nested {depth} levels deep; a golden case has 3"
    if values > MIN_VALUES_CHECKED and values * 1024 > MAX_VALUES_PER_KB * len(line):
        return (
            f"{values} values in {len(line)} characters: not a golden case (at most "
            f"{MAX_VALUES_PER_KB} lists, objects or list items per 1,024 characters)"
        )
    return None


def _structure(line: bytes) -> tuple[int, int]:
    """Values (lists, objects and the items after a comma) outside JSON strings, and how deeply
    lists and objects nest; one token at a time, so no copy of the line and no list of tokens."""
    values = depth = deepest = 0
    for token in _TOKENS.finditer(line):
        first, size = line[token.start()], token.end() - token.start()
        if first in b"[{":
            values += size
            depth += size
            deepest = max(deepest, depth)
        elif first == ord(","):
            values += size
        elif first != ord('"'):
            depth = max(depth - size, 0)
    return values, deepest
