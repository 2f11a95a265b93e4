"""`pilot sample draw`: a seeded, stratified sample of one week's live outputs, stored.

Strata are (tag, stage, consequential), the tag being an output's first tag in sorted order.
The sample size is split across strata in proportion to their size, consequential strata
weighted up (`consequential_weight`, default 3×), by largest remainder, capped at each stratum's
size. Within a stratum the items are the ones with the smallest `hash(id, seed)` (DuckDB's
hash, from a key kept at ingest): a top-k over the few rows whose key is under a threshold
(`smallest_keys`), so the draw needs no sort of the week and does not depend on thread
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
    rows = con.execute(
        "SELECT stratum_tag, stage, consequential, outputs, simulated > 0 FROM live_strata "
        "WHERE week = ? AND outputs > 0 ORDER BY 1, 2, 3",
        [window],
    ).fetchall()
    if not rows:
        raise InputError(f"no live outputs in {window}: ingest them first (pilot live ingest)")
    pops = [r[3] for r in rows]
    alloc = allocate(pops, [weight if r[2] else 1.0 for r in rows], size)
    simulated = any(r[4] for r in rows)
    strata = [Stratum(r[0], r[1], r[2], r[3], n) for r, n in zip(rows, alloc, strict=True)]
    ids = smallest_keys(con, window, seed, strata)
    items: list[tuple[str, str]] = []
    for stratum in strata:
        chosen = ids.get((stratum.tag, stratum.stage, stratum.consequential), [])
        items += [(output_id, stratum.key) for output_id in chosen]
    items.sort(key=lambda item: _order_key(seed, item[0], "position"))
    n_double = round(share * len(items))
    doubled = {
        i for i, _ in sorted(items, key=lambda it: _order_key(seed, it[0], "double"))[:n_double]
    }
    con.execute(  # one statement, not a round trip per item
        "INSERT INTO sample_items SELECT ?, unnest(?::VARCHAR[]), unnest(?::INTEGER[]), "
        "unnest(?::VARCHAR[]), unnest(?::INTEGER[]), ?, ?",
        [sid, [oid for oid, _ in items], list(range(len(items))), [s for _, s in items],
         [2 if oid in doubled else 1 for oid, _ in items], window, simulated],
    )  # fmt: skip
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


KEY = "xor(id_key, hash(?::BIGINT))"
"""`hash(id, seed)` from the key kept at ingest (migration m016): the same value, one XOR."""
OVERSHOOT, SLACK = 2.0, 64
"""The threshold keeps about OVERSHOOT × a stratum's allocation + SLACK of its smallest keys."""
WIDE = 0.01
"""Strata needing more than this share of their rows under the threshold are drawn exactly."""
_TOP = 2**64 - 1
Strata = dict[tuple[str, int, bool], list[str]]


def smallest_keys(
    con: duckdb.DuckDBPyConnection,
    window: str,
    seed: int,
    strata: list[Stratum],
) -> Strata:
    """Each stratum's `drawn` ids with the smallest `hash(id, seed)`, in that order.

    Keys are uniform, so a stratum's smallest ones lie under a threshold near
    `2^64 × drawn / population`. One threshold, the widest any large stratum needs, is compared
    with each row's key (a constant compare, no per-row stratum lookup) and only the rows under
    it are grouped: the draw is one filtered scan, not a top-k over the whole week. Every row
    over the threshold has a larger key than every row under it, so a stratum that keeps at
    least `drawn` rows has its exact answer. Small strata, and a large one that kept too few
    (vanishingly rare), are drawn again without a threshold."""
    wanted = {(s.tag, s.stage, s.consequential): s for s in strata if s.drawn}
    if not wanted:
        return {}
    key = KEY
    n = max(s.drawn for s in wanted.values())
    share = {k: (OVERSHOOT * s.drawn + SLACK) / s.population for k, s in wanted.items()}
    large = [f for f in share.values() if f <= WIDE]
    found: Strata = {}
    if large:
        found = _grouped(
            con,
            f"SELECT stratum_tag, stage, consequential, min_by(id, k, ?) FROM ("
            f"SELECT stratum_tag, stage, consequential, id, {key} AS k FROM live_outputs "
            "WHERE week = ?) WHERE k <= ?::UBIGINT GROUP BY ALL",
            [n, seed, window, min(_TOP, int(_TOP * max(large)))],
        )
    short = [k for k, s in wanted.items() if len(found.get(k, [])) < s.drawn]
    if short:
        tags, stages, kinds = ({k[i] for k in short} for i in range(3))
        marks = ", ".join("?" * len(tags))
        exact = _grouped(
            con,
            f"SELECT stratum_tag, stage, consequential, min_by(id, {key}, ?) FROM live_outputs "
            f"WHERE week = ? AND stratum_tag IN ({marks}) AND list_contains(?, stage) "
            "AND list_contains(?, consequential) GROUP BY ALL",
            [seed, n, window, *sorted(tags), sorted(stages), sorted(kinds)],
        )
        found |= {k: exact.get(k, []) for k in short}
    return {k: found.get(k, [])[: s.drawn] for k, s in wanted.items()}


def _grouped(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> Strata:
    return {(r[0], r[1], r[2]): list(r[3]) for r in con.execute(sql, params).fetchall()}


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
