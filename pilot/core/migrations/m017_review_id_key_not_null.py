"""Review: every live output has its sampling key (m016 filled it in for stored rows).

A migration of its own: DuckDB cannot add the constraint in the transaction that updated the
rows ("Cannot create index with outstanding updates").
"""

from __future__ import annotations

NAME = "review: live_outputs.id_key is never null"
STATEMENTS = ["ALTER TABLE live_outputs ALTER COLUMN id_key SET NOT NULL"]
