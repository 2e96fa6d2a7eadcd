"""Numbered crash points: every oplog commit and every live host call about to be journaled.

A worker run with a `Chaos` plan reports each point as it passes it; the plan "crashes" at the chosen one,
either by raising CrashSignal (in-process: the worker object is abandoned with whatever was committed) or
by SIGKILL of the whole process (a real kill -9). Exploring every point of a workflow is a loop over k.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field

from emulator.signals import CrashSignal

RAISE = "raise"
KILL = "kill"

COMMIT = "commit"  # an oplog commit has just become durable
PERSIST = "persist"  # a live host call has run and its result is about to be journaled


@dataclass(frozen=True)
class CrashPoint:
    """One place a worker could crash."""

    number: int
    kind: str  # COMMIT or PERSIST
    oplog_index: int  # the last durable index (COMMIT) or the index the entry would get (PERSIST)
    detail: str  # what was committed, or which host function ran

    def describe(self) -> str:
        """One line for reports."""
        when = "after committing up to" if self.kind == COMMIT else "before journaling, at"
        return f"#{self.number} {when} index {self.oplog_index}: {self.detail}"


@dataclass
class Chaos:
    """A crash plan: crash at point number `crash_at` (1-based), or only record points when None."""

    crash_at: int | None = None
    mode: str = RAISE
    points: list[CrashPoint] = field(default_factory=list)

    def reached(self, kind: str, oplog_index: int, detail: str) -> None:
        """Called by the oplog and the durability helper at each crash point."""
        point = CrashPoint(len(self.points) + 1, kind, oplog_index, detail)
        self.points.append(point)
        if self.crash_at is not None and point.number == self.crash_at:
            self.crash(point)

    def crash(self, point: CrashPoint) -> None:
        """Crash now, as planned."""
        if self.mode == KILL:
            os.kill(os.getpid(), signal.SIGKILL)
        raise CrashSignal(f"injected crash at point {point.describe()}")

    @property
    def crashed(self) -> bool:
        """Whether the planned point was reached."""
        return self.crash_at is not None and len(self.points) >= self.crash_at


def from_environment() -> Chaos | None:
    """A plan from GOLEM_EMU_CRASH_AT=N (and GOLEM_EMU_CRASH_MODE=kill|raise, default kill) for CLI runs."""
    at = os.environ.get("GOLEM_EMU_CRASH_AT")
    if not at:
        return None
    return Chaos(crash_at=int(at), mode=os.environ.get("GOLEM_EMU_CRASH_MODE", KILL))
