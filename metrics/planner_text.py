"""The sample-size plan in plain sentences, for the pages, the CLI and the gates.

Every figure comes from a `metrics.planner.SizePlan`; these functions only word it. `unit` names
what is counted ("cases", "unanswerable cases tagged 'numeric'", "graded outputs") and is used
as given, so callers pass plain text and escape it where they draw it.
"""

from __future__ import annotations

from metrics.planner import (
    DEFAULT_POWER,
    MAX_CASES,
    Rule,
    SizePlan,
    chance_of_passing,
    passing_counts,
    size_plan,
)


def rate_text(value: float) -> str:
    """A rate as people write it: 95%, 90.5%."""
    return f"{f'{100 * value:.1f}'.removesuffix('.0')}%"


def chance_text(value: float) -> str:
    """A probability to one decimal, never rounded to a false certainty."""
    if value <= 0.0:
        return "0%"
    if value >= 1.0:
        return "100%"
    if value < 0.001:
        return "under 0.1%"
    if value > 0.999:
        return "over 99.9%"
    return f"{100 * value:.1f}%"


def size_list(runs: tuple[tuple[int, int], ...], limit: int = 4) -> str:
    """(218, 228), (235, 241), (253, 253) -> "218–228, 235–241 and 253"."""
    parts = [f"{a:,}" if a == b else f"{a:,}–{b:,}" for a, b in runs[:limit]]
    if len(runs) > limit:
        rest = len(runs) - limit
        more = f"{rest} more stretch{'es' if rest > 1 else ''} up to {runs[-1][1]:,}"
        return ", ".join(parts) + f" and {more}"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def count_text(n: int, unit: str) -> str:
    """ "217 cases"; "just one of the cases" where a plural unit would read oddly."""
    return f"just one of the {unit}" if n == 1 else f"{n:,} {unit}"


def _system(plan: SizePlan) -> str:
    return f"a system whose true rate is {rate_text(plan.expected_rate)}"


def _basis(rule: Rule) -> str:
    if rule.judged_on == "point":
        return "the point estimate"
    return f"the 95% {'upper' if rule.at_most else 'lower'} bound"


def need_sentence(plan: SizePlan, unit: str = "cases") -> str:
    """What size the plan needs, or why no size will do."""
    rule, power = plan.rule, plan.power
    if plan.reach == "never":
        better = "lower than" if rule.at_most else "better than"
        at_best = (
            "about half the time at best"
            if rule.judged_on == "point"
            else f"at most {chance_text(plan.best_chance)} of the time"
        )
        return (
            f"No number of {unit} will do: {_system(plan)} is not {better} the "
            f"{rate_text(rule.threshold)} threshold, so judged on {_basis(rule)} it passes "
            f"{at_best}, at any size. The system must be expected to do clearly {better} the "
            "threshold, not just match it."
        )
    if plan.reach == "beyond":
        return (
            f"More than {MAX_CASES:,} {unit}: the best size up to {MAX_CASES:,} "
            f"({plan.best_size:,}) gives {_system(plan)} only a {chance_text(plan.best_chance)} "
            f"chance of passing. The expected rate is too close to the "
            f"{rate_text(rule.threshold)} threshold for a sample to tell them apart."
        )
    assert plan.required is not None and plan.chance_required is not None
    return (
        f"Needs {count_text(plan.required, unit)} for the chance of passing to reach "
        f"{rate_text(power)}: "
        f"{_system(plan)} then passes {chance_text(plan.chance_required)} of the time; one "
        f"exactly at the {rate_text(rule.threshold)} threshold passes "
        f"{chance_text(plan.false_pass_required or 0.0)}."
    )


def steps_sentence(plan: SizePlan, unit: str = "cases") -> str | None:
    """The saw-tooth, said out loud: which larger sizes dip below the target again."""
    if plan.reach != "reached":
        return None
    target = rate_text(plan.power)
    if plan.stable_from is None:
        return (
            f"Larger sizes keep dipping below {target} up to {MAX_CASES:,} {unit}: "
            f"{size_list(plan.dips)}."
        )
    if not plan.dips:
        return f"Every larger size up to {MAX_CASES:,} keeps at least {target}."
    return (
        f"Sizes are not monotone: at {size_list(plan.dips)} {unit} the chance dips below "
        f"{target} again (one more case can need one more success); from {plan.stable_from:,} "
        f"on, every size up to {MAX_CASES:,} keeps at least {target}."
    )


def have_sentence(
    plan: SizePlan, unit: str = "cases", label: str = "The golden set has"
) -> str | None:
    """How the size on hand compares: its chance of passing and the "about N more"."""
    if plan.have is None or plan.chance_have is None:
        return None
    if plan.have and not _can_pass(plan.rule, plan.have):
        now = f"{label} {plan.have:,} {unit}: too few to pass at all, even with a perfect result"
    else:
        chance = chance_text(plan.chance_have)
        now = f"{label} {plan.have:,} {unit}: {_system(plan)} passes {chance} of the time"
    if plan.more == 0:
        return f"{now}: enough."
    if plan.more is None:
        return f"{now}; no size up to {MAX_CASES:,} reaches {rate_text(plan.power)}."
    if plan.required is not None and plan.have >= plan.required:
        return f"{now}, just under {rate_text(plan.power)} (a dip); add {plan.more:,} more."
    return f"{now}; add about {plan.more:,} more."


def _can_pass(rule: Rule, n: int) -> bool:
    bound = int(passing_counts(rule, n))
    return bound >= 0 if rule.at_most else bound <= n


def point_warning(plan: SizePlan) -> str | None:
    """A point judgement lets a system at the threshold pass about half the time."""
    if plan.rule.judged_on != "point":
        return None
    n = plan.have or plan.required
    if not n:
        return None
    rule = plan.rule
    false_pass = plan.false_pass_have if plan.have else plan.false_pass_required
    return (
        f"Judged on the point estimate, a system exactly at {rate_text(rule.threshold)} passes "
        f"{chance_text(false_pass or 0.0)} of the time with {n:,} (it tends to half as the size "
        "grows): a pass proves little. Judged on the 95% bound it would pass about 2.5% of the "
        "time."
    )


def plan_sentences(
    plan: SizePlan,
    unit: str = "cases",
    label: str = "The golden set has",
    have_unit: str | None = None,
) -> list[str]:
    """The whole plan, sentence by sentence, in reading order."""
    found = [
        need_sentence(plan, unit),
        steps_sentence(plan, unit),
        have_sentence(plan, have_unit or unit, label),
        point_warning(plan),
    ]
    return [s for s in found if s]


def more_sentence(
    have: int,
    rule: Rule,
    expected_rate: float,
    unit: str = "graded outputs",
    power: float = DEFAULT_POWER,
) -> str:
    """One sentence for a gate: "About 157 more graded outputs: ..." (or enough, or never)."""
    plan = size_plan(rule, expected_rate, power, have)
    if plan.reach != "reached" and plan.more is None:
        return need_sentence(plan, unit)
    chance_now = chance_text(plan.chance_have or 0.0)
    if plan.more == 0:
        return (
            f"Enough {unit}: with {have:,}, {_system(plan)} passes {chance_now} of the time "
            f"(target {rate_text(power)})."
        )
    if plan.more is None:
        return f"No number of {unit} up to {MAX_CASES:,} reaches {rate_text(power)}."
    target = have + plan.more
    chance_then = chance_text(chance_of_passing(rule, target, expected_rate))
    return (
        f"About {plan.more:,} more {unit}: with {have:,}, {_system(plan)} would pass "
        f"{chance_now} of the time; with {target:,} it passes {chance_then}."
    )
