"""The blind grading queue: one item at a time, each to one evaluator (two for the agreement
share), never twice to the same person, resumed where the evaluator stopped.

An evaluator's next item is the one they hold and have not graded yet; failing that, they claim
the first sampled item that still needs a grader. A claim is a row in `assignments` keyed by
(output, slot): two evaluators racing for the same slot collide on the key, and the loser's
transaction is retried whole and claims the next item, so no item is ever handed out twice,
across threads or processes. `(output, evaluator)` is unique too: nobody grades an item twice.

What an evaluator sees is a `BlindItem`: the question, the answer, and the sources with each
citation highlighted. It has no field for the system, its config, automatic scores or other
people's grades, so no page can show them.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, require, write_as
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.inert import highlight_html
from pilot.core.store import Store

SPREAD = 8
CLAIM_TIMEOUT = timedelta(hours=4)
"""An item held this long without a grade is a stale claim: its evaluator left it. A lead
releases stale claims (`release_stale`, the dashboard, `pilot review release`) so the item goes
to the next evaluator; nothing releases them behind a lead's back, so an evaluator back from a
long break still finds their item unless a lead chose to hand it on."""
WRITES = threading.Lock()
"""Review writes from one process take turns: twenty graders in the app process would otherwise
collide on every audit event and exhaust the store's retries. Processes take turns anyway (DuckDB
lets one process hold the file)."""


@dataclass(frozen=True)
class SourceView:
    title: str
    text: str
    spans: tuple[tuple[int, int], ...]
    """Where the answer's citations sit in `text`, for `pilot.core.inert.highlight_html`."""

    @property
    def marks(self) -> int:
        return len(self.spans)

    @property
    def html(self) -> str:
        """Inert HTML, the citations in <mark>."""
        return highlight_html(self.text, list(self.spans))


@dataclass(frozen=True)
class BlindItem:
    output_id: str
    input: str
    output: str
    cited: tuple[str, ...]
    sources: tuple[SourceView, ...]
    simulated: bool  # demo data, labelled as such; says nothing about the system


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def remaining(self) -> int:
        return self.total - self.done

    def sentence(self) -> str:
        return f"Your queue: {self.total} items, {self.done} done"


_OPEN = """
SELECT a.output_id FROM assignments a
WHERE a.evaluator = $who
  AND NOT EXISTS (SELECT 1 FROM grades g WHERE g.output_id = a.output_id AND g.evaluator = $who)
ORDER BY a.assigned_at, a.output_id LIMIT 1
"""

_NEEDED = """
WITH needed AS (
    SELECT si.output_id, max(si.graders) AS graders, min(s.created_at) AS drawn,
           min(si.position) AS position
    FROM sample_items si JOIN samples s USING (sample_id)
    GROUP BY si.output_id
), taken AS (
    SELECT output_id, count(*) AS n, max(slot) AS top FROM assignments GROUP BY output_id
)
SELECT n.output_id, coalesce(t.top, 0) + 1 AS slot
FROM needed n LEFT JOIN taken t USING (output_id)
WHERE coalesce(t.n, 0) < n.graders
  AND NOT EXISTS (SELECT 1 FROM assignments a
                  WHERE a.output_id = n.output_id AND a.evaluator = $who)
  AND NOT EXISTS (SELECT 1 FROM grades g WHERE g.output_id = n.output_id AND g.evaluator = $who)
ORDER BY n.drawn, n.position, n.output_id
"""


def next_item(store: Store, evaluator: str | None) -> str | None:
    """The output id this evaluator should grade now (claimed if new), or None when done."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> str | None:
        held = con.execute(_OPEN, {"who": actor.name}).fetchone()
        if held:
            return held[0]
        # The first few open items, each evaluator taking a different one of them first, so
        # twenty evaluators starting at once do not all race for the same item.
        rows = con.execute(_NEEDED + f" LIMIT {SPREAD}", {"who": actor.name}).fetchall()
        if not rows:
            return None
        row = min(rows, key=lambda r: hashlib.sha256(f"{actor.name}|{r[0]}".encode()).digest())
        con.execute(
            "INSERT INTO assignments VALUES (?, ?, ?, ?)",
            [row[0], row[1], actor.name, audit.utc_now()],
        )
        return row[0]

    with WRITES:
        return write_as(store, evaluator, "grade", "queue.claim", "queue", body)


def progress(con: duckdb.DuckDBPyConnection, evaluator: str) -> Progress:
    """Done = graded by this evaluator; total = done + held + still open to them."""
    done, held = con.execute(
        "SELECT count(*) FILTER (WHERE EXISTS (SELECT 1 FROM grades g WHERE g.output_id = "
        "a.output_id AND g.evaluator = a.evaluator)), count(*) FROM assignments a "
        "WHERE a.evaluator = ?",
        [evaluator],
    ).fetchone()
    graded_elsewhere = con.execute(
        "SELECT count(DISTINCT output_id) FROM grades g WHERE evaluator = ? AND NOT EXISTS "
        "(SELECT 1 FROM assignments a WHERE a.output_id = g.output_id AND a.evaluator = ?)",
        [evaluator, evaluator],
    ).fetchone()[0]
    available = con.execute(f"SELECT count(*) FROM ({_NEEDED})", {"who": evaluator}).fetchone()[0]
    done += graded_elsewhere
    return Progress(done, held + graded_elsewhere + available)


def blind_item(con: duckdb.DuckDBPyConnection, evaluator: str, output_id: str) -> BlindItem:
    """What the evaluator may see of an item assigned to them: nothing about the system."""
    require(con, evaluator, "grade")
    if not con.execute(
        "SELECT 1 FROM assignments WHERE output_id = ? AND evaluator = ?", [output_id, evaluator]
    ).fetchone():
        raise PermissionDenied(f"{output_id} is not in {evaluator}'s queue")
    row = con.execute(
        "SELECT input, output, citations, sources, simulated FROM live_outputs WHERE id = ?",
        [output_id],
    ).fetchone()
    question, answer, citations_json, sources_json, simulated = row
    citations = _list(citations_json)
    sources = _list(sources_json)
    cited = tuple(str(c.get("cited_text") or "") for c in citations if isinstance(c, dict))
    views = []
    for source in sources:
        if not isinstance(source, dict):
            continue
        text = str(source.get("text") or "")
        spans = _spans(text, str(source.get("id")), citations)
        views.append(
            SourceView(
                str(source.get("title") or f"Source {len(views) + 1}"),
                text,
                tuple(spans),
            )  # fmt: skip
        )
    return BlindItem(output_id, question, answer, cited, tuple(views), bool(simulated))


def _list(raw: str | None) -> list:
    value = json.loads(raw) if raw else []
    return value if isinstance(value, list) else []


def _spans(text: str, source_id: str, citations: list) -> list[tuple[int, int]]:
    """Each citation of this source: its offsets when they match its text, else found by text."""
    spans = []
    for c in citations:
        if not isinstance(c, dict) or str(c.get("source_id")) != source_id:
            continue
        cited = str(c.get("cited_text") or "")
        start, end = c.get("start"), c.get("end")
        if isinstance(start, int) and isinstance(end, int) and text[start:end] == cited and cited:
            spans.append((start, end))
        elif cited and (found := text.find(cited)) >= 0:
            spans.append((found, found + len(cited)))
    return spans


@dataclass(frozen=True)
class Claim:
    output_id: str
    evaluator: str
    claimed_at: str

    def age(self, now: datetime | None = None) -> timedelta:
        claimed = datetime.strptime(self.claimed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return (now or datetime.now(UTC)) - claimed

    def held_for(self, now: datetime | None = None) -> str:
        minutes = int(self.age(now).total_seconds() // 60)
        if minutes >= 48 * 60:
            return f"{minutes // (24 * 60)} days"
        return f"{minutes // 60} h {minutes % 60:02d} min"


def _cutoff(older_than: timedelta) -> str:
    if older_than < timedelta(0):
        raise InputError("a claim's age cannot be negative")
    return (datetime.now(UTC) - older_than).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_STALE = """
SELECT a.output_id, a.evaluator, a.assigned_at FROM assignments a
WHERE a.assigned_at < ? AND a.assigned_at LIKE '____-__-__T__:__:__.______Z'
  AND NOT EXISTS (SELECT 1 FROM grades g WHERE g.output_id = a.output_id
                  AND g.evaluator = a.evaluator)
ORDER BY a.assigned_at, a.output_id
"""


def stale_claims(
    con: duckdb.DuckDBPyConnection, older_than: timedelta = CLAIM_TIMEOUT
) -> list[Claim]:
    """Items held without a grade for longer than `older_than`, oldest first."""
    rows = con.execute(_STALE, [_cutoff(older_than)]).fetchall()
    return [Claim(*row) for row in rows]


def release_stale(
    store: Store, lead: str | None, older_than: timedelta = CLAIM_TIMEOUT
) -> list[Claim]:
    """Release every claim held without a grade for longer than `older_than`, in one
    transaction, each audited; the items go to the next evaluators who ask for work."""
    cutoff = _cutoff(older_than)

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> list[Claim]:
        claims = [Claim(*row) for row in con.execute(_STALE, [cutoff]).fetchall()]
        for claim in claims:
            con.execute(
                "DELETE FROM assignments WHERE output_id = ? AND evaluator = ?",
                [claim.output_id, claim.evaluator],
            )
            audit.record(con, actor.name, actor.role, "queue.release",
                         f"live_output:{claim.output_id}",
                         {"evaluator": claim.evaluator, "claimed_at": claim.claimed_at,
                          "stale_after_hours": older_than.total_seconds() / 3600})  # fmt: skip
        return claims

    with WRITES:
        return write_as(store, lead, "edit_pilot", "queue.release", "queue", body)


def release(store: Store, lead: str | None, output_id: str, evaluator: str) -> None:
    """A lead hands an ungraded item back (the evaluator left); it goes to the next claimant."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> None:
        con.execute(
            "DELETE FROM assignments a WHERE output_id = ? AND evaluator = ? AND NOT EXISTS "
            "(SELECT 1 FROM grades g WHERE g.output_id = a.output_id AND g.evaluator = ?)",
            [output_id, evaluator, evaluator],
        )
        audit.record(con, actor.name, actor.role, "queue.release", f"live_output:{output_id}",
                     {"evaluator": evaluator})  # fmt: skip

    write_as(store, lead, "edit_pilot", "queue.release", f"live_output:{output_id}", body)
