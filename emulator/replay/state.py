"""The replay cursor: which oplog entry comes next, which are skipped, and when the worker goes live."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from emulator.errors import NondeterminismError
from emulator.oplog.entries import (
    HINT_KINDS,
    ChangePersistenceLevel,
    ExportedFunctionCompleted,
    FailedUpdate,
    Jump,
    Log,
    OplogEntry,
    OplogRegion,
    PendingUpdate,
    Revert,
    SuccessfulUpdate,
)
from emulator.oplog.kinds import PersistenceLevel

REGION_KINDS = ("jump", "revert", "pending-update", "successful-update", "failed-update")
"""The entry kinds that decide which entries are skipped."""
_REGION_KIND_SET = frozenset(REGION_KINDS)


class SkippedRegions:
    """Merged, sorted inclusive regions the replay never reads (Jump and Revert targets)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, region: OplogRegion) -> None:
        """Add a region, merging it with any it overlaps or touches."""
        start, end = region.start, region.end
        i = bisect.bisect_left(self._ends, start - 1)
        j = i
        while j < len(self._starts) and self._starts[j] <= end + 1:
            start = min(start, self._starts[j])
            end = max(end, self._ends[j])
            j += 1
        self._starts[i:j] = [start]
        self._ends[i:j] = [end]

    def is_empty(self) -> bool:
        """Whether no index is skipped (most oplogs: no Jump, no Revert)."""
        return not self._starts

    def region_at(self, index: int) -> OplogRegion | None:
        """The region containing `index`, if any."""
        i = bisect.bisect_right(self._starts, index) - 1
        if i >= 0 and self._ends[i] >= index:
            return OplogRegion(self._starts[i], self._ends[i])
        return None

    def contains(self, index: int) -> bool:
        """Whether `index` lies in a skipped region."""
        return self.region_at(index) is not None

    def regions(self) -> list[OplogRegion]:
        """The merged regions, in order."""
        return [OplogRegion(s, e) for s, e in zip(self._starts, self._ends, strict=True)]

    @classmethod
    def from_entries(cls, entries: Sequence[OplogEntry]) -> SkippedRegions:
        """Fold the Jump and Revert entries of a whole oplog (entries[0] is index 1), and the history
        that a successful snapshot-based update replaced (2..=its PendingUpdate)."""
        return cls.from_indexed(enumerate(entries, start=1))

    @classmethod
    def from_indexed(cls, entries: Iterable[tuple[int, OplogEntry]]) -> SkippedRegions:
        """Like from_entries, from (index, entry) pairs in order; only those of REGION_KINDS matter, so a
        reader may pass just those (read by their kind column) instead of the whole oplog."""
        regions = cls()
        snapshot_pending: int | None = None
        kinds = _REGION_KIND_SET
        for idx, entry in entries:
            if entry.kind not in kinds:  # most entries: one set lookup instead of four isinstance checks
                continue
            if isinstance(entry, Jump | Revert):
                regions.add(OplogRegion(entry.start, entry.end))
            elif isinstance(entry, PendingUpdate) and entry.mode == "snapshot" and not regions.contains(idx):
                snapshot_pending = idx
            elif isinstance(entry, SuccessfulUpdate) and snapshot_pending is not None:
                regions.add(OplogRegion(2, snapshot_pending))
                snapshot_pending = None
            elif isinstance(entry, FailedUpdate):
                snapshot_pending = None
        return regions


def _log_key(entry: Log) -> tuple[str, str, str]:
    return (entry.level, entry.context, entry.message)


class ReplayState:
    """Golem's ReplayState: a cursor over the oplog as it was when the instance was created.

    The worker is live exactly when the cursor reaches the target (the last index at creation); hints are
    consumed by a look-ahead after every consumed entry, so live starts right after the last non-hint.
    """

    def __init__(self, entries: Sequence[OplogEntry], *, skip_persist_nothing_zones: bool = False) -> None:
        self._entries = entries  # entries[i - 1] is oplog index i
        self.replay_target = len(entries)
        self.skipped = SkippedRegions.from_entries(entries)
        self._skip_pn_zones = skip_persist_nothing_zones
        self.last_replayed = 0
        # A multiset, as in later Golem versions: a guest that printed the same text twice re-prints it twice.
        self.seen_logs: Counter[tuple[str, str, str]] = Counter()
        # Called once when replay reaches the end of the recorded oplog (not when it diverged): an
        # automatic update of a running worker succeeds there (updates.py).
        self.on_live: Callable[[], None] | None = None
        self._move_to(1)  # index 1 is the Create entry
        self.skip_forward()

    # -- cursor -------------------------------------------------------------------------------------------

    def is_live(self) -> bool:
        """Golem's only definition of live mode: the cursor has reached the target."""
        return self.last_replayed >= self.replay_target

    def switch_to_live(self, diverged: bool = False) -> None:
        """Abandon the rest of the recorded oplog: every later host call runs for real. Unless the replay
        `diverged`, it is complete, and on_live is told."""
        self.last_replayed = self.replay_target
        if self.on_live is not None and not diverged:
            reached, self.on_live = self.on_live, None
            reached()

    def _move_to(self, index: int) -> None:
        self.last_replayed = index

    def _next_index(self) -> int:
        nxt = self.last_replayed + 1
        if self.skipped.is_empty():
            return nxt
        region = self.skipped.region_at(nxt)
        while region is not None:
            nxt = region.end + 1
            region = self.skipped.region_at(nxt)
        return nxt

    def peek(self) -> tuple[int, OplogEntry] | None:
        """The next entry the cursor would read (following skipped regions), without consuming it."""
        nxt = self._next_index()
        if nxt > self.replay_target:
            return None
        return nxt, self._entries[nxt - 1]

    def skip_forward(self) -> None:
        """Consume every following hint (remembering Log entries for de-duplication) and, in golem-1.2
        semantics, every persist-nothing zone."""
        self.seen_logs.clear()
        entries, target = self._entries, self.replay_target
        while True:
            idx = self._next_index()  # peek(), inlined: this runs after every consumed entry
            if idx > target:
                self.switch_to_live()
                return
            entry = entries[idx - 1]
            if entry.kind in HINT_KINDS:
                if isinstance(entry, Log):
                    self.seen_logs[_log_key(entry)] += 1
                self._move_to(idx)
                continue
            if (
                self._skip_pn_zones
                and isinstance(entry, ChangePersistenceLevel)
                and entry.level == PersistenceLevel.PERSIST_NOTHING
            ):
                self._move_to(self._end_of_pn_zone(idx))
                continue
            return

    def _end_of_pn_zone(self, start: int) -> int:
        for i in range(start + 1, self.replay_target + 1):
            if self.skipped.contains(i):
                continue
            e = self._entries[i - 1]
            if isinstance(e, ChangePersistenceLevel) and e.level != PersistenceLevel.PERSIST_NOTHING:
                return i
            if isinstance(e, ExportedFunctionCompleted):
                return i
        return self.replay_target

    def next_entry(self) -> tuple[int, OplogEntry]:
        """Consume the next non-hint entry; callers check is_live() first."""
        peeked = self.peek()
        if peeked is None:  # pragma: no cover - guarded by is_live() at every call site
            raise RuntimeError("replay read past the end of the oplog")
        self._move_to(peeked[0])
        self.skip_forward()
        return peeked

    def expect(self, kind: type[OplogEntry], what: str) -> tuple[int, OplogEntry]:
        """Consume the next entry, which must be of `kind`; a NondeterminismError otherwise."""
        idx, entry = self.next_entry()
        if not isinstance(entry, kind):
            raise NondeterminismError(idx, describe(entry), what)
        return idx, entry

    def lookup(
        self,
        is_end: Callable[[OplogEntry], bool],
        all_intermediate: Callable[[OplogEntry], bool] | None = None,
    ) -> int | None:
        """Scan forward from the cursor to the target (honouring skipped regions) for an entry matching
        `is_end`; None if it is not there or an intermediate entry fails `all_intermediate`."""
        i = self.last_replayed + 1
        while i <= self.replay_target:
            region = self.skipped.region_at(i)
            if region is not None:
                i = region.end + 1
                continue
            entry = self._entries[i - 1]
            if is_end(entry):
                return i
            if all_intermediate is not None and not all_intermediate(entry):
                return None
            i += 1
        return None

    def add_skipped_region(self, region: OplogRegion) -> None:
        """Skip `region` from now on (used when abandoning an unfinished atomic region or write)."""
        self.skipped.add(region)


def describe(entry: OplogEntry) -> str:
    """A short human name for what an entry records, for divergence messages."""
    name = getattr(entry, "function_name", None)
    if isinstance(name, str):
        return f"{entry.kind} {name}"
    return entry.kind
