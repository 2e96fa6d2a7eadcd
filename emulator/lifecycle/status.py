"""A worker's status and invocation results, recomputed from its oplog alone (Golem's status fold)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from emulator.oplog.entries import (
    HINT_KINDS,
    ChangeRetryPolicy,
    Create,
    CreateResource,
    DescribeResource,
    DropResource,
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
    # Golem's owned_resources: the exported resources the worker holds, by resource id, with the index key
    # (resource name, constructor arguments) of those an indexed invocation created.
    owned_resources: dict[int, tuple[str, tuple[str, ...]] | None] = field(default_factory=dict)


def summarize(entries: Sequence[OplogEntry]) -> WorkerSummary:
    """Fold a whole oplog (entries[0] is index 1), ignoring entries in skipped regions."""
    s = WorkerSummary()
    fold(s, entries, 1, SkippedRegions.from_entries(entries))
    return s


# Entries that change which earlier entries count (they add skipped regions): folding past one of them
# incrementally would be wrong, so a cached summary is recomputed from the start instead.
RETROACTIVE = (Jump, Revert, SuccessfulUpdate)


@dataclass
class RetryCounter:
    """Golem's retry counter, fed entry by entry in oplog order (skipped entries included, flagged).

    Consecutive Error entries count, hints are walked over, and any other entry is progress that resets it;
    except that when a Jump abandons an attempt inside an atomic region or remote write (its region starts
    right after the region's begin entry) the errors of the jumped-over attempt keep counting, and the entries
    of the region's next attempt are no progress until the region completes. Otherwise a failure that repeats
    there would be retried forever. The worker's summary and the inspection index both count with this."""

    errors: int = 0
    region: int | None = None  # the begin index of the region being run again after an abandoning Jump
    _begins: set[int] = field(default_factory=set)  # indices of BeginAtomicRegion/BeginRemoteWrite entries
    _error_at: list[int] = field(default_factory=list)  # indices of Error entries

    def feed(self, idx: int, kind: str, skipped: bool, jump_start: int | None = None,
             end_of: int | None = None) -> None:
        """One entry: its kind, whether replay skips it, a Jump's start, an End*'s begin index."""
        if kind in (EntryKind.BEGIN_ATOMIC_REGION, EntryKind.BEGIN_REMOTE_WRITE):
            self._begins.add(idx)
        elif kind == EntryKind.ERROR:
            self._error_at.append(idx)
        elif jump_start is not None and jump_start - 1 in self._begins:
            self.errors = sum(1 for i in self._error_at if jump_start <= i < idx)
            self.region = jump_start - 1
        if skipped:
            return
        if kind == EntryKind.ERROR:
            self.errors += 1
        elif kind not in HINT_KINDS and not self._rerunning(kind, end_of):
            self.errors = 0  # any progress resets Golem's retry counter
            self.region = None

    def _rerunning(self, kind: str, end_of: int | None) -> bool:
        """Whether an entry is part of running an abandoned region again (not its end, nor a finished call)."""
        if self.region is None or kind in (EntryKind.EXPORTED_FUNCTION_COMPLETED,
                                           EntryKind.EXPORTED_FUNCTION_INVOKED):
            return False
        return end_of != self.region

    def feed_entry(self, idx: int, entry: OplogEntry, skipped: bool) -> None:
        """feed() with what it needs read off a decoded entry."""
        self.feed(idx, entry.kind, skipped, entry.start if isinstance(entry, Jump) else None,
                  entry.begin_index if isinstance(entry, EndRemoteWrite | EndAtomicRegion) else None)


def fold(s: WorkerSummary, entries: Sequence[OplogEntry], first: int, skipped: SkippedRegions) -> None:
    """Fold `entries` (the first at index `first`) into `s`."""
    retries = RetryCounter(s.trailing_errors, s.retried_region)  # regions begun before `first`: not seen
    none_skipped = skipped.is_empty()
    invoked, completed = EntryKind.EXPORTED_FUNCTION_INVOKED, EntryKind.EXPORTED_FUNCTION_COMPLETED
    running, idle = WorkerStatus.RUNNING, WorkerStatus.IDLE  # status_after of each
    for idx, entry in enumerate(entries, start=first):
        is_skipped = not none_skipped and skipped.contains(idx)
        kind = entry.kind
        if not is_skipped and (kind is invoked or kind is completed):
            # Most of an oplog, folded without the general dispatch below (the same effect): an invocation's
            # start or end is progress for the retry counter and sets the status.
            retries.errors, retries.region = 0, None
            s.trailing_errors, s.retried_region = 0, None
            if kind is invoked:
                assert isinstance(entry, ExportedFunctionInvoked)
                s.status = running
                s.invocations[entry.idempotency_key] = Outcome(entry.function_name, entry.request)
                s.open_key = entry.idempotency_key
            else:
                assert isinstance(entry, ExportedFunctionCompleted)
                s.status = idle
                if s.open_key is not None:
                    started = s.invocations[s.open_key]
                    s.invocations[s.open_key] = Outcome(started.function_name, started.request, idx,
                                                        entry.response)
                s.open_key = None
            continue
        retries.feed_entry(idx, entry, is_skipped)
        s.trailing_errors, s.retried_region = retries.errors, retries.region
        if is_skipped:
            continue
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
        elif isinstance(entry, CreateResource):
            s.owned_resources[entry.id] = None
        elif isinstance(entry, DescribeResource):
            s.owned_resources[entry.id] = (entry.resource_name, entry.resource_params)
        elif isinstance(entry, DropResource):
            s.owned_resources.pop(entry.id, None)
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
    """Golem's retry counter at the end of the oplog (RetryCounter over every entry)."""
    skipped = skipped or SkippedRegions.from_entries(entries)
    retries = RetryCounter()
    for idx, entry in enumerate(entries, start=1):
        retries.feed_entry(idx, entry, skipped.contains(idx))
    return retries.errors
