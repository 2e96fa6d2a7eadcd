"""What a host function may use: the worker's identity, its durability helper and its oplog."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import Unsupported
from emulator.oplog.entries import OplogEntry
from emulator.oplog.kinds import Semantics
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import Store
from emulator.replay.durability import Durability
from emulator.replay.state import ReplayState


@dataclass
class WorkerInfo:
    """Identity and configuration of a worker, as recorded in its Create entry."""

    name: str
    component_uuid: uuid.UUID
    component_version: int
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    created_at: int


@dataclass
class HostContext:
    """Per-instance state shared by every host module of one worker instance."""

    worker: WorkerInfo
    durability: Durability
    store: Store
    retry_policy: dict[str, Any] | None = None  # a set-retry-policy override, in oplog form
    idempotency_key: str | None = None  # key of the invocation being run
    list_workers: Callable[[], list[dict[str, Any]]] = field(default=lambda: [])
    resources: dict[int, Any] = field(default_factory=dict)
    trap_cause: Exception | None = None  # the first exception a host function raised in this call
    call_store: Any = None  # StoreContext of the host call in progress, to resolve resource handles
    # Shows guest output live: (stream or log level, text); called only for output that is journaled now.
    on_output: Callable[[str, str], None] | None = None
    sandbox: Path | None = None  # the worker's private directory, preopened as "/"; None: no filesystem
    data_dir: Path | None = None  # where shared storage (wasi:keyvalue, wasi:blobstore) lives; None: none
    # Workers forked by this invocation (fork, fork-worker): resumed once the invocation finishes.
    forked: list[str] = field(default_factory=list)
    # oplog-commit(n): blocks until n replicas hold the given index; None when the worker has no replicator.
    wait_for_replicas: Callable[[int, int], object] | None = None
    _next_resource: int = 1

    @property
    def oplog(self) -> Oplog:
        """The worker's oplog."""
        return self.durability.oplog

    @property
    def replay(self) -> ReplayState:
        """The worker's replay cursor."""
        return self.durability.replay

    def new_resource(self, value: Any) -> int:
        """Keep a host resource's state; returns its representation number."""
        rep = self._next_resource
        self._next_resource += 1
        self.resources[rep] = value
        return rep


def host_context(
    info: WorkerInfo, oplog: Oplog, store: Store, *, semantics: str = Semantics.GOLEM_1_1,
    entries: list[OplogEntry] | None = None, sandbox: Path | None = None, data_dir: Path | None = None,
    on_output: Callable[[str, str], None] | None = None,
    list_workers: Callable[[], list[dict[str, Any]]] | None = None,
) -> HostContext:
    """The one way a HostContext is wired: a replay cursor over the worker's entries (default: its whole oplog
    as it is now, so the context is live when nothing after Create is recorded) and the durability layer over
    that cursor, both following the worker's semantics profile."""
    recorded = [e for _, e in oplog.read()] if entries is None else entries
    replay = ReplayState(recorded, skip_persist_nothing_zones=Semantics(semantics) is Semantics.GOLEM_1_2)
    ctx = HostContext(worker=info, durability=Durability(oplog, replay, semantics), store=store,
                      sandbox=sandbox, data_dir=data_dir, on_output=on_output)
    if list_workers is not None:
        ctx.list_workers = list_workers
    return ctx


def unsupported(feature: str) -> Callable[..., Any]:
    """A host function golem-emu does not serve yet: it traps with "golem-emu does not support <feature> yet"."""

    def trap(ctx: HostContext, *args: Any) -> Any:
        raise Unsupported(feature)

    return trap
