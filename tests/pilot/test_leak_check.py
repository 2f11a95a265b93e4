"""The data boundary's leak check, recorded (issue 12, scorecard item "data boundary").

The probes are the seeded PII corpus (tests/pii_corpus.py: checksums computed independently of
the detectors). Expected leak counts are worked out by hand from what each boundary lets out.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from helpers import run_cli, seeded_store, write_cases
from pii_corpus import names, pii

from pilot.core import audit
from pilot.core.store import Store
from pilot.define.leak_check import (
    POSITIONS,
    Probe,
    check_boundary,
    latest_leak_check,
    leak_check_status,
    read_probes,
)
from pilot.define.redaction import DEFAULT_RULES
from pilot.define.workflow import (
    DEMO_BOUNDARY,
    DataBoundary,
    ProviderStatement,
    Workflow,
    save_workflow,
)
from pilot.goldensets.versions import import_goldenset
from pilot.readiness.scorecard import data_boundary

RNG_SEED = 20261129
ROSTER = names(random.Random(RNG_SEED))
WORKFLOW = Workflow(name="Leave questions", process_owner="Omar", accountable_lead="Priya")
STATEMENT = ProviderStatement(statement="No training on inputs", confirmed_by="Sam (security)")


def corpus(n: int = 120) -> list[tuple[str, str]]:
    rng = random.Random(RNG_SEED)
    return [pii(rng, ROSTER) for _ in range(n)]


def guarded(**changes: object) -> DataBoundary:
    """A boundary that lets question, sources and tags out and redacts the corpus's formats."""
    base = {
        "allowed_fields": ("question", "sources", "tags"),
        "restricted_fields": ("salary", "health", "names"),
        "restricted_terms": {"names": tuple(ROSTER)},
        "provider_statement": STATEMENT,
    }
    return DataBoundary(**(base | changes))


def probes() -> list[Probe]:
    return [Probe(value, kind, i + 1) for i, (kind, value) in enumerate(corpus())]


def test_the_guarded_boundary_lets_nothing_out() -> None:
    items, scanned, leaks = check_boundary(guarded(), probes())
    assert (items, scanned, leaks) == (len(probes()) * len(POSITIONS), 0, [])


def test_a_boundary_that_redacts_nothing_leaks_every_probe_where_it_travels() -> None:
    # nothing redacted, tags not allowlisted: question, source title, text and id travel
    # (source id: the readable collection's wildcard carries the value), tags do not.
    open_boundary = DataBoundary(redaction_rules=(), phone_regions=())
    items, _, leaks = check_boundary(open_boundary, probes())
    assert items == len(probes()) * 5
    assert len(leaks) == len(probes()) * 4
    assert Counter(leak["position"] for leak in leaks) == {
        p: len(probes()) for p in ("question", "source title", "source text", "source id")
    }
    # never the value: only kind, position, line
    assert all(set(leak) == {"kind", "position", "line"} for leak in leaks)


def nhs_valid(value: str) -> bool:
    """The NHS number's mod-11 check, computed here, independently of python-stdnum."""
    if not re.fullmatch(r"\d{3}[ -]\d{3}[ -]\d{4}", value):  # the NHS layout: 3-3-4
        return False
    digits = [int(c) for c in value if c.isdigit()]
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    return check != 10 and (0 if check == 11 else check) == digits[9]


def test_a_boundary_without_the_phone_detector_leaks_exactly_the_phones() -> None:
    rules = tuple(r for r in DEFAULT_RULES if r.detector != "phone")
    _, _, leaks = check_boundary(guarded(redaction_rules=rules), probes())
    phones = [v for kind, v in corpus() if kind.startswith("phone")]
    # a US number laid out 3-3-4 that happens to pass the NHS mod-11 check is still caught (as an
    # NHS number); every other phone leaks from four positions: an id with 7 or more digits is
    # sent as "source-N" whatever the rules
    escaping = [v for v in phones if not nhs_valid(v)]
    assert len(phones) >= 10 and len(escaping) < len(phones)
    assert all(sum(c.isdigit() for c in v) >= 7 for v in phones)
    assert {leak["kind"] for leak in leaks} == {k for k, _ in corpus() if k.startswith("phone")}
    assert len(leaks) == len(escaping) * (len(POSITIONS) - 1)
    assert "source id" not in {leak["position"] for leak in leaks}


def test_a_readable_collection_carries_the_probe_in_its_source_id() -> None:
    # DEMO_BOUNDARY reads "annual-leave-*" etc.: an unredacted value in an id still leaves.
    open_demo = DEMO_BOUNDARY.model_copy(update={"redaction_rules": (), "restricted_fields": ()})
    _, _, leaks = check_boundary(open_demo, [Probe("jo.bloggs@example.com", "email", 1)])
    assert {leak["position"] for leak in leaks} == {
        "question", "source title", "source text", "source id"
    }  # fmt: skip
    _, _, none = check_boundary(DEMO_BOUNDARY, [Probe("jo.bloggs@example.com", "email", 1)])
    assert none == []


def _probe_file(tmp_path: Path, values: list[tuple[str, str]]) -> Path:
    path = tmp_path / "probes.jsonl"
    path.write_text(
        "# personal data that must never leave\n"
        + "".join(json.dumps({"value": v, "kind": k}) + "\n" for k, v in values)
    )
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = seeded_store(tmp_path / "p.duckdb")
    save_workflow(store, "priya", WORKFLOW, guarded())
    return store


def _cli(capsys: pytest.CaptureFixture[str], store: Store, user: str, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(capsys, "--db", str(store.path), "--user", user, "boundary", *args)


def _db_text(store: Store) -> str:
    with store.read() as con:
        rows = con.execute("SELECT * FROM boundary_checks").fetchall()
        events = con.execute("SELECT payload FROM audit_events").fetchall()
    return json.dumps([rows, events], default=str)


def test_a_recorded_check_flips_the_scorecard_and_stores_no_value(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with store.read() as con:
        before = data_boundary(con)
    assert before.status == "not met" and "no leak check recorded" in before.missing

    values = corpus()
    probe_file = _probe_file(tmp_path, values)
    code, out, err = _cli(capsys, store, "sam", "check", "--probes", str(probe_file), "--json")
    assert code == 0, err
    data = json.loads(out)
    n = len(values) + len(ROSTER)  # the boundary's restricted names are probed too
    assert data["clean"] and data["probes"] == n and data["items_tested"] == n * len(POSITIONS)
    assert data["checked_by"] == "sam" and data["workflow_version"] == 1
    with store.read() as con:
        item = data_boundary(con)
        event = audit.events(con, action="boundary.leak_check", limit=1)[0]
        check, current = leak_check_status(con)
    assert item.status == "met", item
    assert f"{n * len(POSITIONS)} items tested, 0 leaks" in item.evidence
    assert event.actor == "sam" and event.payload["clean"] and event.payload["leaks_found"] == 0
    assert check is not None and current and check.boundary_hash == event.payload["boundary_hash"]
    text = _db_text(store)
    assert not [v for _, v in values if v in text]

    # the boundary changes: the old check no longer speaks for it
    save_workflow(store, "priya", WORKFLOW, guarded(phone_regions=("GB",)))
    with store.read() as con:
        stale = data_boundary(con)
    assert stale.status == "not met" and "changed after the last leak check" in stale.missing

    # checked again: US phones now leak (GB-only regions), exit 1, recorded as a failure
    code, out, _ = _cli(capsys, store, "priya", "check", "--probes", str(probe_file), "--json")
    assert code == 1
    leaky = json.loads(out)
    us = sum(1 for k, _ in values if k == "phone (US)")
    assert not leaky["clean"] and leaky["leaks_found"] >= us > 0
    with store.read() as con:
        failed = data_boundary(con)
    assert failed.status == "not met" and f"found {leaky['leaks_found']:,} leak" in failed.missing
    assert not [v for _, v in values if v in _db_text(store)]
    code, out, _ = _cli(capsys, store, "dana", "last", "--json")
    assert code == 0 and json.loads(out)["check"]["id"] == leaky["id"]


def test_only_a_lead_or_the_security_owner_records_a_check(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    probe_file = _probe_file(tmp_path, corpus(5))
    for user in ("marco", "dana", "ada"):
        code, _, err = _cli(capsys, store, user, "check", "--probes", str(probe_file))
        assert code == 4, (user, err)
    with store.read() as con:
        assert latest_leak_check(con) is None


def test_a_bad_probe_file_names_file_and_line_and_records_nothing(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('07700 900123\n{"value": "", "kind": "email"}\n')
    code, _, err = _cli(capsys, store, "priya", "check", "--probes", str(bad))
    assert code == 2 and f"{bad}:2: value:" in err
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"value": "x@example.com"\n')
    code, _, err = _cli(capsys, store, "priya", "check", "--probes", str(broken))
    assert code == 2 and f"{broken}:1: not valid JSON" in err
    with pytest.raises(Exception, match="no probes"):
        read_probes(_probe_file(tmp_path, []))
    with store.read() as con:
        assert latest_leak_check(con) is None


def test_a_golden_set_is_scanned_through_the_boundary(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # write_cases puts an e-mail and a phone in its sources; a probe for a name the boundary
    # does not know leaks from the case whose question carries it, and nowhere else.
    cases_file = write_cases(tmp_path / "c.jsonl", 4)
    rows = [json.loads(line) for line in cases_file.read_text().splitlines()]
    rows[2]["question"] = "Does Marta Quintanilla get extra leave?"
    cases_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    import_goldenset(store, "priya", cases_file, name="leave")
    probe_file = _probe_file(tmp_path, [("name", "Marta Quintanilla"), *corpus(3)])
    code, out, err = _cli(capsys, store, "priya", "check", "--probes", str(probe_file),
                          "--goldenset", "leave", "--json")  # fmt: skip
    assert code == 1, err
    data = json.loads(out)
    assert data["cases_scanned"] == 4
    in_cases = [leak for leak in data["leaks"] if leak["position"].startswith("golden case")]
    assert in_cases == [{"kind": "name", "position": f"golden case {rows[2]['id']}", "line": 2}]


def test_the_workflow_page_shows_the_last_check_and_offers_it_by_role(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from pilot.define.leak_check import record_leak_check

    page = str(Path(__file__).resolve().parents[2] / "app" / "views" / "workflow.py")
    monkeypatch.setenv("PILOT_DB", str(store.path))

    def open_as(user: str, role: str) -> AppTest:
        at = AppTest.from_file(page, default_timeout=60)
        at.session_state["auth_user"] = user
        at.session_state["auth_role"] = role
        at.run()
        assert not at.exception, at.exception
        return at

    viewer = open_as("dana", "viewer")
    assert any("No leak check recorded" in w.value for w in viewer.warning)
    assert not [s for s in viewer.selectbox if s.key == "wf_scan"]  # viewers do not check
    assert [s for s in open_as("sam", "auditor").selectbox if s.key == "wf_scan"]
    record_leak_check(store, "sam", probes(), "0" * 64, source="corpus.jsonl")
    shown = [s.value for s in open_as("dana", "viewer").success]
    assert any(f"{(len(probes()) + len(ROSTER)) * 5} items tested, 0 leaks" in s
               for s in shown)  # fmt: skip
    save_workflow(store, "priya", WORKFLOW, guarded(phone_regions=("GB",)))
    stale = [e.value for e in open_as("dana", "viewer").error]
    assert any("the boundary has changed since: check it again" in e for e in stale)


@pytest.mark.parametrize(
    ("source_id", "sent"),
    [
        ("annual-leave-07700 900456", "source-1"),  # a phone glued to the collection's prefix
        ("hr-case-AB123456C", "source-1"),  # a UK NI number glued by a hyphen
        ("case-123-45-6789-v2", "source-1"),  # an SSN inside an id: 9 digits
        ("PN-2024-118734", "source-1"),  # a policy number: 10 digits, sent as source-1 anyway
        ("annual-leave-2025", "annual-leave-2025"),  # an ordinary id travels as itself
    ],
)
def test_ids_built_from_parts_do_not_carry_personal_data(source_id: str, sent: str) -> None:
    """What the leak check found: redaction leaves a number glued to other characters alone
    in free text, so an id such as `annual-leave-07700 900456` left whole. The edge now sends
    such an id as `source-N` and maps citations back to the original id."""
    from pilot.core.models import GoldenCase, Source
    from pilot.define.redaction import bound_case

    case = GoldenCase(id="c", question="How many days?",
                      sources=(Source(id=source_id, title="Policy", text="25 days."),))  # fmt: skip
    bounded = bound_case(case, DataBoundary())
    assert [s.id for s in bounded.request.sources] == [sent]
    assert bounded.original_id(sent) == source_id
    _, _, leaks = check_boundary(DEMO_BOUNDARY, [Probe("07700 900456", "phone", 1),
                                                 Probe("AB123456C", "UK NINO", 2)])  # fmt: skip
    assert leaks == []
