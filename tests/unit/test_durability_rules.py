"""One durability rule for every entry a host function writes (replay/rules.py, semantics §7), shown through the
host functions themselves over a real SQLite oplog: which entries a live call leaves under golem-1.1 and
golem-1.2, at the default level and inside persist-nothing, and that snapshotting leaves none at all."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from wasmtime.component import Variant

from emulator.host import _convert as cv
from emulator.host.cli import interfaces as wasi_cli
from emulator.host.clocks import interfaces as clocks
from emulator.host.context import HostContext, WorkerInfo, host_context
from emulator.host.golem import host as golem
from emulator.lifecycle.retry import DEFAULT_POLICY
from emulator.oplog.entries import WRITE_REMOTE_BATCHED, Create
from emulator.oplog.kinds import EntryKind, PersistenceLevel, Semantics
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import SqliteStore
from emulator.replay.rules import HOST_WRITTEN
from emulator.signals import JumpSignal


def _bracket(ctx: HostContext) -> None:
    d = ctx.durability  # what wasi:http's handle and the release of its last resource do
    d.end_function(WRITE_REMOTE_BATCHED, d.begin_function(WRITE_REMOTE_BATCHED))


def _jump(ctx: HostContext) -> None:
    try:
        golem.set_oplog_index(ctx, 1)
    except JumpSignal:
        pass


# For each kind a host function writes: a guest call that makes it write one.
WRITERS: dict[EntryKind, Callable[[HostContext], object]] = {
    EntryKind.IMPORTED_FUNCTION_INVOKED: clocks.WALL_CLOCK["now"],
    EntryKind.BEGIN_REMOTE_WRITE: _bracket,
    EntryKind.END_REMOTE_WRITE: _bracket,
    EntryKind.CHANGE_PERSISTENCE_LEVEL: lambda ctx: golem.set_oplog_persistence_level(
        ctx, Variant("persist-remote-side-effects")),
    EntryKind.BEGIN_ATOMIC_REGION: golem.mark_begin_operation,
    EntryKind.END_ATOMIC_REGION: lambda ctx: golem.mark_end_operation(ctx, 2),
    EntryKind.CHANGE_RETRY_POLICY: lambda ctx: golem.set_retry_policy(ctx, cv.retry_policy_record(DEFAULT_POLICY)),
    EntryKind.NO_OP: golem.get_oplog_index,
    EntryKind.JUMP: _jump,
    EntryKind.LOG: lambda ctx: wasi_cli.emit_log(ctx, "stdout", "", "hello\n"),
}

# What the spec says a live call leaves in the oplog (semantics §7.1, §7.2, §6.1, §4.8, §5, §11.1).
NOT_RECORDED_IN_GOLEM_1_1_PERSIST_NOTHING = {
    EntryKind.IMPORTED_FUNCTION_INVOKED, EntryKind.BEGIN_REMOTE_WRITE, EntryKind.END_REMOTE_WRITE,
}


def expected(kind: EntryKind, semantics: Semantics, level: PersistenceLevel) -> bool:
    if kind is EntryKind.CHANGE_PERSISTENCE_LEVEL:
        return semantics is Semantics.GOLEM_1_2  # golem-1.1 changes the level in memory only
    if semantics is Semantics.GOLEM_1_1 and level is PersistenceLevel.PERSIST_NOTHING:
        return kind not in NOT_RECORDED_IN_GOLEM_1_1_PERSIST_NOTHING
    return True


def live_ctx(tmp_path: Path, semantics: Semantics) -> HostContext:
    store = SqliteStore(tmp_path / "oplog.db")
    oplog = Oplog.create(store, Create(worker_name="w", component="t", component_hash="0" * 64,
                                       semantics=semantics))
    info = WorkerInfo(name="w", component_uuid=uuid.UUID(int=7), component_version=0, args=(), env=(),
                      created_at=0)
    ctx = host_context(info, oplog, store, semantics=semantics)
    ctx.durability.assume_idempotence = True
    return ctx


def kinds_written(ctx: HostContext) -> list[str]:
    return [e.kind for _, e in ctx.oplog.read(2)]


def test_every_kind_a_host_writes_has_a_writer_here() -> None:
    assert set(WRITERS) == HOST_WRITTEN


@pytest.mark.parametrize("kind", sorted(WRITERS))
@pytest.mark.parametrize("semantics", list(Semantics))
@pytest.mark.parametrize("level", [PersistenceLevel.SMART, PersistenceLevel.PERSIST_NOTHING])
def test_a_live_call_writes_its_entry_as_the_spec_says(
    tmp_path: Path, kind: EntryKind, semantics: Semantics, level: PersistenceLevel,
) -> None:
    ctx = live_ctx(tmp_path, semantics)
    ctx.durability.persistence_level = level
    WRITERS[kind](ctx)
    assert (kind in kinds_written(ctx)) == expected(kind, semantics, level), kinds_written(ctx)


@pytest.mark.parametrize("kind", sorted(WRITERS))
@pytest.mark.parametrize("semantics", list(Semantics))
def test_nothing_is_written_while_snapshotting(tmp_path: Path, kind: EntryKind, semantics: Semantics) -> None:
    ctx = live_ctx(tmp_path, semantics)
    ctx.durability.snapshotting = True
    WRITERS[kind](ctx)
    ctx.oplog.commit()
    assert kinds_written(ctx) == []
