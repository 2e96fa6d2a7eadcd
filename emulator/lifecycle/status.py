"""A worker's status and invocation results, recomputed from its oplog alone (Golem's status fold)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from emulator.oplog.entries import (
    ChangeRetryPolicy,
    Create,
    Error,
    Exited,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    FailedUpdate,
    Interrupted,
    Jump,
    OplogEntry,
    PendingUpdate,
    Restart,
    Revert,
    SuccessfulUpdate,
    Suspend,
    is_hint,
)
from emulator.replay.state import SkippedRegions


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

    status: str = "idle"
    invocations: dict[str, Outcome] = field(default_factory=dict)
    open_key: str | None = None  # an invocation that started and has not finished
    trailing_errors: int = 0
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


def fold(s: WorkerSummary, entries: Sequence[OplogEntry], first: int, skipped: SkippedRegions) -> None:
    """Fold `entries` (the first at index `first`) into `s`."""
    for idx, entry in enumerate(entries, start=first):
        if skipped.contains(idx):
            continue
        if isinstance(entry, Error):
            s.trailing_errors += 1
        elif not is_hint(entry):
            s.trailing_errors = 0  # any progress resets Golem's retry counter
        if isinstance(entry, PendingUpdate):
            s.pending_update = entry
        elif isinstance(entry, SuccessfulUpdate | FailedUpdate):
            s.pending_update = None
        if isinstance(entry, Create):
            s.create = entry
            s.status = "idle"
        elif isinstance(entry, ExportedFunctionInvoked):
            s.invocations[entry.idempotency_key] = Outcome(entry.function_name, entry.request)
            s.open_key = entry.idempotency_key
            s.status = "running"
        elif isinstance(entry, ExportedFunctionCompleted):
            if s.open_key is not None:
                started = s.invocations[s.open_key]
                s.invocations[s.open_key] = Outcome(started.function_name, started.request, idx, entry.response)
            s.open_key = None
            s.status = "idle"
        elif isinstance(entry, Error):
            s.last_error = entry.error
            s.status = "retrying" if entry.retriable else "failed"
        elif isinstance(entry, Suspend):
            s.status = "suspended"
        elif isinstance(entry, Interrupted):
            s.status = "interrupted"
        elif isinstance(entry, Exited):
            s.status = "exited"
        elif isinstance(entry, Restart):
            s.status = "idle"
        elif isinstance(entry, ChangeRetryPolicy):
            s.retry_policy = {
                "max_attempts": entry.max_attempts, "min_delay_ns": entry.min_delay_ns,
                "max_delay_ns": entry.max_delay_ns, "multiplier": entry.multiplier,
                "max_jitter_factor": entry.max_jitter_factor,
            }
            s.status = "running"
        elif not is_hint(entry):
            s.status = "running"


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
