"""A worker's status and invocation results, recomputed from its oplog alone (Golem's status fold)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from emulator.oplog.entries import (
    HINT_KINDS,
    BeginAtomicRegion,
    BeginRemoteWrite,
    ChangeRetryPolicy,
    Create,
    EndAtomicRegion,
    EndRemoteWrite,
    Error,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    FailedUpdate,
    Jump,
    OplogEntry,
    PendingUpdate,
    Revert,
    SuccessfulUpdate,
    is_hint,
)
from emulator.oplog.kinds import EntryKind
from emulator.replay.state import SkippedRegions


class WorkerStatus(StrEnum):
    """A worker's status as Golem reports it (semantics §3.2)."""

    IDLE = "idle"
    RUNNING = "running"
    SUSPENDED = "suspended"
    INTERRUPTED = "interrupted"
    RETRYING = "retrying"
    FAILED = "failed"
    EXITED = "exited"


# The status an entry of these kinds leaves the worker in; an Error's depends on whether it is retriable, every
# other non-hint entry means the worker is running, and the remaining hints leave the status as it was.
_STATUS_AFTER: dict[str, WorkerStatus] = {
    EntryKind.CREATE: WorkerStatus.IDLE,
    EntryKind.EXPORTED_FUNCTION_COMPLETED: WorkerStatus.IDLE,
    EntryKind.RESTART: WorkerStatus.IDLE,
    EntryKind.SUSPEND: WorkerStatus.SUSPENDED,
    EntryKind.INTERRUPTED: WorkerStatus.INTERRUPTED,
    EntryKind.EXITED: WorkerStatus.EXITED,
}


def status_after(kind: str, retriable: bool = True) -> WorkerStatus | None:
    """The one status rule: the status right after an entry of `kind` (for an Error, whether it was retriable);
    None for an entry that leaves it unchanged. The fold below and the TUI's oplog index both use it."""
    if kind == EntryKind.ERROR:
        return WorkerStatus.RETRYING if retriable else WorkerStatus.FAILED
    found = _STATUS_AFTER.get(kind)
    if found is not None:
        return found
    return None if kind in HINT_KINDS else WorkerStatus.RUNNING


@dataclass(frozen=True)
class Outcome:
    """How one invocation (by idempotency key) ended, if it did."""

    function_name: str
    request: tuple[str, ...]
    completed_at: int | None = None  # index of the ExportedFunctionCompleted
    response: str | None = None
    error: str | None = None


@dataclass
class WorkerSummary:
    """Everything the CLI and the invocation gatekeeper need to know, folded from the oplog."""

    status: str = WorkerStatus.IDLE
    invocations: dict[str, Outcome] = field(default_factory=dict)
    open_key: str | None = None  # an invocation that started and has not finished
    trailing_errors: int = 0
    # An atomic region or remote write abandoned by a Jump and being run again (its begin index): until it
    # completes, the entries of the new attempt are no progress, and the retry counter keeps counting.
    retried_region: int | None = None
    last_error: str | None = None
    retry_policy: dict[str, object] | None = None
    create: Create | None = None
    pending_update: PendingUpdate | None = None  # requested (by update-worker) and not yet carried out


def summarize(entries: Sequence[OplogEntry]) -> WorkerSummary:
    """Fold a whole oplog (entries[0] is index 1), ignoring entries in skipped regions."""
    s = WorkerSummary()
    fold(s, entries, 1, SkippedRegions.from_entries(entries))
    return s


# Entries that change which earlier entries count (they add skipped regions): folding past one of them
# incrementally would be wrong, so a cached summary is recomputed from the start instead.
RETROACTIVE = (Jump, Revert, SuccessfulUpdate)


def _abandons_region(entries: Sequence[OplogEntry], first: int, jump: Jump) -> bool:
    """Whether `jump` skips an abandoned attempt: its region starts right after the region's begin entry."""
    begin = jump.start - 1
    return first <= begin and isinstance(entries[begin - first], BeginRemoteWrite | BeginAtomicRegion)


def _rerunning(region: int | None, entry: OplogEntry) -> bool:
    """Whether `entry` is part of running an abandoned region again (not its end, nor a finished call)."""
    if region is None or isinstance(entry, ExportedFunctionCompleted | ExportedFunctionInvoked):
        return False
    return not (isinstance(entry, EndRemoteWrite | EndAtomicRegion) and entry.begin_index == region)


def fold(s: WorkerSummary, entries: Sequence[OplogEntry], first: int, skipped: SkippedRegions) -> None:
    """Fold `entries` (the first at index `first`) into `s`."""
    for idx, entry in enumerate(entries, start=first):
        if isinstance(entry, Jump) and _abandons_region(entries, first, entry):
            # The failed attempts inside the jumped-over region still count: each retry of a region that
            # fails the same way again is bounded by the retry policy instead of starting over.
            s.trailing_errors = sum(isinstance(entries[i - first], Error) for i in range(entry.start, idx))
            s.retried_region = entry.start - 1
        if skipped.contains(idx):
            continue
        if isinstance(entry, Error):
            s.trailing_errors += 1
        elif not is_hint(entry) and not _rerunning(s.retried_region, entry):
            s.trailing_errors = 0  # any progress resets Golem's retry counter
            s.retried_region = None
        if isinstance(entry, PendingUpdate):
            s.pending_update = entry
        elif isinstance(entry, SuccessfulUpdate | FailedUpdate):
            s.pending_update = None
        status = status_after(entry.kind, entry.retriable if isinstance(entry, Error) else True)
        if status is not None:
            s.status = status
        if isinstance(entry, Create):
            s.create = entry
        elif isinstance(entry, ExportedFunctionInvoked):
            s.invocations[entry.idempotency_key] = Outcome(entry.function_name, entry.request)
            s.open_key = entry.idempotency_key
        elif isinstance(entry, ExportedFunctionCompleted):
            if s.open_key is not None:
                started = s.invocations[s.open_key]
                s.invocations[s.open_key] = Outcome(started.function_name, started.request, idx, entry.response)
            s.open_key = None
        elif isinstance(entry, Error):
            s.last_error = entry.error
        elif isinstance(entry, ChangeRetryPolicy):
            s.retry_policy = {
                "max_attempts": entry.max_attempts, "min_delay_ns": entry.min_delay_ns,
                "max_delay_ns": entry.max_delay_ns, "multiplier": entry.multiplier,
                "max_jitter_factor": entry.max_jitter_factor,
            }


class SummaryCache:
    """A worker's summary kept up to date by folding only the entries appended since the last look."""

    def __init__(self) -> None:
        self._summary: WorkerSummary | None = None
        self._folded = 0  # how many entries (from index 1) the summary covers

    def get(self, last_index: int, read: Callable[[int, int], Sequence[OplogEntry]]) -> WorkerSummary:
        """The summary of entries 1..=last_index; `read(start, end)` fetches entries."""
        if self._summary is not None and last_index >= self._folded:
            new = read(self._folded + 1, last_index) if last_index > self._folded else []
            if not any(isinstance(e, RETROACTIVE) for e in new):
                fold(self._summary, new, self._folded + 1, SkippedRegions())
                self._folded = last_index
                return self._summary
        self._summary = summarize(read(1, last_index))
        self._folded = last_index
        return self._summary


def trailing_error_count(entries: Sequence[OplogEntry], skipped: SkippedRegions | None = None) -> int:
    """Consecutive Error entries at the end of the oplog, walking back over hints (Golem's retry counter)."""
    skipped = skipped or SkippedRegions.from_entries(entries)
    count = 0
    for idx in range(len(entries), 0, -1):
        if skipped.contains(idx):
            continue
        entry = entries[idx - 1]
        if isinstance(entry, Error):
            count += 1
        elif not is_hint(entry):
            break
    return count
