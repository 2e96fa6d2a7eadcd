"""A host function that fails is journaled as Golem journals it, its result's Err, and replay returns that Err
without running the function again (semantics §4.3), over a real SQLite oplog."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from emulator.errors import GuestTrap
from emulator.host import _convert as cv
from emulator.host.context import HostContext, WorkerInfo, host_context
from emulator.host.golem import host as golem
from emulator.oplog.entries import Create, ImportedFunctionInvoked
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import SqliteStore

INFO = WorkerInfo(name="w", component_uuid=uuid.UUID(int=7), component_version=0, args=(), env=(), created_at=0)


def ctx_over(store: SqliteStore) -> HostContext:
    """A host context over the oplog as committed: live if only Create is there, else replaying it."""
    if not store.has_worker("w"):
        Oplog.create(store, Create(worker_name="w", component="t", component_hash="0" * 64))
    return host_context(INFO, Oplog(store, "w"), store)


def test_an_err_is_recorded_live_and_returned_on_replay(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "oplog.db")
    missing = cv.promise_id(INFO.component_uuid, "w", 99)
    live = ctx_over(store)
    with pytest.raises(GuestTrap) as first:
        golem.poll_promise(live, missing)  # no promise 99: the live call fails
    live.oplog.commit()
    [(index, entry)] = [(i, e) for i, e in store.read("w") if isinstance(e, ImportedFunctionInvoked)]
    assert entry.function_name == "golem::api::poll_promise"
    assert entry.response == {"err": {"generic": {"message": "promise w/99 does not exist"}}}

    store.create_promise("w", 99)  # were the call run again, it would now answer "pending" (None)
    replaying = ctx_over(store)
    assert not replaying.replay.is_live()
    with pytest.raises(GuestTrap) as again:
        golem.poll_promise(replaying, missing)
    assert str(again.value) == str(first.value) == "promise w/99 does not exist"
    assert replaying.replay.last_replayed == index and replaying.replay.is_live()
    assert len([e for _, e in store.read("w") if isinstance(e, ImportedFunctionInvoked)]) == 1  # nothing new


def test_an_ok_recorded_is_returned_on_replay_as_before(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "oplog.db")
    store.create_promise("w", 5)
    pid = cv.promise_id(INFO.component_uuid, "w", 5)
    live = ctx_over(store)
    assert golem.poll_promise(live, pid) is None
    live.oplog.commit()
    store.complete_promise("w", 5, b"done")  # live it would now answer b"done"; replay keeps the record
    assert golem.poll_promise(ctx_over(store), pid) is None
