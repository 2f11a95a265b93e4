"""Work a page's first visit would otherwise wait for, done before anyone asks (issue 10, item 11).

Two first-visit costs, measured in the browser test (docs/benchmarks.md):

- On the server, the first visit to a page imported what it uses: plotly's figure classes,
  polars, pandas, scipy and sklearn for the review statistics, the phone-number and IBAN
  libraries for the redaction tester. `start()` imports all of it in a background thread when
  the server starts, so the visit finds the modules loaded.
- In the browser, the first page with a chart loaded Streamlit's Plotly code (one 4.7 MB
  file) and the page was drawn only after it. `chart_code_script` loads that file while the
  sign-in form waits instead (or after the first page of a session is drawn), so the first
  chart page finds it loaded.

Nothing here reads the database or holds a figure: it changes when things happen, not what
any page shows.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import importlib.util
import re
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHUNK_NAME = re.compile(r"PlotlyChart\.[A-Za-z0-9_-]+\.js")


def _imports(path: Path, *, deferred_only: bool) -> set[str]:
    """Absolute imports in `path`; only those inside functions when `deferred_only`."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found: set[str] = set()
    for node in ast.walk(tree):
        if deferred_only and id(node) in top:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def modules_to_import() -> list[str]:
    """What the pages import, and what the code they call imports only when called."""
    wanted: set[str] = set()
    for path in (ROOT / "app").rglob("*.py"):
        wanted |= _imports(path, deferred_only=False)
    for package in ("pilot", "metrics"):
        for path in (ROOT / package).rglob("*.py"):
            wanted |= _imports(path, deferred_only=True)
    wanted.add("pandas")  # Streamlit converts every table a page draws through it
    skip = ("app", "streamlit", "starlette", "playwright", "__future__")
    return sorted(m for m in wanted if m.split(".")[0] not in skip)


def import_all() -> None:
    for name in modules_to_import():
        # a cache warm-up: a module that cannot be imported here fails where it is used
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def start() -> threading.Thread:
    """Import everything the pages use in a background thread (the server starts it)."""
    thread = threading.Thread(target=import_all, name="pilot-warmup", daemon=True)
    thread.start()
    return thread


def chart_chunk() -> str | None:
    """The file name of Streamlit's Plotly chunk in the installed Streamlit, if there is one."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "static" / "static" / "js"
    names = sorted(p.name for p in folder.glob("PlotlyChart.*.js") if CHUNK_NAME.fullmatch(p.name))
    return names[0] if names else None


@functools.cache  # the installed Streamlit does not change while the server runs
def chart_code_script() -> str | None:
    """A script that loads the Plotly chunk the way Streamlit's own code does (the same URL,
    beside Streamlit's main script, so the browser runs it once), or None without one."""
    name = chart_chunk()
    if name is None:
        return None
    return (
        "<script>(()=>{const s=document.querySelector('script[type=module][src*=\"/index.\"]');"
        f"if(s)import(new URL('./{name}',s.src).href).catch(()=>{{}});}})();</script>"
    )
