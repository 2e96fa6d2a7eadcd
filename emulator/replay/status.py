"""A worker's status and invocation results, recomputed from its oplog alone (Golem's status fold)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from emulator.oplog.entries import (
    ChangeRetryPolicy,
    Create,
    Error,
    Exited,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    Interrupted,
    OplogEntry,
    Restart,
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


def summarize(entries: Sequence[OplogEntry]) -> WorkerSummary:
    """Fold a whole oplog (entries[0] is index 1), ignoring entries in skipped regions."""
    skipped = SkippedRegions.from_entries(entries)
    s = WorkerSummary()
    for idx, entry in enumerate(entries, start=1):
        if skipped.contains(idx):
            continue
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
    s.trailing_errors = trailing_error_count(entries, skipped)
    return s


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
