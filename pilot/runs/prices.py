"""List prices by model id, and the cost of a case's recorded usage at those prices.

Keyed by the model id the API returns (a dated id such as `claude-sonnet-4-5-20250929` is
looked up by its undated alias too), so a figure never mixes up two generations of one family:
Opus 4.1 and Opus 4.5 differ threefold. A model that is not listed has an unknown price, and a
cost at an unknown price is None, never 0 (a free-looking system is worse than an unpriced one).
The offline system runs locally, so it costs nothing. Prices are USD per million tokens as
published when this was written; edit them here, in one place.

Recorded usage counts cache writes and reads with ordinary input tokens (the systems here do not
ask for prompt caching), so the cost is the list price of input plus output tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pilot.runs.systems.offline import OFFLINE_MODEL


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float


PRICES: dict[str, Price] = {
    OFFLINE_MODEL: Price(0.0, 0.0),
    "claude-opus-4-5": Price(5.0, 25.0),
    "claude-opus-4-1": Price(15.0, 75.0),
    "claude-opus-4-0": Price(15.0, 75.0),
    "claude-opus-4": Price(15.0, 75.0),
    "claude-sonnet-4-6": Price(3.0, 15.0),
    "claude-sonnet-4-5": Price(3.0, 15.0),
    "claude-sonnet-4-0": Price(3.0, 15.0),
    "claude-sonnet-4": Price(3.0, 15.0),
    "claude-3-7-sonnet": Price(3.0, 15.0),
    "claude-haiku-4-5": Price(1.0, 5.0),
    "claude-3-5-haiku": Price(0.8, 4.0),
    "claude-3-haiku": Price(0.25, 1.25),
}

_DATED = re.compile(r"-\d{8}$")


def price_for(model: str | None) -> Price | None:
    """The list price of `model` (exact id, else its undated alias), or None: unknown."""
    if not model:
        return None
    return PRICES.get(model) or PRICES.get(_DATED.sub("", model))


def usage_cost(model: str | None, input_tokens: int, output_tokens: int) -> float | None:
    """USD for one case's recorded usage, or None when the model's price is unknown."""
    price = price_for(model)
    if price is None:
        return None
    return (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1e6
