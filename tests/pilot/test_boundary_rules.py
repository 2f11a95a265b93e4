"""Custom patterns on RE2, refused when pathological; restricted categories enforced (finding 5, 6)."""

from __future__ import annotations

import time

import pytest

from pilot.core.errors import InputError
from pilot.define.redaction import RedactionRule, redact, redactor_for
from pilot.define.workflow import DataBoundary, parse_workflow_document

WORKFLOW = {"name": "w", "process_owner": "o", "accountable_lead": "l"}


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        (r"(a+)+$", "nests one unbounded repetition inside another"),
        (r"(a*)*b", "nests one unbounded repetition"),
        (r"(?:x|(ab)+)*", "nests one unbounded repetition"),
        (r"(a)\1", "Backreferences"),
        (r"(?<=x)a", "lookaround"),
        (r"(unclosed", "not a valid regular expression"),
    ],
)
def test_pathological_patterns_are_refused_when_saved(pattern: str, says: str) -> None:
    document = {
        "workflow": WORKFLOW,
        "boundary": {"redaction_rules": [{"name": "bad", "pattern": pattern}]},
    }
    with pytest.raises(InputError) as caught:
        parse_workflow_document(document, "boundary.json")
    message = str(caught.value)
    assert "boundary.json: boundary: field redaction_rules.0.pattern" in message
    assert says in message


def test_custom_patterns_run_in_linear_time() -> None:
    """A pattern RE2 accepts runs over a long adversarial text at once (Python's re would take
    minutes on `(x+x+)+y` over 30 x's)."""
    rule = RedactionRule(name="staff id", pattern=r"x+x+y")
    started = time.perf_counter()
    assert redact("x" * 100_000, [rule]).text == "x" * 100_000
    assert time.perf_counter() - started < 5  # generous: RE2 takes milliseconds


def test_restricted_categories_are_redacted_not_only_displayed() -> None:
    boundary = DataBoundary(
        restricted_fields=("salary", "health", "names"),
        restricted_terms={"names": ("Sam Patel",)},
    )
    result = redact("I'm sam patel: salary £42,000, I have diabetes.", redactor_for(boundary))
    assert result.text == "I'm [NAMES]: [SALARY], I have [HEALTH]."
    assert {s.rule for s in result.spans} == {
        "restricted: names",
        "restricted: salary",
        "restricted: health",
    }
    # policy words that every benefits text has are not health data
    plain = "Health cover and sick pay start after 3 months; maternity pay is 39 weeks."
    assert redact(plain, redactor_for(boundary)).text == plain


def test_a_restricted_category_the_edge_cannot_find_is_refused() -> None:
    with pytest.raises(ValueError, match="'names' cannot be enforced"):
        DataBoundary(restricted_fields=("names",))
    assert DataBoundary(restricted_fields=("tags",)).restricted_fields == ("tags",)


def test_phone_regions_are_checked() -> None:
    with pytest.raises(ValueError, match="XX: not a region"):
        DataBoundary(phone_regions=("GB", "XX"))
    boundary = DataBoundary(phone_regions=("fr",))
    assert boundary.phone_regions == ("FR",)
    assert redact("appelez le 01 23 45 67 89", redactor_for(boundary)).spans


def test_legacy_default_rules_read_as_detectors() -> None:
    from pilot.define.legacy_rules import LEGACY_PATTERNS

    for pattern, detector in LEGACY_PATTERNS.items():
        rule = RedactionRule.model_validate({"name": "old", "pattern": pattern, "check": None})
        assert rule.detector == detector and rule.pattern is None


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        ("(a{1,100})+", False),  # a repeat of at most 100 counts as bounded
        ("(a{1,101})+", True),  # over 100 counts as unbounded: nested, refused
        ("(a{101})+", True),
        ("a{1,101}", False),  # unbounded, but not nested
    ],
)
def test_a_repeat_over_100_counts_as_unbounded(pattern: str, refused: bool) -> None:
    from pilot.define.patterns import check_pattern

    if refused:
        with pytest.raises(ValueError, match="nests one unbounded repetition"):
            check_pattern(pattern)
    else:
        assert check_pattern(pattern) == pattern


def test_a_refused_pattern_says_re2s_reason_and_logs_nothing(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The reason goes to the person who typed the pattern, decoded, and nowhere else: RE2's
    own error log (stderr, on by default) stays off."""
    from pilot.define.patterns import check_pattern

    with pytest.raises(ValueError) as refused:
        check_pattern("a(b")
    assert str(refused.value) == (
        "not a valid regular expression for the linear-time engine (RE2): missing ): a(b. "
        "Backreferences (\\1) and lookaround ((?=, (?!, (?<=, (?<!) are not supported"
    )
    assert capfd.readouterr().err == ""


def test_a_nested_repeat_is_refused_with_what_to_write_instead() -> None:
    from pilot.define.patterns import check_pattern

    with pytest.raises(ValueError) as refused:
        check_pattern("(a+)+$")
    assert str(refused.value) == (
        "nests one unbounded repetition inside another (like (a+)+ or (a*)*), which takes "
        "exponential time in backtracking engines; repeat once, e.g. a+ instead of (a+)+"
    )


def test_a_pattern_of_exactly_the_longest_length_is_accepted() -> None:
    from pilot.define.patterns import MAX_PATTERN_LENGTH, check_pattern

    longest = "a" * MAX_PATTERN_LENGTH
    assert check_pattern(longest) == longest
    with pytest.raises(ValueError) as long:
        check_pattern(longest + "a")
    assert str(long.value) == f"is {MAX_PATTERN_LENGTH + 1} characters long; keep it under 1000"
