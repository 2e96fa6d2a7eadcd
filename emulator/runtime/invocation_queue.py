"""Golem's invocation queue: invocations made while a worker is busy wait, in order, and run when it is free.

A queued invocation is a row of the store's invocation_queue (not an oplog entry: the process that queues it
may not be the one appending to the worker's oplog). Whoever runs the worker runs the queue after each
invocation it finishes; a row goes once its ExportedFunctionInvoked is committed, so a crash in between
leaves an invocation that recovery continues (its key is in the oplog) and a row that is then dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

from emulator.errors import UsageError, WorkerFailed
from emulator.lifecycle.leases import running_pid
from emulator.lifecycle.status import WorkerStatus, WorkerSummary
from emulator.oplog.entries import CancelInvocation
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import Store
from emulator.runtime.executor import InvocationResult


class Queueing(Protocol):
    """The worker as its queue sees it."""

    name: str
    store: Store
    oplog: Oplog

    def summary(self) -> WorkerSummary:
        """The worker's status, folded from its oplog."""

    def resume(self) -> InvocationResult | None:
        """Continue the worker's unfinished invocation, then its queue."""


def enqueue_call(worker: Queueing, function: str, request: Sequence[str], key: str | None = None) -> str:
    """Golem's invoke without awaiting: queue a call behind what the worker is busy with (running elsewhere,
    suspended, interrupted); a worker that is idle and held by no process runs its queue at once, as
    Golem's would. The call's key."""
    key = key or str(uuid.uuid4())
    enqueue(worker, function, request, key)
    if worker.summary().status == WorkerStatus.IDLE and running_pid(worker.store, worker.name) is None:
        worker.resume()
    return key


def enqueue(worker: Queueing, function: str, request: Sequence[str], key: str) -> bool:
    """Queue invocation `key` (already checked against the component); False if it is known already (queued,
    started or done: a key runs once)."""
    summary = worker.summary()
    if summary.status in (WorkerStatus.FAILED, WorkerStatus.EXITED):
        raise WorkerFailed(f"worker {worker.name} is {summary.status} and accepts no more invocations")
    if key in summary.invocations:
        return False
    return worker.store.enqueue(worker.name, key, function, request)


def cancel(worker: Queueing, key: str) -> bool:
    """Golem's cancel-invocation: True if `key` was waiting in the queue (it never runs; a CancelInvocation
    entry says so when no other process is appending to the oplog), False if it already started or finished;
    UsageError if the worker never had an invocation of that key."""
    if worker.store.dequeue(worker.name, key):
        if running_pid(worker.store, worker.name) is None:  # else another process appends to the oplog
            worker.oplog.add_and_commit(CancelInvocation(idempotency_key=key))
        return True
    if key in worker.summary().invocations:
        return False
    raise UsageError(f"worker {worker.name} has no invocation with idempotency key {key!r} to cancel")


def outcome(worker: Queueing, key: str) -> InvocationResult:
    """What invocation `key` has given so far: its result, or "queued", or the status that holds it up."""
    summary = worker.summary()
    known = summary.invocations.get(key)
    if known is None:
        return InvocationResult(key, "", None, "queued", detail="waiting in the worker's invocation queue")
    done = known.completed_at is not None
    return InvocationResult(key, known.function_name, known.response, "completed" if done else summary.status,
                            detail=None if done else f"invocation {key} is not finished")


def drain(worker: Queueing, run: Callable[[str, tuple[str, ...], str], InvocationResult]) -> None:
    """Run the queued invocations in order with `run(function, request, key)`, until the queue is empty or
    one does not complete (it suspended: the rest wait for the worker again)."""
    while True:
        waiting = worker.store.queued(worker.name)
        if not waiting:
            return
        key, function, request = waiting[0]
        if key in worker.summary().invocations:  # it started before a crash: recovery continues it
            worker.store.dequeue(worker.name, key)
            continue
        result = run(function, request, key)
        worker.store.dequeue(worker.name, key)
        if result.status != "completed":
            return
