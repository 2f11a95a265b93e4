"""`pilot sample draw`: a seeded, stratified sample of one week's live outputs, stored.

Strata are (tag, stage, consequential), the tag being an output's first tag in sorted order.
The sample size is split across strata in proportion to their size, consequential strata
weighted up (`consequential_weight`, default 3×), by largest remainder, capped at each stratum's
size. Within a stratum the items are the ones with the smallest `hash(id, seed)`: a top-k
aggregate, so the draw is one pass, needs no sort of the week, and does not depend on thread
scheduling the way `USING SAMPLE REPEATABLE` does. The sample is stored with its seed, window
and strata; the same call returns the stored sample. A share of the items (default 10%) is
marked for two graders, to measure agreement.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store

WINDOW = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")
DEFAULT_DOUBLE_SHARE = 0.10
DEFAULT_CONSEQUENTIAL_WEIGHT = 3.0


@dataclass(frozen=True)
class Stratum:
    tag: str
    stage: int
    consequential: bool
    population: int
    drawn: int

    @property
    def key(self) -> str:
        kind = "consequential" if self.consequential else "routine"
        return f"{self.tag}|stage {self.stage}|{kind}"


def check_window(window: str) -> str:
    if not WINDOW.match(window or ""):
        raise InputError(f"window {window!r}: use an ISO week such as 2026-W40")
    return window


def sample_id(window: str, size: int, seed: int, share: float, weight: float) -> str:
    digest = hashlib.sha256(f"{window}|{size}|{seed}|{share}|{weight}".encode()).hexdigest()
    return f"{window}-{digest[:10]}"


def allocate(populations: list[int], weights: list[float], size: int) -> list[int]:
    """Split `size` across strata by weighted population (largest remainder), capped at each
    stratum's population; what a capped stratum cannot take goes to the others."""
    alloc = [0] * len(populations)
    capped: set[int] = set()
    total = min(size, sum(populations))
    while True:
        open_ = [i for i in range(len(populations)) if i not in capped]
        left = total - sum(alloc[i] for i in capped)
        mass = sum(populations[i] * weights[i] for i in open_)
        quotas = {i: left * populations[i] * weights[i] / mass for i in open_}
        over = [i for i in open_ if quotas[i] >= populations[i]]
        if over:
            for i in over:
                alloc[i] = populations[i]
                capped.add(i)
            continue
        for i in open_:
            alloc[i] = math.floor(quotas[i])
        rest = left - sum(alloc[i] for i in open_)
        order = sorted(open_, key=lambda i: (-(quotas[i] - math.floor(quotas[i])), i))
        for i in order[:rest]:
            alloc[i] += 1
        return alloc


def _order_key(seed: int, output_id: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}|{seed}|{output_id}".encode()).hexdigest()


def draw(
    store: Store,
    user: str | None,
    window: str,
    size: int,
    seed: int,
    *,
    double_share: float = DEFAULT_DOUBLE_SHARE,
    consequential_weight: float = DEFAULT_CONSEQUENTIAL_WEIGHT,
) -> dict[str, Any]:
    """Draw (or return the stored) sample of `size` outputs from ISO week `window`."""
    check_window(window)
    if size < 1:
        raise InputError(f"--size {size}: a sample needs at least one item")
    if not 0.0 <= double_share <= 1.0:
        raise InputError(f"double share {double_share}: use a proportion between 0 and 1")
    if consequential_weight < 1.0:
        raise InputError("consequential weight must be at least 1 (they are oversampled)")
    sid = sample_id(window, size, seed, double_share, consequential_weight)

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> dict[str, Any]:
        if con.execute("SELECT 1 FROM samples WHERE sample_id = ?", [sid]).fetchone():
            return load(con, sid) | {"created": False}
        return _draw(con, actor, sid, window, size, seed, double_share, consequential_weight)

    return write_as(store, user, "edit_pilot", "sample.draw", f"sample:{sid}", body)


def _draw(
    con: duckdb.DuckDBPyConnection,
    actor: Actor,
    sid: str,
    window: str,
    size: int,
    seed: int,
    share: float,
    weight: float,
) -> dict[str, Any]:
    # One pass: each stratum's size and its `size` smallest hash(id, seed) ids (no stratum can
    # be given more than `size`), then the allocation trims each list.
    rows = con.execute(
        "SELECT stratum_tag, stage, consequential, count(*), "
        "min_by(id, hash(id, ?::BIGINT), ?), bool_or(simulated) FROM live_outputs "
        "WHERE week = ? GROUP BY ALL ORDER BY 1, 2, 3",
        [seed, size, window],
    ).fetchall()
    if not rows:
        raise InputError(f"no live outputs in {window}: ingest them first (pilot live ingest)")
    pops = [r[3] for r in rows]
    alloc = allocate(pops, [weight if r[2] else 1.0 for r in rows], size)
    ids = {(r[0], r[1], r[2]): r[4] for r in rows}
    simulated = any(r[5] for r in rows)
    strata = [Stratum(r[0], r[1], r[2], r[3], n) for r, n in zip(rows, alloc, strict=True)]
    items: list[tuple[str, str]] = []
    for stratum in strata:
        chosen = ids[(stratum.tag, stratum.stage, stratum.consequential)][: stratum.drawn]
        items += [(output_id, stratum.key) for output_id in chosen]
    items.sort(key=lambda item: _order_key(seed, item[0], "position"))
    n_double = round(share * len(items))
    doubled = {
        i for i, _ in sorted(items, key=lambda it: _order_key(seed, it[0], "double"))[:n_double]
    }
    con.executemany(
        "INSERT INTO sample_items VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            [sid, oid, pos, stratum, 2 if oid in doubled else 1, window, simulated]
            for pos, (oid, stratum) in enumerate(items)
        ],
    )
    strata_json = json.dumps([asdict(s) | {"key": s.key} for s in strata])
    con.execute(
        "INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [sid, window, size, seed, share, weight, len(items), n_double, strata_json,
         audit.utc_now(), actor.name],
    )  # fmt: skip
    audit.record(
        con,
        actor.name,
        actor.role,
        "sample.draw",
        f"sample:{sid}",
        {"window": window, "size": size, "seed": seed, "n_items": len(items),
         "n_double": n_double, "double_share": share, "consequential_weight": weight},
    )  # fmt: skip
    return load(con, sid) | {"created": True}


def load(con: duckdb.DuckDBPyConnection, sid: str) -> dict[str, Any]:
    row = con.execute(
        "SELECT sample_id, week, size, seed, double_share, consequential_weight, n_items, "
        "n_double, strata, created_at, created_by FROM samples WHERE sample_id = ?",
        [sid],
    ).fetchone()
    if row is None:
        raise InputError(f"no sample {sid!r}")
    keys = ("sample_id", "window", "size", "seed", "double_share", "consequential_weight",
            "n_items", "n_double", "strata", "created_at", "created_by")  # fmt: skip
    data = dict(zip(keys, row, strict=True))
    data["strata"] = json.loads(data["strata"])
    data["items"] = [
        {"output_id": o, "position": p, "stratum": s, "graders": g}
        for o, p, s, g in con.execute(
            "SELECT output_id, position, stratum, graders FROM sample_items "
            "WHERE sample_id = ? ORDER BY position",
            [sid],
        ).fetchall()
    ]
    return data


def list_samples(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute(
        "SELECT sample_id, week, size, seed, n_items, n_double, created_at, created_by "
        "FROM samples ORDER BY week, created_at"
    ).fetchall()
    keys = ("sample_id", "window", "size", "seed", "n_items", "n_double", "created_at",
            "created_by")  # fmt: skip
    return [dict(zip(keys, r, strict=True)) for r in rows]
