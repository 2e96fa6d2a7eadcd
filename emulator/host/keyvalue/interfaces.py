"""wasi:keyvalue 0.1.0 over the data directory's shared SQLite storage, durable as Golem makes it.

Golem journals the bucket operations and nothing else: get, exists, get-many and keys as ReadRemote,
set, delete, set-many and delete-many as WriteRemote (so a replay reads the recorded answer and never
touches the storage again); opening a bucket and the value resources are local. Buckets are shared by
every worker of the data directory. Journal names are Golem's ("golem keyvalue::eventual::get", ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.host import _convert as cv
from emulator.host import _resources as res
from emulator.host._shapes import err, ok
from emulator.host.context import HostContext
from emulator.oplog.entries import READ_REMOTE, WRITE_REMOTE, DurableFunctionType
from emulator.storage.shared import SharedStorage

EVENTUAL = "golem keyvalue::eventual"
BATCH = "golem keyvalue::eventual_batch"


class Bucket:
    """An opened bucket: just its name (Golem checks nothing when opening)."""

    def __init__(self, name: str) -> None:
        self.name = name


class OutgoingValue:
    """A value being written: the guest fills it, then passes it to set."""

    def __init__(self) -> None:
        self.body = b""


class IncomingValue:
    """A value read by get: the guest consumes it."""

    def __init__(self, body: bytes) -> None:
        self.body = body


class KvError:
    """A wasi:keyvalue error resource: its trace is the message."""

    def __init__(self, message: str) -> None:
        self.message = message


def _storage(ctx: HostContext) -> SharedStorage:
    if ctx.data_dir is None:
        raise KvUnavailable("wasi:keyvalue needs a data directory (golem-emu --data-dir)")
    return SharedStorage.at(ctx.data_dir)


class KvUnavailable(Exception):
    """No data directory to keep buckets in."""


def _journaled(ctx: HostContext, name: str, kind: DurableFunctionType, request: Any,
               run: Callable[[], Any]) -> Any:
    """Run a bucket operation live (journaling its ok value or error text) or replay it: ok(v) / err(error)."""
    def live() -> Any:
        try:
            return {"ok": run()}
        except Exception as e:  # a storage failure is the guest's error value, journaled like a result
            return {"err": f"{type(e).__name__}: {e}"}

    answer = ctx.durability.call(name, kind, request, live)
    if "err" in answer:
        return err(res.own(ctx, "error", KvError(str(answer["err"]))))
    return ok(answer["ok"])


def _bucket(ctx: HostContext, handle: Any) -> str:
    bucket: Bucket = res.get(ctx, handle)
    return bucket.name


# -- wasi:keyvalue/types ------------------------------------------------------------------------------------


def open_bucket(ctx: HostContext, name: str) -> Any:
    return ok(res.own(ctx, "bucket", Bucket(name)))


def new_outgoing_value(ctx: HostContext) -> Any:
    return res.own(ctx, "outgoing-value", OutgoingValue())


def outgoing_value_write_body_sync(ctx: HostContext, self: Any, value: bytes) -> Any:
    res.get(ctx, self).body = bytes(value)
    return ok()


def incoming_value_consume_sync(ctx: HostContext, self: Any) -> Any:
    return ok(res.get(ctx, self).body)


def incoming_value_size(ctx: HostContext, self: Any) -> Any:
    return ok(len(res.get(ctx, self).body))


def error_trace(ctx: HostContext, self: Any) -> str:
    error: KvError = res.get(ctx, self)
    return error.message


# -- wasi:keyvalue/eventual ---------------------------------------------------------------------------------


def get(ctx: HostContext, bucket: Any, key: str) -> Any:
    name = _bucket(ctx, bucket)

    def run() -> str | None:
        value = _storage(ctx).get(name, key)
        return None if value is None else cv.b64(value)

    answer = _journaled(ctx, f"{EVENTUAL}::get", READ_REMOTE, [name, key], run)
    if answer.tag == "ok" and answer.payload is not None:
        return ok(res.own(ctx, "incoming-value", IncomingValue(cv.unb64(answer.payload))))
    return answer


def set_(ctx: HostContext, bucket: Any, key: str, outgoing: Any) -> Any:
    name, value = _bucket(ctx, bucket), res.get(ctx, outgoing).body
    return _journaled(ctx, f"{EVENTUAL}::set", WRITE_REMOTE, [name, key, cv.b64(value)],
                      lambda: _storage(ctx).set(name, key, value))


def delete(ctx: HostContext, bucket: Any, key: str) -> Any:
    name = _bucket(ctx, bucket)
    return _journaled(ctx, f"{EVENTUAL}::delete", WRITE_REMOTE, [name, key],
                      lambda: _storage(ctx).delete(name, [key]))


def exists(ctx: HostContext, bucket: Any, key: str) -> Any:
    name = _bucket(ctx, bucket)
    return _journaled(ctx, f"{EVENTUAL}::exists", READ_REMOTE, [name, key],
                      lambda: _storage(ctx).get(name, key) is not None)


# -- wasi:keyvalue/eventual-batch ---------------------------------------------------------------------------


def get_many(ctx: HostContext, bucket: Any, keys: list[str]) -> Any:
    name = _bucket(ctx, bucket)

    def run() -> list[str | None]:
        storage = _storage(ctx)
        return [None if (v := storage.get(name, k)) is None else cv.b64(v) for k in keys]

    answer = _journaled(ctx, f"{BATCH}::get_many", READ_REMOTE, [name, list(keys)], run)
    if answer.tag != "ok":
        return answer
    return ok([None if v is None else res.own(ctx, "incoming-value", IncomingValue(cv.unb64(v)))
               for v in answer.payload])


def keys(ctx: HostContext, bucket: Any) -> Any:
    name = _bucket(ctx, bucket)
    return _journaled(ctx, f"{BATCH}::get_keys", READ_REMOTE, name, lambda: _storage(ctx).keys(name))


def set_many(ctx: HostContext, bucket: Any, key_values: list[tuple[str, Any]]) -> Any:
    name = _bucket(ctx, bucket)
    pairs = [(str(k), res.get(ctx, v).body) for k, v in key_values]
    return _journaled(ctx, f"{BATCH}::set_many", WRITE_REMOTE, [name, [[k, cv.b64(v)] for k, v in pairs]],
                      lambda: _storage(ctx).set_many(name, pairs))


def delete_many(ctx: HostContext, bucket: Any, keys: list[str]) -> Any:
    name = _bucket(ctx, bucket)
    return _journaled(ctx, f"{BATCH}::delete_many", WRITE_REMOTE, [name, list(keys)],
                      lambda: _storage(ctx).delete(name, list(keys)))


TYPES: dict[str, Callable[..., Any]] = {
    "[static]bucket.open-bucket": open_bucket,
    "[static]outgoing-value.new-outgoing-value": new_outgoing_value,
    "[method]outgoing-value.outgoing-value-write-body-sync": outgoing_value_write_body_sync,
    "[method]incoming-value.incoming-value-consume-sync": incoming_value_consume_sync,
    "[method]incoming-value.incoming-value-size": incoming_value_size,
}
ERROR: dict[str, Callable[..., Any]] = {"[method]error.trace": error_trace}
EVENTUAL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "get": get, "set": set_, "delete": delete, "exists": exists,
}
BATCH_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "get-many": get_many, "keys": keys, "set-many": set_many, "delete-many": delete_many,
}
