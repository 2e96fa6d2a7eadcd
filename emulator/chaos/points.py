"""Crash points with stable names: every oplog commit and every live host call about to be journaled.

A worker run with a `Chaos` plan reports each point as it passes it; the plan "crashes" at the chosen one,
either by raising CrashSignal (in-process: the worker object is abandoned with whatever was committed) or
by SIGKILL of the whole process (a real kill -9).

A point is named by what happens there, so the same workflow gives the same names on every run:

- `after:commit@<index>`: the oplog is durable up to <index>;
- `in-region:<begin>@<index>`: the same, inside the atomic region opened at <begin> (recovery re-runs it);
- `before:<interface>.<function>#<n>`: the n-th live call of that host function ran and is about to be
  journaled (for HTTP: the request has left, its response is not in the oplog);
- `replay:<name>`: one of the above, passed by a process that recovers from an earlier crash.

Points of a second worker in the same run carry its name: `<worker>/after:commit@3`.
"""

from __future__ import annotations

import fnmatch
import os
import signal
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from emulator.errors import UsageError
from emulator.oplog.entries import BeginAtomicRegion, EndAtomicRegion, OplogEntry
from emulator.oplog.kinds import values
from emulator.signals import CrashSignal


class CrashMode(StrEnum):
    """How an injected crash happens: a CrashSignal raised in-process, or SIGKILL of the whole process."""

    RAISE = "raise"
    KILL = "kill"


RAISE = CrashMode.RAISE
KILL = CrashMode.KILL

COMMIT = "commit"  # an oplog commit has just become durable
PERSIST = "persist"  # a live host call has run and its result is about to be journaled

REPLAY_PREFIX = "replay:"


def host_call_name(function: str) -> str:
    """`http::types::future_incoming_response::get` -> `http::types::future_incoming_response.get`."""
    text = "-".join(function.split())  # "golem io::poll::poll" has a space; names must survive a shell
    head, sep, last = text.rpartition("::")
    return f"{head}.{last}" if sep else text


@dataclass(frozen=True)
class CrashPoint:
    """One place a worker could crash."""

    number: int
    kind: str  # COMMIT or PERSIST
    oplog_index: int  # the last durable index (COMMIT) or the index the entry would get (PERSIST)
    detail: str  # what was committed, or which host function ran
    name: str = ""  # the stable name (see the module docstring)
    worker: str = ""
    region: int | None = None  # the open atomic region's begin index, if any

    def describe(self) -> str:
        """One line for reports."""
        when = "after committing up to" if self.kind == COMMIT else "before journaling, at"
        return f"{self.name} (#{self.number}) {when} index {self.oplog_index}: {self.detail}"


@dataclass
class Chaos:
    """A crash plan: crash at the point named `crash_at` (a name, or a 1-based number), or only record points."""

    crash_at: int | str | None = None
    mode: str = RAISE
    points: list[CrashPoint] = field(default_factory=list)
    prefix: str = ""  # REPLAY_PREFIX in a process that recovers from an earlier crash
    on_point: Callable[[CrashPoint], None] | None = None  # told of each point as it is passed (before a crash)
    _occurrences: Counter[str] = field(default_factory=Counter)
    _regions: dict[str, list[int]] = field(default_factory=dict)  # worker -> open atomic regions' begins
    _workers: list[str] = field(default_factory=list)
    _current: str = ""
    _crashed: bool = False

    # -- hooks the worker wires to its oplog and durability helper ----------------------------------------

    def on_commit(self, worker: str, first_index: int, entries: Sequence[OplogEntry]) -> None:
        """A batch of entries starting at `first_index` became durable."""
        self._current = worker
        regions = self._regions.setdefault(worker, [])
        for offset, entry in enumerate(entries):
            if isinstance(entry, BeginAtomicRegion):
                regions.append(first_index + offset)
            elif isinstance(entry, EndAtomicRegion) and entry.begin_index in regions:
                regions.remove(entry.begin_index)
        last = first_index + len(entries) - 1
        self.reached(COMMIT, last, entries[-1].kind if entries else "")

    def before_persist(self, worker: str, index: int, function: str) -> None:
        """A live host call ran; its entry would get `index`."""
        self._current = worker
        self.reached(PERSIST, index, function)

    # -- naming and crashing -------------------------------------------------------------------------------

    def reached(self, kind: str, oplog_index: int, detail: str) -> None:
        """Called at each crash point."""
        worker = self._current
        if worker not in self._workers:
            self._workers.append(worker)
        open_regions = self._regions.get(worker, [])
        region = open_regions[-1] if open_regions else None
        if kind == COMMIT:
            name = f"in-region:{region}@{oplog_index}" if region is not None else f"after:commit@{oplog_index}"
        else:
            call = host_call_name(detail)
            self._occurrences[f"{worker}/{call}"] += 1
            name = f"before:{call}#{self._occurrences[f'{worker}/{call}']}"
        if self._workers and worker != self._workers[0]:
            name = f"{worker}/{name}"
        point = CrashPoint(len(self.points) + 1, kind, oplog_index, detail, self.prefix + name, worker, region)
        self.points.append(point)
        if self.on_point is not None:
            self.on_point(point)
        if self.matches(point) and not self._crashed:
            self._crashed = True
            self.crash(point)

    def matches(self, point: CrashPoint) -> bool:
        """Whether `point` is the planned one."""
        if self.crash_at is None:
            return False
        if isinstance(self.crash_at, int):
            return point.number == self.crash_at
        # A recovering process names its points replay:...; the bare name is accepted there too.
        return self.crash_at in (point.name, point.name.removeprefix(self.prefix))

    def crash(self, point: CrashPoint) -> None:
        """Crash now, as planned."""
        if self.mode == KILL:
            os.kill(os.getpid(), signal.SIGKILL)
        raise CrashSignal(f"injected crash at {point.describe()}")

    @property
    def crashed(self) -> bool:
        """Whether the planned point was reached."""
        if self.crash_at is None:
            return False
        return self._crashed or (isinstance(self.crash_at, int) and len(self.points) >= self.crash_at)


def parse_target(text: str) -> int | str:
    """A GOLEM_EMU_CRASH_AT value: a point number or a point name."""
    text = text.strip()
    if text.isdigit():
        if int(text) < 1:
            raise UsageError("GOLEM_EMU_CRASH_AT=0: crash points are numbered from 1")
        return int(text)
    if not text or ":" not in text:
        raise UsageError(f"GOLEM_EMU_CRASH_AT={text!r} is neither a point number nor a point name such as "
                         "after:commit@7 (list them with `golem-emu invoke --show-crash-points`)")
    return text


def from_environment(prefix: str = "") -> Chaos | None:
    """A plan from GOLEM_EMU_CRASH_AT=N|NAME (and GOLEM_EMU_CRASH_MODE=kill|raise, default kill) for CLI runs."""
    at = os.environ.get("GOLEM_EMU_CRASH_AT")
    if not at:
        return None
    mode = os.environ.get("GOLEM_EMU_CRASH_MODE", CrashMode.KILL)
    if mode not in values(CrashMode):
        raise UsageError(f"GOLEM_EMU_CRASH_MODE={mode!r}: use kill or raise")
    return Chaos(crash_at=parse_target(at), mode=CrashMode(mode), prefix=prefix)


def select(points: Sequence[CrashPoint], only: str | None) -> list[CrashPoint]:
    """The points whose name matches the glob `only` (or contains it, when it has no wildcard)."""
    if not only:
        return list(points)
    exact = [p for p in points if p.name == only]
    if exact:
        return exact
    if any(c in only for c in "*?["):
        return [p for p in points if fnmatch.fnmatchcase(p.name, only)]
    return [p for p in points if only in p.name]
