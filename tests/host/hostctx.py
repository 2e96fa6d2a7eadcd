"""Real host contexts for host-module tests: an SQLite oplog, a replay cursor over it, a durability helper."""

from __future__ import annotations

import uuid
from typing import Any

from wasmtime.component import Variant

from emulator.host.context import HostContext, WorkerInfo
from emulator.oplog.entries import Create, ImportedFunctionInvoked, OplogEntry
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import SqliteStore
from emulator.replay.durability import Durability
from emulator.replay.state import ReplayState


def make_ctx(store: SqliteStore, worker: str = "w", **info: Any) -> HostContext:
    """A context over the worker's oplog as committed now: live if only Create is there, else replaying."""
    if not store.has_worker(worker):
        Oplog.create(store, Create(worker_name=worker, component="t", component_hash="0" * 64))
    oplog = Oplog(store, worker)
    replay = ReplayState([e for _, e in oplog.read()])
    fields: dict[str, Any] = {
        "name": worker, "component_uuid": uuid.UUID(int=7), "component_version": 0, "args": (), "env": (),
        "created_at": 0, **info,
    }
    return HostContext(worker=WorkerInfo(**fields), durability=Durability(oplog, replay), store=store)


def entries(ctx: HostContext) -> list[OplogEntry]:
    """Every entry after Create, committed or buffered."""
    return [e for _, e in ctx.oplog.read(2)]


def journaled(ctx: HostContext) -> list[str]:
    """Function names of the ImportedFunctionInvoked entries after Create."""
    return [e.function_name for e in entries(ctx) if isinstance(e, ImportedFunctionInvoked)]


def ok(v: Any) -> Any:
    """The payload of a canonical ok, failing the test on anything else."""
    assert isinstance(v, Variant) and v.tag == "ok", v
    return v.payload


def stream_error(v: Any) -> Variant:
    """The stream-error of a canonical err."""
    assert isinstance(v, Variant) and v.tag == "err", v
    payload = v.payload
    assert isinstance(payload, Variant)
    return payload
