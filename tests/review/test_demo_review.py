"""`pilot demo`'s review data: simulated, labelled so, idempotent, with a queue left for marco."""

from __future__ import annotations

from pathlib import Path

from pilot.core import access
from pilot.core.store import Store
from pilot.goldensets.versions import seed_demo_goldenset
from pilot.review import dashboard, queue
from pilot.review.simulate import seed_demo_review


def test_simulated_review_data(users_store: Store, tmp_path: Path) -> None:
    access.add_user(users_store, "ada", "erin", "evaluator")
    seed_demo_goldenset(users_store)
    summary = seed_demo_review(users_store)
    assert summary["outputs"] == 360 and summary["grades"] > 0 and summary["simulated"]
    assert seed_demo_review(users_store) == {"skipped": "simulated live outputs already present"}
    with users_store.read() as con:
        assert con.execute("SELECT bool_and(simulated) FROM live_outputs").fetchone()[0]
        data = dashboard.status(con, "dana")
        left = queue.progress(con, "marco")
    assert data["simulated"]
    assert all(w["simulated"] for w in data["windows"] if w["graded"])
    assert all(a["simulated"] for a in data["approvals"])
    assert data["agreement"]["n_double_graded"] > 0
    assert left.remaining > 0  # the latest week waits for marco in the app
