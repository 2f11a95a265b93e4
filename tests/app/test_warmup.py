"""The server's warm-up (issue 10, item 11): it imports what the pages use, and the sign-in
page has the browser load Streamlit's chart and table code, by the URLs Streamlit uses."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app import warmup

ROOT = Path(__file__).resolve().parents[2]


def test_the_list_holds_what_pages_import_and_what_their_code_imports_late() -> None:
    names = warmup.modules_to_import()
    # imported by pages at the top, and inside functions the pages call
    for name in ("pilot.results.view", "plotly.graph_objects", "polars", "sklearn.metrics"):
        assert name in names
    assert not [n for n in names if n.split(".")[0] in ("app", "streamlit", "playwright")]


def fresh_interpreter(code: str) -> Any:
    """Run `code` in a new Python with the project importable; the JSON its last line prints."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=600,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_all_leaves_every_listed_module_imported() -> None:
    """In a fresh interpreter: nothing on the list fails to import (the warm-up swallows
    failures, so this is where one would show)."""
    code = (
        "import json, sys; from app import warmup; warmup.import_all(); "
        "print(json.dumps([n for n in warmup.modules_to_import() if n not in sys.modules]))"
    )
    assert fresh_interpreter(code) == []


def test_import_all_leaves_what_it_loaded_out_of_full_collections() -> None:
    """The garbage collector's full collections walked every object the imports made (0.2-0.3 s
    each, every second or two while pages drew). After the warm-up they are frozen: a full
    collection walks what is made later, and the frozen objects were alive, not garbage."""
    code = (
        "import gc, json, weakref; from app import warmup; before = len(gc.get_objects()); "
        "gc.disable(); cycle = type('Cycle', (), {})(); cycle.me = cycle; "
        "gone = weakref.ref(cycle); del cycle; "  # garbage only a collection can free
        "warmup.import_all(); "
        "print(json.dumps([before, gc.get_freeze_count(), len(gc.get_objects()), gone() is None]))"
    )
    before, frozen, walked, freed = fresh_interpreter(code)
    assert frozen > 10 * before  # the imports made far more objects than there were
    assert walked < frozen / 100  # a full collection now walks almost none of them
    assert freed  # garbage was collected before the freeze, not kept for the server's life


def test_the_element_code_is_the_file_streamlit_itself_imports() -> None:
    """Both files exist in the installed Streamlit, and its main script imports each by the
    same relative name the warm-up uses, so the browser runs each file once. A Streamlit
    that renames or merges them fails here instead of silently losing the warm-up."""
    chunks = warmup.element_chunks()
    assert [c.split(".")[0] for c in chunks] == ["PlotlyChart", "DataFrame"]
    spec = importlib.util.find_spec("streamlit")
    assert spec is not None and spec.origin is not None
    static = Path(spec.origin).parent / "static"
    main = re.search(r'src="\./static/js/(index\.[^"]+\.js)"', (static / "index.html").read_text())
    assert main is not None  # the module script the warm-up resolves its URLs against
    main_script = (static / "static" / "js" / main.group(1)).read_text()
    for chunk in chunks:
        assert f"import(`./{chunk}`)" in main_script
    script = warmup.element_code_script()
    assert script is not None
    assert all(f"'./{chunk}'" in script for chunk in chunks)
    assert script.startswith("<script>") and script.count("<script>") == 1


def test_the_hidden_style_takes_a_container_key_and_nothing_else() -> None:
    assert ".st-key-warm_chart{" in warmup.hidden_style("warm_chart")
    assert "visibility:hidden" in warmup.hidden_style("warm_chart")
    with pytest.raises(ValueError, match="container key"):
        warmup.hidden_style("x}</style><script>alert(1)</script>")
