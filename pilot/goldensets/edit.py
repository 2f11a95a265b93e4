"""A lead edits one case in the app: the result is a new version of the golden set, checked
exactly as an import is (the whole set, every rule across fields) and recorded as one.

No version is ever changed: the edited set is written out as JSONL and goes through
`versions.import_goldenset`, so it is validated, content-hashed, stored in one transaction and
audited (`goldenset.import`, its source named "edit of case … in version …") like any file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pilot.core.access import Who
from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.goldensets.stored import load_cases, version_info
from pilot.goldensets.versions import ImportResult, import_goldenset

EDITABLE = ("question", "expected_answer", "answerable", "evidence", "tags", "consequential")
"""What the app's case editor changes; sources are edited in the file and imported."""


def edit_case(
    store: Store, user: Who, version: str, case_id: str, changes: Mapping[str, Any]
) -> ImportResult:
    """A new version of `version`'s golden set with case `case_id` changed by `changes`.

    Raises `InputError` for an unknown version, case or field, and `GoldenSetInvalid` (naming
    the line, the case's position in the set, and the field) when the edited set breaks a
    rule; nothing is stored then. Editing a case back to what it was returns that version
    with `created=False`."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InputError(f"cannot edit {', '.join(unknown)}: editable are {', '.join(EDITABLE)}")
    with store.read() as con:
        info = version_info(con, version)
        cases = load_cases(con, version) if info else []
    if info is None:
        raise InputError(f"no golden set version {version!r}")
    records = [c.model_dump(mode="json") for c in cases]
    index = next((i for i, r in enumerate(records) if r["id"] == case_id), None)
    if index is None:
        raise InputError(f"version {version[:12]} has no case {case_id!r}")
    edited = dict(records[index]) | dict(changes)
    if not edited.get("answerable", True):
        edited["expected_answer"] = None
        edited["evidence"] = []
    records[index] = edited
    data = ("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n").encode()
    source = f"edit of case {case_id} in version {version[:12]}.jsonl"
    # based_on: refused if someone saved a version meanwhile, so no edit is lost
    return import_goldenset(store, user, data, name=info.name, filename=source, based_on=version)
