"""Golem's retry policy: the delay formula, the retry decision, and the clocks that wait it out."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

# The executor's default (Golem's RetryConfig::max_attempts_3), durations in nanoseconds as in the WIT record.
DEFAULT_POLICY: dict[str, Any] = {
    "max_attempts": 3,
    "min_delay_ns": 100_000_000,
    "max_delay_ns": 1_000_000_000,
    "multiplier": 3.0,
    "max_jitter_factor": 0.15,
}


def get_delay(policy: dict[str, Any], attempts: int, rng: random.Random | None = None) -> float | None:
    """Seconds to wait before the next attempt after `attempts` failed ones; None when retries are used up.

    As Golem: base = int(multiplier) ** (attempts - 1, floored at 0) * min_delay (in whole milliseconds),
    plus up to max_jitter_factor of itself, then capped at max_delay.
    """
    if attempts >= policy["max_attempts"]:
        return None
    min_ms = int(policy["min_delay_ns"]) // 1_000_000
    base: int = int(policy["multiplier"]) ** max(attempts - 1, 0) * min_ms
    jitter = policy.get("max_jitter_factor")
    if jitter:
        base += int(base * (rng or random).uniform(0.0, jitter))
    return min(int(policy["max_delay_ns"]) // 1_000_000, base) / 1000


class Clock(Protocol):
    """Where retry delays are waited out."""

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""


class RealClock:
    """Sleeps for real (the default for `golem-emu invoke`)."""

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` of wall time."""
        time.sleep(seconds)


@dataclass
class VirtualClock:
    """Records the delays instead of sleeping: same decisions, no waiting (`--no-wait`, tests)."""

    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        """Record `seconds` and return at once."""
        self.slept.append(seconds)

    @property
    def elapsed(self) -> float:
        """Total virtual time waited."""
        return sum(self.slept)
