"""Exhaustive crash exploration: crash a scenario at every crash point, restart it, check what holds.

A scenario is a function that drives workers through an Emulator, using fixed idempotency keys, as a
client that retries after a crash would. For each crash point k the explorer runs the scenario in a fresh
data directory with a crash planned at k, then runs it again without one (the "restarted process": done
invocations answer from the oplog, the interrupted one is recovered by replay), and finally calls the
user's check, which asserts what must hold whatever the crash point (for example: each payment sent once).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from emulator.chaos.points import RAISE, Chaos, CrashPoint
from emulator.signals import CrashSignal

if TYPE_CHECKING:
    from emulator.testing import Emulator


@dataclass
class Trial:
    """One crash point explored: where it crashed and whether the check held."""

    point: CrashPoint
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """The check passed after crashing here and recovering."""
        return self.error is None


@dataclass
class Exploration:
    """Every trial of an exploration."""

    points: list[CrashPoint] = field(default_factory=list)
    trials: list[Trial] = field(default_factory=list)

    @property
    def failures(self) -> list[Trial]:
        """Trials whose check failed."""
        return [t for t in self.trials if not t.ok]

    def report(self) -> str:
        """A readable summary, one line per failing crash point."""
        lines = [f"{len(self.trials)} crash points explored, {len(self.failures)} failed"]
        lines += [f"  {t.point.describe()}: {type(t.error).__name__}: {t.error}" for t in self.failures]
        return "\n".join(lines)


Scenario = Callable[["Emulator"], object]
Check = Callable[["Emulator"], object]


def explore(
    make: Callable[[Path, Chaos | None], Emulator], scenario: Scenario, check: Check,
    *, limit: int | None = None, workdir: Path | None = None,
) -> Exploration:
    """Crash `scenario` at each of its crash points in turn (up to `limit`), recover, and run `check`."""
    base = Path(tempfile.mkdtemp(prefix="golem-emu-explore-", dir=workdir))
    try:
        dry = Chaos()
        with make(base / "dry", dry) as emu:
            scenario(emu)
        result = Exploration(points=list(dry.points))
        for point in result.points[:limit]:
            data = base / f"crash-{point.number}"
            trial = Trial(point)
            try:
                with make(data, Chaos(crash_at=point.number, mode=RAISE)) as emu:
                    try:
                        scenario(emu)
                    except CrashSignal:
                        pass  # the planned crash: the "process" ends here
                with make(data, None) as emu:  # the restarted process
                    scenario(emu)
                    check(emu)
            except Exception as e:  # noqa: BLE001 - a failing check is data for the report
                trial.error = e
            result.trials.append(trial)
        return result
    finally:
        shutil.rmtree(base, ignore_errors=True)
