"""A compact, incrementally built index of one worker's oplog, for views that must not hold the entries.

One streaming pass (``update``) keeps a byte per entry (its kind), the skipped regions (Jump, Revert), the
brackets drawn beside an oplog (invocations, atomic regions, remote writes, persist-nothing zones) and the few
indices the worker's status needs. Its status comes from ``lifecycle.status.status_after``, the rule the status
fold uses, walking back from the end instead of folding every entry (a test compares the two).
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from emulator.lifecycle.status import RetryCounter, WorkerStatus, status_after
from emulator.oplog.entries import (
    ENTRY_TYPES,
    BeginAtomicRegion,
    BeginRemoteWrite,
    ChangePersistenceLevel,
    EndAtomicRegion,
    EndRemoteWrite,
    Error,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    Jump,
    OplogEntry,
    OplogRegion,
    Revert,
)
from emulator.oplog.kinds import EntryKind, PersistenceLevel
from emulator.oplog.store import OplogStore
from emulator.replay.state import SkippedRegions

__all__ = ["KINDS", "LANES", "OplogIndex", "Region", "RegionSet"]

KINDS: tuple[str, ...] = tuple(sorted(ENTRY_TYPES))
"""Every entry kind; an entry's code in ``OplogIndex.kinds`` is its position here."""
KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}

LANES = ("invocation", "atomic", "remote-write", "persist-nothing", "skipped")
"""The bracket lanes drawn beside an oplog, left to right."""



@dataclass(frozen=True, slots=True)
class Region:
    """An inclusive bracket; ``end`` None while it is still open."""

    start: int
    end: int | None

    def contains(self, index: int) -> bool:
        """Whether ``index`` lies inside the bracket (an open one reaches to the end of the oplog)."""
        return self.start <= index and (self.end is None or index <= self.end)


class RegionSet:
    """Brackets of one lane sorted by start, with a prefix maximum of ends for fast overlap queries."""

    def __init__(self) -> None:
        self._starts = array("q")
        self._ends = array("q")  # 0 while open
        self._pmax = array("q")  # max of _ends[0..i]
        self._open: dict[int, int] = {}  # start -> position

    def __len__(self) -> int:
        return len(self._starts)

    def open(self, start: int) -> None:
        """Open a bracket at ``start`` (ignored if one is already open there)."""
        if start in self._open:
            return
        self._open[start] = len(self._starts)
        self._starts.append(start)
        self._ends.append(0)
        self._pmax.append(self._pmax[-1] if self._pmax else 0)

    def close(self, start: int, end: int) -> None:
        """Close the bracket opened at ``start``; an unknown start adds a closed bracket."""
        pos = self._open.pop(start, None)
        if pos is None:
            if self._starts and start < self._starts[-1]:
                return  # an end whose begin we never saw out of order: nothing sensible to draw
            self._starts.append(start)
            self._ends.append(end)
            self._pmax.append(max(self._pmax[-1] if self._pmax else 0, end))
            return
        self._ends[pos] = end
        for k in range(pos, len(self._ends)):
            self._pmax[k] = max(self._pmax[k - 1] if k else 0, self._ends[k])

    def open_starts(self) -> list[int]:
        """Starts of the brackets still open."""
        return sorted(self._open)

    def overlapping(self, first: int, last: int) -> list[Region]:
        """Brackets that touch ``first..=last``, sorted by start."""
        out: list[Region] = []
        j = bisect_right(self._starts, last) - 1
        while j >= 0 and self._pmax[j] >= first:
            if self._ends[j] >= first:
                out.append(Region(self._starts[j], self._ends[j]))
            j -= 1
        out.extend(Region(s, None) for s in self._open if s <= last)
        return sorted(out, key=lambda r: r.start)

    def containing(self, index: int) -> Region | None:
        """The innermost (latest-starting) bracket containing ``index``."""
        found = self.overlapping(index, index)
        return found[-1] if found else None

    def closed_count(self) -> int:
        """How many brackets are closed."""
        return len(self._starts) - len(self._open)


class OplogIndex:
    """Kinds, brackets and status facts of one worker's oplog, built by streaming it (``update``)."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.lock = threading.RLock()  # the TUI updates from a thread while it renders
        self.kinds = bytearray()  # kinds[i - 1] = KIND_CODE of entry i
        self.counts = [0] * len(KINDS)
        self.skipped = SkippedRegions()
        self.lanes = {lane: RegionSet() for lane in LANES[:-1]}
        self.errors = array("q")
        self.fatal_errors: set[int] = set()  # Error entries that are not retriable
        self.retry_policies = array("q")
        self.noops = array("q")
        self.jump_starts: dict[int, int] = {}  # Jump entry -> the first index it skips
        self.end_begins: dict[int, int] = {}  # EndAtomicRegion/EndRemoteWrite entry -> its begin index
        self.first_timestamp = 0
        self.last_timestamp = 0

    @property
    def length(self) -> int:
        """How many entries are indexed (the last indexed index)."""
        return len(self.kinds)

    def update(self, store: OplogStore, *, chunk: int = 2048, stop: Callable[[], bool] | None = None,
               progress: Callable[[int], None] | None = None) -> int:
        """Index entries appended since the last update; returns how many. ``stop`` aborts between chunks."""
        added = 0
        batch: list[tuple[int, OplogEntry]] = []
        for item in store.iter_entries(self.worker, self.length + 1, chunk=chunk):
            batch.append(item)
            if len(batch) >= chunk:
                added += self._apply(batch)
                batch = []
                if progress is not None:
                    progress(self.length)
                if stop is not None and stop():
                    return added
        added += self._apply(batch)
        if progress is not None:
            progress(self.length)
        return added

    def _apply(self, batch: list[tuple[int, OplogEntry]]) -> int:
        with self.lock:
            for idx, entry in batch:
                if idx != self.length + 1:
                    continue  # already indexed (a concurrent update got there first)
                self._add(idx, entry)
        return len(batch)

    def _add(self, idx: int, entry: OplogEntry) -> None:
        kind = entry.kind
        self.kinds.append(KIND_CODE[kind])
        self.counts[KIND_CODE[kind]] += 1
        if idx == 1:
            self.first_timestamp = entry.timestamp
        self.last_timestamp = entry.timestamp
        lanes = self.lanes
        if isinstance(entry, ExportedFunctionInvoked):
            for start in lanes["invocation"].open_starts():
                lanes["invocation"].close(start, idx - 1)  # never completed (the worker failed or was reset)
            lanes["invocation"].open(idx)
        elif isinstance(entry, ExportedFunctionCompleted):
            for start in lanes["invocation"].open_starts():
                lanes["invocation"].close(start, idx)
            for start in lanes["persist-nothing"].open_starts():
                lanes["persist-nothing"].close(start, idx)
        elif isinstance(entry, Jump | Revert):
            self.skipped.add(OplogRegion(entry.start, entry.end))
            if isinstance(entry, Jump):
                self.jump_starts[idx] = entry.start
        elif isinstance(entry, BeginAtomicRegion):
            lanes["atomic"].open(idx)
        elif isinstance(entry, EndAtomicRegion):
            lanes["atomic"].close(entry.begin_index, idx)
            self.end_begins[idx] = entry.begin_index
        elif isinstance(entry, BeginRemoteWrite):
            lanes["remote-write"].open(idx)
        elif isinstance(entry, EndRemoteWrite):
            lanes["remote-write"].close(entry.begin_index, idx)
            self.end_begins[idx] = entry.begin_index
        elif isinstance(entry, ChangePersistenceLevel):
            if entry.level == PersistenceLevel.PERSIST_NOTHING:
                lanes["persist-nothing"].open(idx)
            else:
                for start in lanes["persist-nothing"].open_starts():
                    lanes["persist-nothing"].close(start, idx)
        elif isinstance(entry, Error):
            self.errors.append(idx)
            if not entry.retriable:
                self.fatal_errors.add(idx)
        elif kind == EntryKind.CHANGE_RETRY_POLICY:
            self.retry_policies.append(idx)
        elif kind == EntryKind.NO_OP:
            self.noops.append(idx)

    # -- queries (callers in other threads hold ``lock``) ---------------------------------------------------

    def kind_at(self, index: int) -> str:
        """The kind of entry ``index``."""
        return KINDS[self.kinds[index - 1]]

    def is_skipped(self, index: int) -> bool:
        """Whether a Jump or Revert skips entry ``index``."""
        return self.skipped.contains(index)

    def brackets(self, first: int, last: int) -> dict[str, list[Region]]:
        """Per lane, the brackets touching ``first..=last`` (the skipped lane holds merged skipped regions)."""
        out = {lane: regions.overlapping(first, last) for lane, regions in self.lanes.items()}
        out["skipped"] = [Region(r.start, r.end) for r in self.skipped.regions() if r.end >= first and r.start <= last]
        return out

    def invocation_of(self, index: int) -> int | None:
        """Index of the ExportedFunctionInvoked whose invocation contains ``index``."""
        region = self.lanes["invocation"].containing(index)
        return None if region is None else region.start

    def _last(self, indices: array[int]) -> int | None:
        for idx in reversed(indices):
            if not self.skipped.contains(idx):
                return idx
        return None

    def last_error(self) -> int | None:
        """Index of the last Error entry outside skipped regions."""
        return self._last(self.errors)

    def last_retry_policy(self) -> int | None:
        """Index of the last ChangeRetryPolicy outside skipped regions."""
        return self._last(self.retry_policies)

    def status(self) -> str:
        """The worker's status, as ``summarize`` computes it."""
        for idx in range(self.length, 0, -1):  # the last entry that sets a status decides it
            if self.skipped.contains(idx):
                continue
            status = status_after(KINDS[self.kinds[idx - 1]], retriable=idx not in self.fatal_errors)
            if status is not None:
                return status
        return WorkerStatus.IDLE

    def trailing_errors(self) -> int:
        """Golem's retry counter at the end, as ``summarize`` counts it (RetryCounter over every entry)."""
        retries = RetryCounter()
        for idx in range(1, self.length + 1):
            retries.feed(idx, KINDS[self.kinds[idx - 1]], self.skipped.contains(idx), self.jump_starts.get(idx),
                         self.end_begins.get(idx))
        return retries.errors

    def matching_kinds(self, kinds: set[str], first: int = 1, last: int | None = None) -> array[int]:
        """Indices in ``first..=last`` (default: to the end) whose kind is in ``kinds``."""
        table = bytes(1 if k in kinds else 0 for k in KINDS) + bytes(256 - len(KINDS))
        flags = self.kinds[first - 1:last].translate(table)
        out = array("q")
        pos = flags.find(1)
        while pos >= 0:
            out.append(first + pos)
            pos = flags.find(1, pos + 1)
        return out
