"""A worker's status fold, kept in the store beside its oplog so that listing workers reads a row, not an oplog.

The row holds what the fold carries from one entry to the next (status, the open invocation, the retry counter
and policy, a pending update) plus the component the worker runs, as of entry `through`. A reader folds only
the entries after `through`; a missing row, or an entry after it that changes which earlier entries count
(a jump, a revert, an update), sends it back to the whole oplog. So a stale or absent row costs time, never
a wrong answer, and any process may append without keeping the row up to date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from emulator.lifecycle.management import current_component_hash
from emulator.lifecycle.status import RETROACTIVE, Outcome, WorkerSummary, fold, summarize
from emulator.oplog.codec import decode, encode
from emulator.oplog.entries import Create, PendingUpdate
from emulator.oplog.store import Store
from emulator.replay.state import SkippedRegions


@dataclass(frozen=True)
class Listing:
    """What `golem-emu workers` shows of a worker, as of its last entry."""

    summary: WorkerSummary  # `invocations` holds at most the open one
    component_hash: str
    length: int


def encode_row(summary: WorkerSummary, component_hash: str) -> str:
    """The row's data for a summary (its finished invocations are left out: the oplog has them)."""
    key = summary.open_key
    outcome = summary.invocations.get(key) if key is not None else None
    return json.dumps({
        "status": summary.status, "trailing_errors": summary.trailing_errors, "last_error": summary.last_error,
        "retry_policy": summary.retry_policy, "component_hash": component_hash,
        "create": encode(summary.create) if summary.create is not None else None,
        "pending_update": encode(summary.pending_update) if summary.pending_update is not None else None,
        "open": None if outcome is None else [key, outcome.function_name, list(outcome.request)],
    }, sort_keys=True)


def decode_row(data: str) -> tuple[WorkerSummary, str]:
    """The summary and component hash a row holds; ValueError if it is not one."""
    d: dict[str, Any] = json.loads(data)
    s = WorkerSummary(status=d["status"], trailing_errors=d["trailing_errors"], last_error=d["last_error"],
                      retry_policy=d["retry_policy"])
    create = decode(d["create"]) if d["create"] is not None else None
    pending = decode(d["pending_update"]) if d["pending_update"] is not None else None
    if not isinstance(create, Create | None) or not isinstance(pending, PendingUpdate | None):
        raise ValueError("a summary row with entries of the wrong kind")
    s.create, s.pending_update = create, pending
    if d["open"] is not None:
        key, function, request = d["open"]
        s.open_key = key
        s.invocations[key] = Outcome(function, tuple(request))
    return s, str(d["component_hash"])


def save(store: Store, name: str, through: int, summary: WorkerSummary, component_hash: str) -> None:
    """Keep the worker's summary of entries 1..=through."""
    store.set_summary_row(name, through, encode_row(summary, component_hash))


def listing(store: Store, name: str) -> Listing:
    """The worker's status as of its last entry: from its row plus the entries after it, else from the oplog."""
    last = store.last_index(name)
    row = store.summary_row(name)
    if row is not None and row[0] <= last:
        try:
            summary, component = decode_row(row[1])
        except (ValueError, KeyError, TypeError):
            summary, component = WorkerSummary(), ""
        tail = [e for _, e in store.read(name, row[0] + 1, last)] if last > row[0] else []
        if component and not any(isinstance(e, RETROACTIVE) for e in tail):
            fold(summary, tail, row[0] + 1, SkippedRegions())
            return Listing(summary, component, last)
    entries = [e for _, e in store.read(name)]
    return Listing(summarize(entries), current_component_hash(entries), len(entries))
