"""golem:durability/durability (1.2.x): the durability machinery a guest library drives for its own functions.

Golem's `DurabilityHost` (golem-worker-executor durable_host/durability.rs) with our Durability helper
underneath: begin/end open and close remote-write brackets exactly as built-in host functions do, persist
appends an ImportedFunctionInvoked, read consumes the next one. As in Golem the host does not compare the
function name on read (the guest library does); unlike Golem it refuses to persist while replaying or to read
while live, instead of appending to or reading past the end of the oplog.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from wasmtime.component import Record, ResourceHost, Variant

from emulator.errors import GuestTrap, NondeterminismError
from emulator.host import _convert as cv
from emulator.host import _resources as res
from emulator.host import _witvalue
from emulator.host.context import HostContext
from emulator.host.io.objects import Pollable
from emulator.oplog.entries import DurableFunctionType, ImportedFunctionInvoked, Json
from emulator.replay.state import describe

_COMMITTING = frozenset({"write-remote", "write-remote-batched"})
_TYPED = "value-and-type"
_RAW = "bytes"


def function_type(v: Any) -> DurableFunctionType:
    """Our DurableFunctionType from a `wrapped-function-type` value."""
    kind = cv.tag(v)
    if kind == "write-remote-batched":
        begin = v.payload if isinstance(v, Variant) else None
        return DurableFunctionType(kind, None if begin is None else int(begin))
    return DurableFunctionType(kind)


def function_type_value(t: DurableFunctionType) -> Variant:
    """The `wrapped-function-type` value of one of ours."""
    return Variant(t.kind, t.begin_index) if t.kind == "write-remote-batched" else Variant(t.kind)


def datetime(timestamp_ms: int) -> Record:
    """A wasi:clocks `datetime` from an oplog timestamp."""
    return cv.record(seconds=timestamp_ms // 1000, nanoseconds=(timestamp_ms % 1000) * 1_000_000)


def observe_function_call(ctx: HostContext, iface: str, function: str) -> None:
    return None  # Golem only counts the call in its metrics


def begin_durable_function(ctx: HostContext, ft: Any) -> int:
    return ctx.durability.begin_function(function_type(ft))


def end_durable_function(ctx: HostContext, ft: Any, begin: int, forced_commit: bool) -> None:
    t = function_type(ft)
    ctx.durability.end_function(t, int(begin))
    if t.kind in _COMMITTING or forced_commit:
        ctx.oplog.commit()  # nothing is buffered while replaying, so this only acts live


def current_durable_execution_state(ctx: HostContext) -> Record:
    d = ctx.durability
    return cv.record(is_live=ctx.replay.is_live(), persistence_level=cv.variant(d.persistence_level.value))


def _persist(ctx: HostContext, name: str, request: Json, response: Json, ft: Any) -> None:
    if not ctx.replay.is_live():
        raise GuestTrap(
            f"persist of durable function {name!r} while replaying: only a live worker persists; "
            "check current-durable-execution-state first (golem:durability)"
        )
    # The guest's response is the result as it chose to persist it: an Ok result to us.
    ctx.durability.persist(name, function_type(ft), request, {"ok": response})


def persist_durable_function_invocation(ctx: HostContext, name: str, request: bytes, response: bytes,
                                        ft: Any) -> None:
    _persist(ctx, name, {_RAW: cv.b64(request)}, {_RAW: cv.b64(response)}, ft)


def persist_typed_durable_function_invocation(ctx: HostContext, name: str, request: Any, response: Any,
                                              ft: Any) -> None:
    _persist(ctx, name, {_TYPED: _witvalue.to_json(request)}, {_TYPED: _witvalue.to_json(response)}, ft)


def _read(ctx: HostContext, what: str) -> tuple[int, ImportedFunctionInvoked, Json]:
    if ctx.durability.persist_nothing:
        raise GuestTrap("Trying to replay a durable invocation in a PersistNothing block")
    if ctx.replay.is_live():
        raise GuestTrap(f"{what} while live: there is nothing left to replay; "
                        "check current-durable-execution-state first (golem:durability)")
    idx, entry = ctx.replay.next_entry()
    if not isinstance(entry, ImportedFunctionInvoked):
        raise NondeterminismError(idx, describe(entry), f"imported-function-invoked ({what})")
    return idx, entry, entry.response


def _persisted(response: Json, form: str) -> Json | None:
    """The guest's own persisted value of `form` (bytes or value-and-type), None for any other entry."""
    if isinstance(response, dict) and set(response) == {"ok"}:
        inner = response["ok"]
        if isinstance(inner, dict) and set(inner) == {form}:
            return inner[form]
    return None


def _invocation(entry: ImportedFunctionInvoked, response: Any) -> Record:
    return cv.record(timestamp=datetime(entry.timestamp), function_name=entry.function_name, response=response,
                     function_type=function_type_value(entry.function_type), entry_version="v2")


def read_persisted_durable_function_invocation(ctx: HostContext) -> Record:
    _, entry, response = _read(ctx, "read-persisted-durable-function-invocation")
    raw = _persisted(response, _RAW)
    # Any other entry (a built-in host call's, a typed one): its whole result, Ok or Err, as JSON text.
    data = cv.unb64(str(raw)) if raw is not None else json.dumps(response, sort_keys=True).encode()
    return _invocation(entry, data)


def read_persisted_typed_durable_function_invocation(ctx: HostContext) -> Record:
    idx, entry, response = _read(ctx, "read-persisted-typed-durable-function-invocation")
    typed = _persisted(response, _TYPED)
    if typed is None:
        raise GuestTrap(f"oplog index {idx}: {entry.function_name} was not persisted as a value-and-type; "
                        "read it with read-persisted-durable-function-invocation")
    return _invocation(entry, _witvalue.from_json(typed))


# -- lazy-initialized-pollable ----------------------------------------------------------------------------


class LazyPollable:
    """The pollable a guest may attach later; until then whatever subscribes to it is ready at once."""

    def __init__(self) -> None:
        self.inner: Pollable | None = None


class _LazyView(Pollable):
    def __init__(self, lazy: LazyPollable) -> None:
        self.lazy = lazy

    def ready(self) -> bool:
        return True if self.lazy.inner is None else self.lazy.inner.ready()

    def block(self) -> None:
        if self.lazy.inner is not None:
            self.lazy.inner.block()

    def deadline_ns(self) -> int | None:
        return None if self.lazy.inner is None else self.lazy.inner.deadline_ns()


def lazy_new(ctx: HostContext) -> ResourceHost:
    return res.own(ctx, "lazy-initialized-pollable", LazyPollable())


def lazy_set(ctx: HostContext, this: Any, pollable: Any) -> None:
    lazy: LazyPollable = res.get(ctx, this)
    lazy.inner = res.take(ctx, pollable)


def lazy_subscribe(ctx: HostContext, this: Any) -> ResourceHost:
    return res.own(ctx, "pollable", _LazyView(res.get(ctx, this)))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "observe-function-call": observe_function_call,
    "begin-durable-function": begin_durable_function,
    "end-durable-function": end_durable_function,
    "current-durable-execution-state": current_durable_execution_state,
    "persist-durable-function-invocation": persist_durable_function_invocation,
    "persist-typed-durable-function-invocation": persist_typed_durable_function_invocation,
    "read-persisted-durable-function-invocation": read_persisted_durable_function_invocation,
    "read-persisted-typed-durable-function-invocation": read_persisted_typed_durable_function_invocation,
    "[constructor]lazy-initialized-pollable": lazy_new,
    "[method]lazy-initialized-pollable.set": lazy_set,
    "[method]lazy-initialized-pollable.subscribe": lazy_subscribe,
}
