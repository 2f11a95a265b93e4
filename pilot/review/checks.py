"""Every problem in a JSON-lines file of live outputs, as (line, field, message), in one query.

Used only when the fast load of a file fails: the file is split into numbered lines by DuckDB
(`read_text` + `string_split`), and each check is a SQL condition over the parsed line.
"""

from __future__ import annotations

import duckdb

_LINES = """
CREATE OR REPLACE TEMP TABLE _ingest_lines AS
SELECT i AS line, l AS raw, CASE WHEN json_valid(l) THEN l::JSON END AS j
FROM (SELECT unnest(s) AS l, generate_subscripts(s, 1) AS i
      FROM (SELECT string_split(content, chr(10)) AS s FROM read_text($path)))
WHERE trim(l) <> ''
"""

_STRING = "json_type(j, '$.{f}') = 'VARCHAR'"
_CHECKS: list[tuple[str, str, str]] = [
    ("NOT json_valid(raw)", "NULL", "'not valid JSON'"),
    ("j IS NOT NULL AND json_type(j) <> 'OBJECT'", "NULL", "'expected a JSON object'"),
    (
        "json_type(j) = 'OBJECT' AND (json_type(j, '$.id') IS NULL OR json_type(j, '$.id') = 'NULL' OR json_extract_string(j, '$.id') = '')",
        "'id'",
        "'missing: every output needs an id'",
    ),
    (
        "json_type(j) = 'OBJECT' AND json_type(j, '$.id') NOT IN ('VARCHAR', 'NULL', 'UBIGINT', 'BIGINT')",
        "'id'",
        "'expected a string'",
    ),
    (
        "json_type(j) = 'OBJECT' AND TRY_CAST(json_extract_string(j, '$.timestamp') AS TIMESTAMPTZ) IS NULL",
        "'timestamp'",
        "CASE WHEN json_extract_string(j, '$.timestamp') IS NULL THEN 'missing' ELSE 'not an ISO 8601 time: ' || left(json_extract_string(j, '$.timestamp'), 40) END",
    ),
    (
        f"json_type(j) = 'OBJECT' AND NOT coalesce({_STRING.format(f='input')}, false)",
        "'input'",
        "CASE WHEN coalesce(json_type(j, '$.input'), 'NULL') = 'NULL' THEN 'missing' ELSE 'expected a string' END",
    ),
    (
        f"json_type(j) = 'OBJECT' AND NOT coalesce({_STRING.format(f='output')}, false)",
        "'output'",
        "CASE WHEN coalesce(json_type(j, '$.output'), 'NULL') = 'NULL' THEN 'missing' ELSE 'expected a string' END",
    ),
    (
        "json_type(j) = 'OBJECT' AND json_type(j, '$.consequential') NOT IN ('BOOLEAN', 'NULL')",
        "'consequential'",
        "'expected true or false, got ' || left(json_extract(j, '$.consequential')::VARCHAR, 40)",
    ),
    (
        "json_type(j) = 'OBJECT' AND json_type(j, '$.simulated') NOT IN ('BOOLEAN', 'NULL')",
        "'simulated'",
        "'expected true or false'",
    ),
    (
        "json_type(j) = 'OBJECT' AND json_type(j, '$.stage') IS NOT NULL AND json_type(j, '$.stage') <> 'NULL' "
        "AND NOT coalesce(TRY_CAST(json_extract_string(j, '$.stage') AS INTEGER) BETWEEN 0 AND 3 "
        "AND json_type(j, '$.stage') IN ('UBIGINT', 'BIGINT'), false)",
        "'stage'",
        "'expected an autonomy stage 0, 1, 2 or 3, got ' || left(json_extract(j, '$.stage')::VARCHAR, 40)",
    ),
    (
        "json_type(j) = 'OBJECT' AND json_type(j, '$.tags') NOT IN ('ARRAY', 'NULL')",
        "'tags'",
        "'expected a list of strings'",
    ),
    (
        "json_type(j, '$.tags') = 'ARRAY' AND "
        "len(list_filter(json_extract(j, '$.tags[*]'), lambda x: json_type(x) <> 'VARCHAR')) > 0",
        "'tags'",
        "'expected a list of strings'",
    ),
    (
        "json_type(j) = 'OBJECT' AND json_type(j, '$.citations') NOT IN ('ARRAY', 'NULL')",
        "'citations'",
        "'expected a list of {source_id, cited_text}'",
    ),
    (
        "json_type(j) = 'OBJECT' AND json_type(j, '$.sources') NOT IN ('ARRAY', 'NULL')",
        "'sources'",
        "'expected a list of {id, title, text}'",
    ),
    (
        "json_type(j) = 'OBJECT' AND json_type(j, '$.system_config') NOT IN ('OBJECT', 'NULL')",
        "'system_config'",
        "'expected an object'",
    ),
    (
        "json_type(j) = 'OBJECT' AND json_type(j, '$.approval') NOT IN ('OBJECT', 'NULL')",
        "'approval'",
        "'expected an object {decision, approver, edited_text, decided_at}'",
    ),
    (
        "json_type(j, '$.approval') = 'OBJECT' AND "
        "coalesce(json_extract_string(j, '$.approval.decision'), '') NOT IN ('approved', 'edited', 'rejected')",
        "'approval.decision'",
        "'expected approved, edited or rejected'",
    ),
    (
        "json_type(j, '$.approval') = 'OBJECT' AND coalesce(json_extract_string(j, '$.approval.approver'), '') = ''",
        "'approval.approver'",
        "'missing: an approval names who decided'",
    ),
    (
        "json_type(j, '$.approval') = 'OBJECT' AND json_extract_string(j, '$.approval.decision') = 'edited' "
        "AND coalesce(json_extract_string(j, '$.approval.edited_text'), '') = ''",
        "'approval.edited_text'",
        "'missing: an edited approval carries the edited text'",
    ),
]

_DUPLICATES = """
SELECT line, 'id', 'duplicate id ' || left(id, 40) || ' (first on line ' || first || ')'
FROM (SELECT line, json_extract_string(j, '$.id') AS id, min(line) OVER (PARTITION BY json_extract_string(j, '$.id')) AS first
      FROM _ingest_lines WHERE json_type(j) = 'OBJECT' AND json_extract_string(j, '$.id') IS NOT NULL)
WHERE line > first
"""


def problems(con: duckdb.DuckDBPyConnection, path: str) -> list[tuple[int, str | None, str]]:
    """(line, field, message) for every problem in the file, sorted by line."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute(_LINES, {"path": path})
    parts = [
        f"SELECT line, {name}, {message} FROM _ingest_lines WHERE coalesce({cond}, false)"
        for cond, name, message in _CHECKS
    ]
    parts.append(_DUPLICATES)
    rows = con.execute(" UNION ALL ".join(parts) + " ORDER BY 1, 2").fetchall()
    con.execute("DROP TABLE _ingest_lines")
    return [(int(line), name, message) for line, name, message in rows]
