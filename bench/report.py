"""The shape of issue 13's figures: each measure beside its same-run baseline, as a ratio, with its target."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One row of the target table: ours, the baseline measured in the same run, their ratio, the target.

    ``ratio`` is always "our cost / the baseline's cost" (lower is better) and ``limit`` the largest ratio the
    target allows; None where the target is absolute (then ``met`` says whether it holds) or there is none.
    """

    measure: str
    ours: str
    baseline: str
    ratio: float | None
    target: str
    limit: float | None = None
    met: bool | None = None

    def verdict(self) -> str:
        """"yes", "no" or "" (nothing to judge)."""
        ok = self.met if self.met is not None else (
            None if self.limit is None or self.ratio is None else self.ratio <= self.limit)
        return "" if ok is None else ("yes" if ok else "no")


def us(seconds: float) -> str:
    """A per-call cost in microseconds."""
    return f"{seconds * 1e6:.1f} µs"


def secs(seconds: float) -> str:
    """A wall time."""
    return f"{seconds:.3f} s"
