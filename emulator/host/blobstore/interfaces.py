"""wasi:blobstore over the data directory's shared SQLite storage, durable as Golem makes it.

Golem journals every container operation: creating, deleting, copying and moving containers or objects
and writing data as WriteRemote, the rest (get-container, container-exists, get-data, has-object,
object-info, list-objects) as ReadRemote; the value resources are local. Journal names are Golem's
("golem blobstore::blobstore::create_container", "golem blobstore::container::get_data", ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.host import _convert as cv
from emulator.host import _resources as res
from emulator.host._shapes import err, ok
from emulator.host.context import HostContext
from emulator.host.io.objects import OutputStream
from emulator.oplog.entries import READ_REMOTE, WRITE_REMOTE, DurableFunctionType
from emulator.storage.shared import SharedStorage

BLOBSTORE = "golem blobstore::blobstore"
CONTAINER = "golem blobstore::container"


class Container:
    """An opened container: its name and creation time (ms)."""

    def __init__(self, name: str, created_at: int) -> None:
        self.name = name
        self.created_at = created_at


class OutgoingValue:
    """Data being written: filled through its output-stream, then passed to write-data."""

    def __init__(self) -> None:
        self.body = bytearray()


class _Body(OutputStream):
    """The output-stream of an outgoing-value: appends to its body."""

    def __init__(self, value: OutgoingValue) -> None:
        self.value = value

    def write(self, data: bytes) -> None:
        self.value.body += data


class IncomingValue:
    """Data read by get-data."""

    def __init__(self, body: bytes) -> None:
        self.body = body


class BlobError(Exception):
    """A blobstore failure the guest sees as its error string."""


def _storage(ctx: HostContext) -> SharedStorage:
    if ctx.data_dir is None:
        raise BlobError("wasi:blobstore needs a data directory (golem-emu --data-dir)")
    return SharedStorage.at(ctx.data_dir)


def _journaled(ctx: HostContext, name: str, kind: DurableFunctionType, request: Any,
               run: Callable[[], Any]) -> Any:
    """ok(value) or err(message), live (journaled) or replayed."""
    def live() -> Any:
        try:
            return {"ok": run()}
        except Exception as e:
            return {"err": str(e) if isinstance(e, BlobError) else f"{type(e).__name__}: {e}"}

    answer = ctx.durability.call(name, kind, request, live)
    return err(str(answer["err"])) if "err" in answer else ok(answer["ok"])


def _created(ctx: HostContext, name: str) -> int:
    created = _storage(ctx).container_created(name)
    if created is None:
        raise BlobError(f"container {name} does not exist")
    return created


# -- wasi:blobstore/blobstore -------------------------------------------------------------------------------


def _opened(ctx: HostContext, name: str, answer: Any) -> Any:
    return answer if answer.tag != "ok" else ok(res.own(ctx, "container", Container(name, int(answer.payload))))


def create_container(ctx: HostContext, name: str) -> Any:
    def run() -> int:
        created = _storage(ctx).create_container(name)
        if created is None:
            raise BlobError(f"container {name} already exists")
        return created

    return _opened(ctx, name, _journaled(ctx, f"{BLOBSTORE}::create_container", WRITE_REMOTE, name, run))


def get_container(ctx: HostContext, name: str) -> Any:
    return _opened(ctx, name, _journaled(ctx, f"{BLOBSTORE}::get_container", READ_REMOTE, name,
                                         lambda: _created(ctx, name)))


def delete_container(ctx: HostContext, name: str) -> Any:
    return _journaled(ctx, f"{BLOBSTORE}::delete_container", WRITE_REMOTE, name,
                      lambda: _storage(ctx).delete_container(name))


def container_exists(ctx: HostContext, name: str) -> Any:
    return _journaled(ctx, f"{BLOBSTORE}::container_exists", READ_REMOTE, name,
                      lambda: _storage(ctx).container_created(name) is not None)


def _copy(ctx: HostContext, src: Any, dest: Any, move: bool) -> None:
    storage = _storage(ctx)
    found = storage.read_object(src.container, src.object)
    if found is None:
        raise BlobError(f"object {src.object} does not exist in container {src.container}")
    _created(ctx, dest.container)
    storage.write_object(dest.container, dest.object, found[0])
    if move:
        storage.delete_objects(src.container, [src.object])


def copy_object(ctx: HostContext, src: Any, dest: Any) -> Any:
    return _journaled(ctx, f"{BLOBSTORE}::copy_object", WRITE_REMOTE, [src.container, src.object,
                      dest.container, dest.object], lambda: _copy(ctx, src, dest, move=False))


def move_object(ctx: HostContext, src: Any, dest: Any) -> Any:
    return _journaled(ctx, f"{BLOBSTORE}::move_object", WRITE_REMOTE, [src.container, src.object,
                      dest.container, dest.object], lambda: _copy(ctx, src, dest, move=True))


# -- wasi:blobstore/container -------------------------------------------------------------------------------


def name(ctx: HostContext, self: Any) -> Any:
    return ok(res.get(ctx, self).name)


def info(ctx: HostContext, self: Any) -> Any:
    c: Container = res.get(ctx, self)
    return ok(cv.record(name=c.name, created_at=c.created_at))


def get_data(ctx: HostContext, self: Any, object_name: str, start: int, end: int) -> Any:
    c: Container = res.get(ctx, self)

    def run() -> str:
        found = _storage(ctx).read_object(c.name, object_name)
        if found is None:
            raise BlobError(f"object {object_name} does not exist in container {c.name}")
        return cv.b64(found[0][start:end + 1])

    answer = _journaled(ctx, f"{CONTAINER}::get_data", READ_REMOTE, [c.name, object_name, start, end], run)
    return answer if answer.tag != "ok" else ok(res.own(ctx, "incoming-value", IncomingValue(cv.unb64(answer.payload))))


def write_data(ctx: HostContext, self: Any, object_name: str, data: Any) -> Any:
    c: Container = res.get(ctx, self)
    body = bytes(res.get(ctx, data).body)
    return _journaled(ctx, f"{CONTAINER}::write_data", WRITE_REMOTE, [c.name, object_name, len(body)],
                      lambda: _storage(ctx).write_object(c.name, object_name, body))


def has_object(ctx: HostContext, self: Any, object_name: str) -> Any:
    c: Container = res.get(ctx, self)
    return _journaled(ctx, f"{CONTAINER}::has_object", READ_REMOTE, [c.name, object_name],
                      lambda: _storage(ctx).read_object(c.name, object_name) is not None)


def object_info(ctx: HostContext, self: Any, object_name: str) -> Any:
    c: Container = res.get(ctx, self)

    def run() -> list[int]:
        found = _storage(ctx).read_object(c.name, object_name)
        if found is None:
            raise BlobError(f"object {object_name} does not exist in container {c.name}")
        return [found[1], len(found[0])]

    answer = _journaled(ctx, f"{CONTAINER}::object_info", READ_REMOTE, [c.name, object_name], run)
    if answer.tag != "ok":
        return answer
    created, size = answer.payload
    return ok(cv.record(name=object_name, container=c.name, created_at=created, size=size))


def delete_object(ctx: HostContext, self: Any, object_name: str) -> Any:
    c: Container = res.get(ctx, self)
    return _journaled(ctx, f"{CONTAINER}::delete_object", WRITE_REMOTE, [c.name, object_name],
                      lambda: _storage(ctx).delete_objects(c.name, [object_name]))


def delete_objects(ctx: HostContext, self: Any, names: list[str]) -> Any:
    c: Container = res.get(ctx, self)
    return _journaled(ctx, f"{CONTAINER}::delete_objects", WRITE_REMOTE, [c.name, list(names)],
                      lambda: _storage(ctx).delete_objects(c.name, list(names)))


def clear(ctx: HostContext, self: Any) -> Any:
    c: Container = res.get(ctx, self)

    def run() -> None:
        storage = _storage(ctx)
        storage.delete_objects(c.name, storage.object_names(c.name))

    return _journaled(ctx, f"{CONTAINER}::clear", WRITE_REMOTE, c.name, run)


# -- wasi:blobstore/types -----------------------------------------------------------------------------------


def new_outgoing_value(ctx: HostContext) -> Any:
    return res.own(ctx, "outgoing-value", OutgoingValue())


def outgoing_value_write_body(ctx: HostContext, self: Any) -> Any:
    return ok(res.own(ctx, "output-stream", _Body(res.get(ctx, self))))


def incoming_value_consume_sync(ctx: HostContext, self: Any) -> Any:
    return ok(res.get(ctx, self).body)


def incoming_value_size(ctx: HostContext, self: Any) -> int:
    return len(res.get(ctx, self).body)


BLOBSTORE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "create-container": create_container, "get-container": get_container, "delete-container": delete_container,
    "container-exists": container_exists, "copy-object": copy_object, "move-object": move_object,
}
CONTAINER_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "[method]container.name": name, "[method]container.info": info, "[method]container.get-data": get_data,
    "[method]container.write-data": write_data, "[method]container.has-object": has_object,
    "[method]container.object-info": object_info, "[method]container.delete-object": delete_object,
    "[method]container.delete-objects": delete_objects, "[method]container.clear": clear,
}
TYPES: dict[str, Callable[..., Any]] = {
    "[static]outgoing-value.new-outgoing-value": new_outgoing_value,
    "[method]outgoing-value.outgoing-value-write-body": outgoing_value_write_body,
    "[method]incoming-value.incoming-value-consume-sync": incoming_value_consume_sync,
    "[method]incoming-value.size": incoming_value_size,
}
