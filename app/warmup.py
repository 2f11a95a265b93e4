"""Work a page's first visit would otherwise wait for, done before anyone asks (issue 10, item 11).

Two first-visit costs, measured in the browser test (docs/benchmarks.md):

- On the server, the first visit to a page imported what it uses: plotly's figure classes,
  polars, pandas, scipy and sklearn for the review statistics, the phone-number and IBAN
  libraries for the redaction tester. `start()` imports all of it in a background thread when
  the server starts, so the visit finds the modules loaded.
- The server's garbage collector walked every object those imports made on each full
  collection: `settle_heap` leaves them out once they are loaded.
- In the browser, the first page with a chart loaded Streamlit's Plotly code (one 4.7 MB
  file), and the first with a table its table code, and was drawn only after them.
  `element_code_script` loads both while the sign-in form waits instead (or after the first
  page of a session is drawn), so the first such page finds them loaded.

Nothing here reads the database or holds a figure: it changes when things happen, not what
any page shows.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import importlib
import importlib.util
import re
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ELEMENTS = ("PlotlyChart", "DataFrame")  # 4.7 MB and 0.5 MB (+0.7 MB it imports)
CHUNK = re.compile(r"(PlotlyChart|DataFrame)\.[A-Za-z0-9_-]+\.js")


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
    settle_heap()


def settle_heap() -> None:
    """Leave what is alive now (the imported modules: about 290,000 objects after
    `import_all`) out of the garbage collector's full collections for the server's life. Each
    full collection walked them all, 0.2-0.3 s with every thread stopped, about every second
    or two while pages drew: the pauses a visit waited on at random. Garbage is collected
    first; what a page served meanwhile holds at this moment is frozen with the rest (once, at
    start-up: at most a session's worth)."""
    gc.collect()
    gc.freeze()


def start() -> threading.Thread:
    """Import everything the pages use in a background thread (the server starts it)."""
    thread = threading.Thread(target=import_all, name="pilot-warmup", daemon=True)
    thread.start()
    return thread


def element_chunks() -> list[str]:
    """The file names of Streamlit's code for charts and tables in the installed Streamlit."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or spec.origin is None:
        return []
    folder = Path(spec.origin).parent / "static" / "static" / "js"
    found = []
    for element in ELEMENTS:
        names = sorted(p.name for p in folder.glob(f"{element}.*.js") if CHUNK.fullmatch(p.name))
        found += names[:1]
    return found


@functools.cache  # the installed Streamlit does not change while the server runs
def element_code_script() -> str | None:
    """A script that loads those files the way Streamlit's own code does (the same URLs,
    beside Streamlit's main script, so the browser runs each once), or None without them."""
    names = element_chunks()
    if not names:
        return None
    urls = ",".join(f"'./{name}'" for name in names)
    return (
        "<script>(()=>{const s=document.querySelector('script[type=module][src*=\"/index.\"]');"
        f"if(s)for(const u of [{urls}])import(new URL(u,s.src).href).catch(()=>{{}});}})();"
        "</script>"
    )


def warm_figure() -> object:
    """A figure with every trace type and decoration the pages draw (lines with error bars,
    bars, a heatmap, a dashed threshold with its note), drawn once per browser session where no
    one sees it (`app.ui.load_element_code`): the browser compiles Plotly's drawing code for
    it, not for the first chart someone asked for. No data: it shows nothing of the pilot."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=3)
    fig.add_trace(
        go.Scatter(x=[1, 2], y=[0.5, 0.7], error_y={"array": [0.1, 0.1]}, mode="lines+markers"),
        row=1,
        col=1,
    )
    fig.add_trace(go.Bar(x=["a", "b"], y=[1, 2]), row=1, col=2)
    fig.add_trace(go.Heatmap(z=[[0.1, 0.9], [0.5, 0.3]], x=["a", "b"], y=["c", "d"]), row=1, col=3)
    fig.add_hline(y=0.6, line_dash="dash", annotation_text="bar", row=1, col=1)
    return fig


def hidden_style(key: str) -> str:
    """CSS that keeps the container of `key` (a fixed name, never data) laid out but off-screen
    and hidden: Plotly draws in it, no one sees it, and it is out of the accessibility tree."""
    if not re.fullmatch(r"[a-z_]+", key):
        raise ValueError(f"not a container key: {key!r}")
    return (
        f"<style>.st-key-{key}{{position:absolute;left:-10000px;width:800px;"
        "visibility:hidden}</style>"
    )
