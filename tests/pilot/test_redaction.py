"""Redaction: each default pattern, things it must leave alone, Luhn, and the offset map."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilot.core.models import Citation, GoldenCase, Source, SystemConfig
from pilot.core.store import Store
from pilot.define.detectors import DETECTORS, MIN_DIGITS, may_hold
from pilot.define.redaction import (
    DEFAULT_RULES,
    RedactionRule,
    apply_boundary,
    bound_case,
    luhn_ok,
    redact,
)
from pilot.define.workflow import DataBoundary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail priya.shah@northwind.example today", "mail [EMAIL] today"),
        ("J.Murphy+hr@mail.co.uk.", "[EMAIL]."),
        ("ring 07700 900456", "ring [PHONE]"),
        ("ring 07700900456", "ring [PHONE]"),
        ("office 020 7946 0958", "office [PHONE]"),
        ("office 0161 496 0000", "office [PHONE]"),
        ("office 01632 96000", "office [PHONE]"),
        ("+44 7700 900456 or +44 (0)20 7946 0958", "[PHONE] or [PHONE]"),
        ("US +1 415-555-0132, FR +33 1 23 45 67 89", "US [PHONE], FR [PHONE]"),
        ("card 4111 1111 1111 1111 ok", "card [CARD] ok"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        ("amex 378282246310005", "amex [CARD]"),
        ("13 digits 4222222222222", "13 digits [CARD]"),
        ("19 digits 6011 0009 9013 9424 009", "19 digits [CARD]"),
        ("NI QQ 12 34 56 C", "NI [NI NUMBER]"),
        ("ni ab123456c.", "ni [NI NUMBER]."),
        ("SSN 123-45-6789", "SSN [SSN]"),
        # each national id on its own checksum: a DNI, and a NIE (which no DNI check accepts)
        ("DNI 12345678Z", "DNI [ID NUMBER]"),
        ("NIE X1234567L", "NIE [ID NUMBER]"),
        ("NIE Y-1234567-X ok", "NIE [ID NUMBER] ok"),
        ("NHS 943 476 5919", "NHS [NHS NUMBER]"),
        ("NIR 1 84 12 76 451 089 46", "NIR [ID NUMBER]"),
        ("IBAN GB82 WEST 1234 5698 7654 32 today", "IBAN [IBAN] today"),
        # a dot after a space is punctuation, not part of the number (a glued "v.4111..." is)
        ("card .4111 1111 1111 1111", "card .[CARD]"),
        (" .4111 1111 1111 1111", " .[CARD]"),  # the dot's space at the very start
        ("call 020 7946 0958. Thanks", "call [PHONE]. Thanks"),  # the sentence ends
        ("office (020) 7946 0958", "office [PHONE]"),  # the bracket is part of the number
        # an IBAN whose last group is letters: the longest prefix that validates is all of it
        ("pay SC18 SSCB 1101 0000 0000 0000 1497 USD now", "pay [IBAN] now"),
    ],
)
def test_default_rules_redact(text: str, expected: str) -> None:
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "Effective date: 1 January 2023, review 2025-01-15 or 01/02/2023.",
        "Order EXP-2291, ORD-000123, order number 48213377, ref 0012345678.",
        "Claim up to £1,200 a year; 23 days plus 8 bank holidays; HR-07 v3.1.",
        "card 4111 1111 1111 1112 fails the Luhn check",
        "NIE X1234567A and DNI 12345678A have the wrong check letter",
        # a number glued to a letter before or after it is part of a longer token
        "N4111111111111111",
        "ref N4111111111111111 and 4111111111111111X",
        "SSN-like 000-12-3456 and 666-12-3456 are never issued",
        "version 1.2.3.4, pension 6% and 8%",
        "see v.4111111111111111",
        "amount 4111111111111111.50",  # a dot followed by digits glues them
        "ref GB00 WEST 1234 5678 ok",  # the shape of an IBAN, failing its checksum
    ],
)
def test_default_rules_leave_ordinary_numbers_alone(text: str) -> None:
    result = redact(text)
    assert result.text == text and not result.spans


# For each detector whose bound is reachable, a valid number with exactly MIN_DIGITS digits.
FEWEST_DIGITS = [
    ("fr_nir", "NIR 1 85 05 2A 123 456 33 on file"),  # Corsica: "2A" holds one digit
    ("payment_card", "card 4222222222222 on file"),
    ("uk_nino", "NI QQ 12 34 56 C on file"),
    ("es_dni_nie", "NIE X1234567L on file"),
    ("us_ssn", "SSN 536-22-1234 on file"),
    ("uk_nhs", "NHS 943 476 5919 on file"),
]


@pytest.mark.parametrize(("detector", "text"), FEWEST_DIGITS)
def test_a_number_with_the_fewest_digits_its_detector_allows_is_still_redacted(
    detector: str, text: str
) -> None:
    assert sum(map(str.isdigit, text)) == MIN_DIGITS[detector]  # the bound is tight
    rule = next(r for r in DEFAULT_RULES if r.detector == detector)
    assert redact(text, [rule]).spans, f"{detector}: skipped by its digit bound"
    assert not may_hold(detector, text, MIN_DIGITS[detector] - 1)


def test_an_email_address_is_searched_only_where_there_is_an_at_sign() -> None:
    assert may_hold("email", "write to a@b.io", 0)
    assert not may_hold("email", "write to a at b dot io", 10**6)
    assert [s.rule for s in redact("write to a@b.io").spans] == ["email"]


@given(st.text(alphabet="0123456789 -./()+@ABCDEGQXZaefiox", max_size=40))
def test_no_detector_finds_a_match_in_a_text_its_bound_skips(text: str) -> None:
    digits = sum(map(str.isdigit, text))
    for name, (find, _) in DETECTORS.items():
        if find(text, ("GB", "US")):
            assert may_hold(name, text, digits), (name, text)


def test_luhn() -> None:
    assert luhn_ok("4111 1111 1111 1111")
    assert luhn_ok("5555-5555-5555-4444")
    assert not luhn_ok("4111 1111 1111 1112")
    assert not luhn_ok("")


def test_offsets_map_back_to_the_original() -> None:
    text = "Hi, Sam (07700 900123, sam@example.com): is dental cover included?"
    result = redact(text)
    assert result.text == "Hi, Sam ([PHONE], [EMAIL]): is dental cover included?"
    # text outside any redaction maps to the same characters
    start = result.text.index("is dental")
    end = start + len("is dental cover")
    o_start, o_end = result.span_to_original(start, end)
    assert text[o_start:o_end] == "is dental cover"
    # a replacement maps to the whole text it hid
    start = result.text.index("[EMAIL]")
    o_start, o_end = result.span_to_original(start, start + len("[EMAIL]"))
    assert text[o_start:o_end] == "sam@example.com"
    # an end inside a replacement widens to cover it; a start inside one moves to its start
    assert result.span_to_original(start + 2, start + 3) == (o_start, o_end)
    assert result.to_original(0) == 0 and result.to_original(len(result.text)) == len(text)


@given(st.lists(st.sampled_from(["word ", "a@b.co ", "07700 900123 ", "£12 ", "QQ123456C "])))
def test_every_unredacted_character_round_trips(parts: list[str]) -> None:
    text = "".join(parts)
    result = redact(text)
    inside = {i for s in result.spans for i in range(s.start, s.end)}
    for offset, char in enumerate(result.text):
        if offset not in inside:
            assert text[result.to_original(offset)] == char


def test_custom_rules_apply_in_order_and_earlier_rules_win() -> None:
    rules = [
        RedactionRule(name="staff id", pattern=r"NW-\d{5}", replacement="[STAFF ID]"),
        RedactionRule(name="digits", pattern=r"\d+", replacement="#"),
    ]
    assert redact("id NW-12345 and 42", rules).text == "id [STAFF ID] and #"


def test_matches_that_touch_are_both_redacted_and_spans_name_their_rule() -> None:
    rules = [
        RedactionRule(name="code", pattern=r"AA", replacement="[A]"),
        RedactionRule(name="edge", pattern=r"xx|yy", replacement="[X]"),
    ]
    result = redact("xxAAyy", rules)  # "xx" ends where "AA" starts; "yy" starts where it ends
    assert result.text == "[X][A][X]"
    assert [(s.start, s.end, s.orig_start, s.orig_end, s.rule) for s in result.spans] == [
        (0, 3, 0, 2, "edge"),
        (3, 6, 2, 4, "code"),
        (6, 9, 4, 6, "edge"),
    ]


def test_a_number_failing_its_check_does_not_stop_the_rule() -> None:
    result = redact("order 4111 1111 1111 1112, card 4111 1111 1111 1111")
    assert result.text == "order 4111 1111 1111 1112, card [CARD]"
    assert [s.rule for s in result.spans] == ["payment card"]


def test_a_pattern_rules_luhn_check_keeps_only_the_numbers_that_pass() -> None:
    rules = (RedactionRule(name="account", pattern=r"\d{16}", check="luhn"),)
    result = redact("4111111111111112 and 4111111111111111", rules)
    assert result.text == "4111111111111112 and [REDACTED]"


def test_a_citation_ending_just_before_a_replacement_keeps_its_end() -> None:
    text = "x a@bb.com y c@dd.com"
    result = redact(text)
    assert result.text == "x [EMAIL] y [EMAIL]"
    second = result.text.rindex("[EMAIL]")
    # "y " ends where the second replacement starts: it must not swallow the address
    assert result.span_to_original(second - 2, second) == (text.index("y "), text.index("c@"))
    assert result.span_to_original(2, 9) == (2, 10)  # the first replacement: the whole address


def test_the_bounded_case_keeps_the_question_map() -> None:
    bounded = bound_case(CASE, DataBoundary())
    assert bounded.question.text == bounded.request.question
    phone = bounded.question.text.index("[PHONE]")
    start, end = bounded.question.span_to_original(phone, phone + len("[PHONE]"))
    assert CASE.question[start:end] == "07700 900456"


def test_a_citation_of_a_source_that_was_not_sent_is_left_as_it_came() -> None:
    bounded = bound_case(CASE, DataBoundary(readable_sources=("family-leave-*",)))
    for source_id in ("payroll-2025", "no-such-source"):  # held back, and unknown
        cited = Citation(source_id=source_id, cited_text="Salary", start=0, end=6)
        assert bounded.citation_to_original(cited, CASE) == cited


def test_an_invalid_pattern_is_refused_with_its_reason() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        RedactionRule(name="broken", pattern="(unclosed")


CASE = GoldenCase(
    id="c-1",
    question="I'm Tom (07700 900456). How long is neonatal leave?",
    sources=(
        Source(
            id="family-leave-2025",
            title="Family leave",
            text="Contact hr@northwind.example. Neonatal care leave is up to 12 weeks.",
        ),
        Source(id="payroll-2025", title="Payroll", text="Salary bands by grade."),
    ),
    expected_answer="12 weeks",
    evidence=("Neonatal care leave is up to 12 weeks.",),
    tags=("parental",),
)


def test_apply_boundary_sends_only_allowlisted_redacted_readable_content() -> None:
    boundary = DataBoundary(
        readable_sources=("policies",),
        collections={"policies": ("family-leave-*",)},
        allowed_fields=("question", "sources", "tags"),
        restricted_fields=("salary",),
    )
    request = apply_boundary(CASE, boundary)
    assert request.case_id == "c-1"
    assert request.question == "I'm Tom ([PHONE]). How long is neonatal leave?"
    assert [s.id for s in request.sources] == ["family-leave-2025"]
    assert request.sources[0].text.startswith("Contact [EMAIL].")
    assert request.fields == {"tags": ("parental",)}
    assert "12 weeks" not in str(request.fields)  # the expected answer never leaves


def test_no_readable_list_means_every_source_and_default_fields_only() -> None:
    request = apply_boundary(CASE, DataBoundary())
    assert [s.id for s in request.sources] == ["family-leave-2025", "payroll-2025"]
    assert request.fields == {}


def test_question_only_boundary_sends_no_sources() -> None:
    request = apply_boundary(CASE, DataBoundary(allowed_fields=("question",)))
    assert request.sources == ()


def test_citations_into_redacted_sources_map_back_to_the_original_text() -> None:
    bounded = bound_case(CASE, DataBoundary())
    sent = bounded.request.sources[0].text
    cited = "Neonatal care leave is up to 12 weeks."
    start = sent.index(cited)
    back = bounded.citation_to_original(
        Citation(
            source_id="family-leave-2025", cited_text=cited, start=start, end=start + len(cited)
        ),
        CASE,
    )
    original = CASE.sources[0].text
    assert original[back.start : back.end] == back.cited_text == cited
    email = sent.index("[EMAIL]")
    back = bounded.citation_to_original(
        Citation(source_id="family-leave-2025", cited_text="[EMAIL]", start=email, end=email + 7),
        CASE,
    )
    assert back.cited_text == "hr@northwind.example" == original[back.start : back.end]


def test_personal_data_in_a_source_title_is_redacted_before_it_leaves() -> None:
    case = GoldenCase(
        id="c-2",
        question="Who approves leave?",
        sources=(
            Source(
                id="memo",
                title="Memo from jo.bloggs@example.com (07700 900456)",
                text="Managers approve leave.",
            ),
        ),
    )
    request = apply_boundary(case, DataBoundary())
    assert request.sources[0].title == "Memo from [EMAIL] ([PHONE])"
    assert "jo.bloggs" not in request.model_dump_json()
    assert "900456" not in request.model_dump_json()


def test_the_edge_never_launders_a_citation_that_misquotes_what_it_was_sent() -> None:
    """A system cites offsets of the redacted text it was sent. A citation whose claimed text
    is not what those offsets hold keeps its claimed text when mapped back, so it stays invalid
    against the original; a faithful one is re-read from the original and stays valid."""
    from pilot.core.models import SystemOutput
    from pilot.runs.edge import Edge

    request, _, remap = Edge().prepare(CASE, SystemConfig())
    sent = request.sources[0].text
    original = CASE.sources[0].text
    quoted = "Neonatal care leave is up to 12 weeks."
    at = sent.index(quoted)
    faithful = Citation(
        source_id="family-leave-2025", cited_text=quoted, start=at, end=at + len(quoted)
    )
    made_up = Citation(
        source_id="family-leave-2025",
        cited_text="Neonatal care leave is up to 52 weeks.",  # what the source does not say
        start=at,
        end=at + len(quoted),
    )
    email = sent.index("[EMAIL]")
    hidden = Citation(
        source_id="family-leave-2025", cited_text="[EMAIL]", start=email, end=email + 7
    )
    out = remap(SystemOutput(answer="52 weeks", citations=(faithful, made_up, hidden)))
    kept, claimed, unhidden = out.citations
    assert original[kept.start : kept.end] == kept.cited_text == quoted
    assert claimed.cited_text == "Neonatal care leave is up to 52 weeks."
    assert original[claimed.start : claimed.end] == quoted != claimed.cited_text  # invalid
    assert unhidden.cited_text == "hr@northwind.example" == original[unhidden.start : unhidden.end]


def test_the_boundarys_own_rules_apply_to_question_sources_and_titles() -> None:
    tom = RedactionRule(name="staff name", pattern=r"\bTom\b", replacement="[NAME]")
    case = CASE.model_copy(
        update={
            "sources": (
                Source(id="payroll-2025", title="Tom's payslip", text="Tom earns 30k."),
                Source(id="family-leave-2025", title="Leave for Tom", text="Ask Tom first."),
            )
        }
    )
    boundary = DataBoundary(readable_sources=("family-leave-*",), redaction_rules=(tom,))
    request = apply_boundary(case, boundary)
    # an unreadable first source is skipped, not the end of the list
    assert [(s.id, s.title, s.text) for s in request.sources] == [
        ("family-leave-2025", "Leave for [NAME]", "Ask [NAME] first.")
    ]
    # only the boundary's rules: the phone number is left for the default rules to catch
    assert request.question == "I'm [NAME] (07700 900456). How long is neonatal leave?"


def test_the_case_id_travels_as_the_key_never_as_a_field() -> None:
    boundary = DataBoundary(allowed_fields=("question", "id", "tags"))
    request = apply_boundary(CASE, boundary)
    assert request.case_id == "c-1" and request.fields == {"tags": ("parental",)}


def test_the_cache_key_payload_is_exactly_what_is_sent() -> None:
    from pilot.runs.edge import Edge
    from pilot.runs.systems.anthropic import request_payload

    claude = SystemConfig(kind="anthropic", model="claude-sonnet-4-6")
    request, payload, _ = Edge().prepare(CASE, claude)
    assert payload == request_payload(claude, request) and payload["model"] == "claude-sonnet-4-6"
    request, payload, _ = Edge().prepare(CASE, SystemConfig())
    assert payload == {
        "case_id": "c-1",
        "question": "I'm Tom ([PHONE]). How long is neonatal leave?",
        "sources": [
            {
                "id": "family-leave-2025",
                "title": "Family leave",
                "text": "Contact [EMAIL]. Neonatal care leave is up to 12 weeks.",
            },
            {"id": "payroll-2025", "title": "Payroll", "text": "Salary bands by grade."},
        ],
        "fields": {},
    }


def test_the_edge_applies_the_current_recorded_boundary(users_store: Store) -> None:
    from pilot.define.workflow import Workflow, save_workflow
    from pilot.runs.edge import load_edge

    with users_store.read() as con:
        assert load_edge(con).boundary == DataBoundary()  # nothing recorded: the default
    boundary = DataBoundary(readable_sources=("payroll-*",), restricted_fields=("salary",))
    workflow = Workflow(name="Leave", process_owner="Omar", accountable_lead="Priya")
    save_workflow(users_store, "priya", workflow, boundary)
    with users_store.read() as con:
        edge = load_edge(con)
    assert edge.boundary == boundary
    assert [s.id for s in edge.prepare(CASE, SystemConfig())[0].sources] == ["payroll-2025"]


def test_default_rules_are_named() -> None:
    assert [r.name for r in DEFAULT_RULES] == [
        "email",
        "IBAN",
        "payment card",
        "US social security number",
        "UK National Insurance number",
        "UK NHS number",
        "Spanish DNI or NIE",
        "French NIR",
        "phone number",
    ]


def test_every_string_inside_a_nested_value_is_redacted() -> None:
    """No golden-case field holds a mapping today; a field that did would still leave with every
    string in it redacted, at any depth, keys and other values untouched."""
    from pilot.define.redaction import _redact_value

    value = {"owner": "priya.shah@northwind.example", "calls": ("ring 07700 900456", 3, None)}
    assert _redact_value(value, DEFAULT_RULES) == {
        "owner": "[EMAIL]",
        "calls": ("ring [PHONE]", 3, None),
    }
    assert _redact_value([{"n": "card 4111 1111 1111 1111"}], DEFAULT_RULES) == [
        {"n": "card [CARD]"}
    ]


def test_a_misquoting_citation_of_a_renamed_source_comes_back_under_the_original_id() -> None:
    """A source id holding personal data is sent as "source-1"; a citation of it that misquotes
    what it was sent keeps its claimed text (so it stays invalid) but names the original source
    and the original offsets, never the made-up id."""
    from pilot.core.models import SystemOutput
    from pilot.runs.edge import Edge

    text = "Employees receive 25 days of annual leave each year."
    case = GoldenCase(
        id="c-9",
        question="How much leave?",
        sources=(Source(id="hr-case-AB123456C", title="Leave", text=text),),
    )
    edge = Edge()
    request, _, remap = edge.prepare(case, SystemConfig())
    assert [s.id for s in request.sources] == ["source-1"]
    assert text in edge.redactor.memo  # the edge's own redactor, whose memo serves the run
    at = text.index("25 days")
    made_up = Citation(source_id="source-1", cited_text="30 days", start=at, end=at + 7)
    (back,) = remap(SystemOutput(answer="30 days", citations=(made_up,))).citations
    assert (back.source_id, back.start, back.end, back.cited_text) == (
        "hr-case-AB123456C",
        at,
        at + 7,
        "30 days",
    )


def test_a_source_sent_under_its_own_id_maps_back_to_itself() -> None:
    from pilot.core.models import SystemRequest
    from pilot.define.redaction import BoundedCase, RedactedText

    bounded = BoundedCase(
        SystemRequest(case_id="c", question="q"), RedactedText("q"), {"p": RedactedText("t")}
    )
    assert bounded.original_id("p") == "p"
    assert bounded.original_id("unknown") == "unknown"


@pytest.mark.parametrize(
    ("source_id", "rules", "sent"),
    [
        ("policy-123456", DEFAULT_RULES, "policy-123456"),  # 6 digits: room for no number
        ("policy-1234567", DEFAULT_RULES, "source-1"),  # 7: a phone, card or account might fit
        ("policy-1234567", (), "policy-1234567"),  # a boundary that redacts nothing
        ("jo@example.com", DEFAULT_RULES, "source-1"),  # redacted whole, though not in parts
        ("jo@example.com", (), "jo@example.com"),  # the boundary's rules, not the defaults
    ],
)
def test_an_id_with_room_for_a_number_is_sent_as_source_n(
    source_id: str, rules: tuple[RedactionRule, ...], sent: str
) -> None:
    case = GoldenCase(id="c-1", question="q", sources=(Source(id=source_id, title="t", text="x"),))
    request = apply_boundary(case, DataBoundary(redaction_rules=rules))
    assert [s.id for s in request.sources] == [sent]


def test_a_source_whose_own_id_is_taken_by_a_renamed_one_is_numbered_too() -> None:
    case = GoldenCase(
        id="c-1",
        question="q",
        sources=(
            Source(id="hr-case-AB123456C", title="t", text="x"),
            Source(id="source-1", title="u", text="y"),
        ),
    )
    bounded = bound_case(case, DataBoundary())
    assert [(s.id, s.text) for s in bounded.request.sources] == [
        ("source-1", "x"),
        ("source-2", "y"),
    ]
    assert bounded.original_id("source-2") == "source-1"


def test_phones_are_found_in_the_boundarys_regions_only() -> None:
    from pilot.define.redaction import redactor_for

    us = "call 415-555-0132"
    assert redact(us, redactor_for(DataBoundary())).text == "call [PHONE]"  # GB and US
    assert redact(us, redactor_for(DataBoundary(phone_regions=("FR",)))).text == us
    # exactly 7 digits, a whole number in Iceland
    iceland = redactor_for(DataBoundary(phone_regions=("IS",)))
    assert redact("call 410 4000", iceland).text == "call [PHONE]"


def test_an_id_is_checked_against_the_boundarys_own_terms() -> None:
    """An underscore joins the parts of an id into one word, so the restricted name in
    "case_bloggs" is not a whole word until the separators are read as spaces: the id is
    checked part by part with the boundary's own redactor (its terms), not the default one."""
    boundary = DataBoundary(restricted_fields=("names",), restricted_terms={"names": ("Bloggs",)})
    case = GoldenCase(
        id="c-1",
        question="q",
        sources=(
            Source(id="case_bloggs", title="t", text="x"),
            Source(id="faq_2", title="u", text="y"),
        ),
    )
    request = apply_boundary(case, boundary)
    assert [s.id for s in request.sources] == ["source-1", "faq_2"]


def test_a_restricted_term_inside_a_longer_one_leaves_none_of_the_longer_one() -> None:
    """The longest term is tried first, whatever the case of the shorter one ("jo" sorts after
    "Jo Bloggs" in code-point order)."""
    from pilot.define.redaction import redactor_for

    boundary = DataBoundary(
        restricted_fields=("names",), restricted_terms={"names": ("jo", "Jo Bloggs")}
    )
    assert redact("Jo Bloggs called", redactor_for(boundary)).text == "[NAMES] called"


def test_a_valid_phone_after_an_invalid_number_in_the_same_run_of_digits_is_found() -> None:
    """One window of digits and spaces can hold a number libphonenumber rejects and then a
    valid one: the rejected one is skipped, the valid one still found (not the end of the
    window's search)."""
    from pilot.define.detectors import _phone

    text = "ref 12345678 020 7946 0958"
    assert _phone(text, ["GB"]) == [(text.index("020"), len(text))]
