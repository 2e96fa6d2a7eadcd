"""What `golem-emu show` and the TUI tell about one worker, gathered without loading its whole oplog."""

from __future__ import annotations

from typing import Any

from emulator.errors import OplogError
from emulator.inspect.index import OplogIndex
from emulator.lifecycle.status import WorkerSummary, fold
from emulator.oplog.entries import ChangeRetryPolicy, Create, Error, ExportedFunctionInvoked
from emulator.oplog.kinds import EntryKind
from emulator.oplog.store import OplogStore, Store
from emulator.replay.state import REGION_KINDS, SkippedRegions

__all__ = ["owned_resources", "replicas", "worker_facts"]


def worker_facts(store: Store, name: str, index: OplogIndex | None = None) -> dict[str, Any]:
    """Status, component, env, invocations (and those queued), retry state, pending promises and replicas of
    worker ``name``.

    ``index`` may be one the caller already built (it is brought up to date); every value is JSON-able.
    """
    if index is None:
        index = OplogIndex(name)
    index.update(store)
    if index.length == 0:
        raise OplogError(f"worker {name!r} has no oplog")
    create = store.entry(name, 1)
    assert isinstance(create, Create)
    with index.lock:
        status, trailing = index.status(), index.trailing_errors()
        error_at, policy_at = index.last_error(), index.last_retry_policy()
        inv = index.lanes["invocation"]
        completed, open_starts = inv.closed_count(), inv.open_starts()
        noops = [i for i in index.noops if not index.is_skipped(i)]
        length, last_ts = index.length, index.last_timestamp
    facts: dict[str, Any] = {
        "name": name,
        "status": status,
        "component": create.component,
        "component_hash": create.component_hash,
        "component_version": create.component_version,
        "semantics": create.semantics,
        "args": list(create.args),
        "env": {k: v for k, v in create.env},
        "parent": create.parent,
        "created_at": create.timestamp,
        "last_activity": last_ts,
        "oplog_length": length,
        "invocations": {"completed": completed, "open": None},
        "retry": _retry_state(store, name, trailing, error_at, policy_at),
        "pending_promises": _pending_promises(store, name, noops),
        "replicas": replicas(store, name, length),
        "resources": owned_resources(store, name),
        "queued": [{"idempotency_key": k, "function": f} for k, f, _ in store.queued(name)],
    }
    if open_starts:
        started = store.entry(name, open_starts[-1])
        if isinstance(started, ExportedFunctionInvoked):
            facts["invocations"]["open"] = {"index": open_starts[-1], "function": started.function_name,
                                            "idempotency_key": started.idempotency_key}
    return facts


_RESOURCE_KINDS = (EntryKind.CREATE_RESOURCE, EntryKind.DESCRIBE_RESOURCE, EntryKind.DROP_RESOURCE)


def owned_resources(store: Store, name: str) -> list[dict[str, Any]]:
    """Golem's owned_resources of a worker: the exported resources it holds, in id order, each with the
    indexed name (`counter("c1")`) an indexed invocation gave it; read by kind, honouring skipped regions."""
    indexed = store.read_kinds(name, (*REGION_KINDS, *_RESOURCE_KINDS))
    skipped = SkippedRegions.from_indexed(indexed)
    s = WorkerSummary()
    fold(s, [e for i, e in indexed if not skipped.contains(i) and e.kind in _RESOURCE_KINDS], 1, SkippedRegions())
    return [{"id": rid, "indexed": None if key is None else {"resource_name": key[0], "resource_params": list(key[1])}}
            for rid, key in sorted(s.owned_resources.items())]


def _retry_state(store: OplogStore, name: str, trailing: int, error_at: int | None,
                 policy_at: int | None) -> dict[str, Any]:
    state: dict[str, Any] = {"policy": None, "policy_index": policy_at, "trailing_errors": trailing,
                             "last_error": None, "last_error_index": error_at}
    if policy_at is not None:
        policy = store.entry(name, policy_at)
        assert isinstance(policy, ChangeRetryPolicy)
        state["policy"] = {"max_attempts": policy.max_attempts, "min_delay_ns": policy.min_delay_ns,
                           "max_delay_ns": policy.max_delay_ns, "multiplier": policy.multiplier,
                           "max_jitter_factor": policy.max_jitter_factor}
    if error_at is not None:
        error = store.entry(name, error_at)
        assert isinstance(error, Error)
        state["last_error"] = error.error
        state["last_error_retriable"] = error.retriable
    return state


def _pending_promises(store: OplogStore, name: str, noops: list[int]) -> list[int]:
    # A promise's id is the index of the NoOp its create-promise wrote; most NoOps are plain get-oplog-index.
    pending = []
    for idx in noops:
        state = store.promise_state(name, idx)
        if state is not None and state.state == "pending":
            pending.append(idx)
    return pending


def replicas(store: Store, worker: str, last_index: int) -> list[dict[str, Any]]:
    """The replicas of ``worker``'s oplog as the store reports them, each with how far it lags behind."""
    return [{"name": r.name, "last_index": r.last_index, "lag": max(0, last_index - r.last_index),
             "delay": r.delay, "partition": r.partition} for r in store.replicas(worker)]
