"""golem:api/oplog (1.1.x): a guest pages through, or searches, a worker's oplog in Golem's public form.

As Golem's `HostGetOplog`/`HostSearchOplog`: pages of 100 raw entries (skipped and reverted regions
included), searches with the oplog query language (`emulator.query`, as `golem-emu oplog --query`). Values
golem-emu journals as JSON (host-call requests and responses, WAVE text of invocations) reach the guest as
string wit-values; values a guest persisted with a value-and-type come back as its own wit-value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmtime.component import Record, ResourceHost, Variant

from emulator.errors import GuestTrap, UsageError
from emulator.host import _convert as cv
from emulator.host import _resources as res
from emulator.host import _witvalue
from emulator.host.context import HostContext
from emulator.host.golem.durability import datetime, function_type_value
from emulator.inspect import query
from emulator.oplog import entries as e

PAGE = 100  # entries per get-next, as Golem


def _create(ctx: HostContext, wid: Record, x: e.Create) -> Record:
    account = cv.record(value="golem-emu")
    # 1.1.6 names the account `account-id`; 1.1.7 `created-by` beside a project: a record may carry both.
    return cv.record(
        timestamp=datetime(x.timestamp), worker_id=wid, component_version=x.component_version,
        args=list(x.args), env=[tuple(kv) for kv in x.env], created_by=account, account_id=account,
        project_id=cv.record(uuid=cv.record(high_bits=0, low_bits=0)),
        parent=None if x.parent is None else cv.worker_id(cv.worker_id_parts(wid)[0], x.parent),
        component_size=0, initial_total_linear_memory_size=0, initial_active_plugins=[],
    )


def _response(x: e.ImportedFunctionInvoked) -> Record:
    r = x.response
    return _witvalue.wit_value_of(r["ok"] if isinstance(r, dict) and set(r) == {"ok"} else r)


def _invocation(x: e.PendingWorkerInvocation) -> Variant:
    return Variant("exported-function", cv.record(
        idempotency_key=x.idempotency_key, function_name=x.function_name,
        input=[_witvalue.string_wit_value(a) for a in x.request]))


def _update(x: e.PendingUpdate) -> Variant:
    if x.mode == "snapshot":
        return Variant("snapshot-based", cv.unb64(x.payload_b64 or ""))
    return Variant("auto-update")


def _params(ctx: HostContext, wid: Record, x: e.OplogEntry) -> Any:
    """The case payload of `x` in the public oplog-entry variant."""
    ts = datetime(x.timestamp)
    if isinstance(x, e.Create):
        return _create(ctx, wid, x)
    if isinstance(x, e.ImportedFunctionInvoked):
        return cv.record(timestamp=ts, function_name=x.function_name, request=_witvalue.wit_value_of(x.request),
                         response=_response(x), wrapped_function_type=function_type_value(x.function_type))
    if isinstance(x, e.ExportedFunctionInvoked):
        return cv.record(timestamp=ts, function_name=x.function_name,
                         request=[_witvalue.string_wit_value(a) for a in x.request],
                         idempotency_key=x.idempotency_key, trace_id="", trace_states=[], invocation_context=[])
    if isinstance(x, e.ExportedFunctionCompleted):
        return cv.record(timestamp=ts, consumed_fuel=x.consumed_fuel,
                         response=None if x.response is None else _witvalue.string_wit_value(x.response))
    if isinstance(x, e.Error):
        return cv.record(timestamp=ts, error=x.error)
    if isinstance(x, e.Jump | e.Revert):
        return cv.record(timestamp=ts, start=x.start, end=x.end)
    if isinstance(x, e.ChangeRetryPolicy):
        policy = {k: getattr(x, k) for k in
                  ("max_attempts", "min_delay_ns", "max_delay_ns", "multiplier", "max_jitter_factor")}
        return cv.record(timestamp=ts, retry_policy=cv.retry_policy_record(policy))
    if isinstance(x, e.EndAtomicRegion | e.EndRemoteWrite):
        return cv.record(timestamp=ts, begin_index=x.begin_index)
    if isinstance(x, e.PendingWorkerInvocation):
        return cv.record(timestamp=ts, invocation=_invocation(x))
    if isinstance(x, e.PendingUpdate):
        return cv.record(timestamp=ts, target_version=0, update_description=_update(x))
    if isinstance(x, e.SuccessfulUpdate):
        return cv.record(timestamp=ts, target_version=0, new_component_size=0, new_active_plugins=[])
    if isinstance(x, e.FailedUpdate):
        return cv.record(timestamp=ts, target_version=0, details=x.details)
    if isinstance(x, e.Log):
        return cv.record(timestamp=ts, level=x.level, context=x.context, message=x.message)
    if isinstance(x, e.CancelInvocation):
        return cv.record(timestamp=ts, idempotency_key=x.idempotency_key)
    if isinstance(x, e.ChangePersistenceLevel):
        return cv.record(timestamp=ts, persistence_level=cv.variant(str(x.level)))
    if isinstance(x, e.GrowMemory):
        return cv.record(timestamp=ts, delta=x.delta)
    if isinstance(x, e.CreateResource | e.DropResource):
        return cv.record(timestamp=ts, resource_id=x.id)
    if isinstance(x, e.DescribeResource):
        return cv.record(timestamp=ts, resource_id=x.id, resource_name=x.resource_name,
                         resource_params=[_witvalue.string_wit_value(p) for p in x.resource_params])
    return ts  # suspend, no-op, interrupted, exited, begin-atomic-region, begin-remote-write, restart


def public_entry(ctx: HostContext, wid: Record, entry: e.OplogEntry) -> Variant:
    """`entry` as a golem:api/oplog `oplog-entry` value."""
    return Variant(entry.kind, _params(ctx, wid, entry))


def _worker(ctx: HostContext, wid: Any) -> str:
    _component, name = cv.worker_id_parts(wid)
    if name != ctx.worker.name and not ctx.store.has_worker(name):
        raise GuestTrap(f"golem:api/oplog: there is no worker {name!r}")
    return name


def _last_index(ctx: HostContext, name: str) -> int:
    # Our own oplog may hold entries not yet committed; another worker's is read as stored.
    return ctx.oplog.current_index() if name == ctx.worker.name else ctx.store.last_index(name)


def _read(ctx: HostContext, name: str, start: int, end: int) -> list[tuple[int, e.OplogEntry]]:
    if name == ctx.worker.name:
        return ctx.oplog.read(start, end)
    return ctx.store.read(name, start, end)


def get_oplog_new(ctx: HostContext, wid: Any, start: int) -> ResourceHost:
    return res.own(ctx, "get-oplog", {"worker": _worker(ctx, wid), "wid": wid, "next": max(1, int(start))})


def get_oplog_next(ctx: HostContext, this: Any) -> list[Variant] | None:
    state = res.get(ctx, this)
    first, last = state["next"], _last_index(ctx, state["worker"])
    if first > last:
        return None
    end = min(last, first + PAGE - 1)
    state["next"] = end + 1
    return [public_entry(ctx, state["wid"], x) for _, x in _read(ctx, state["worker"], first, end)]


def search_oplog_new(ctx: HostContext, wid: Any, text: str) -> ResourceHost:
    try:
        q = query.parse(text)
    except UsageError as err:
        raise GuestTrap(f"golem:api/oplog search-oplog: {err}") from None
    return res.own(ctx, "search-oplog", {"worker": _worker(ctx, wid), "wid": wid, "query": q, "next": 1})


def search_oplog_next(ctx: HostContext, this: Any) -> list[tuple[int, Variant]] | None:
    state = res.get(ctx, this)
    last = _last_index(ctx, state["worker"])
    found: list[tuple[int, Variant]] = []
    while state["next"] <= last and len(found) < PAGE:
        first = state["next"]
        end = min(last, first + PAGE - 1)
        for i, x in _read(ctx, state["worker"], first, end):
            if len(found) == PAGE:
                break
            state["next"] = i + 1
            if state["query"].matches(i, x):
                found.append((i, public_entry(ctx, state["wid"], x)))
        else:
            state["next"] = end + 1
    return found or None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "[constructor]get-oplog": get_oplog_new,
    "[method]get-oplog.get-next": get_oplog_next,
    "[constructor]search-oplog": search_oplog_new,
    "[method]search-oplog.get-next": search_oplog_next,
}
