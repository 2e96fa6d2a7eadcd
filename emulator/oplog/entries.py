"""Oplog entries: one frozen dataclass per kind, named after Golem's public oplog (golem-semantics.md §1.2).

Every entry has ``timestamp`` (milliseconds since the epoch, defaulting to now) and a class-level ``kind`` in
kebab-case. Entries are immutable values; ``codec`` is the only place that turns them into text.
"""

from __future__ import annotations

import binascii
import time
from dataclasses import dataclass, field
from typing import ClassVar, TypeAlias

from emulator.oplog.kinds import READ_LOCAL as READ_LOCAL
from emulator.oplog.kinds import READ_REMOTE as READ_REMOTE
from emulator.oplog.kinds import WRITE_LOCAL as WRITE_LOCAL
from emulator.oplog.kinds import WRITE_REMOTE as WRITE_REMOTE
from emulator.oplog.kinds import WRITE_REMOTE_BATCHED as WRITE_REMOTE_BATCHED
from emulator.oplog.kinds import DurableFunctionType as DurableFunctionType
from emulator.oplog.kinds import EntryKind, PersistenceLevel, Semantics, values

Json: TypeAlias = "None | bool | int | float | str | list[Json] | dict[str, Json]"
"""Any JSON-able value. NaN and infinities are allowed (the codec escapes them); bytes are not: encode them
yourself (e.g. base64). Tuples are accepted but read back as lists."""


class Base64Text(str):
    """Base64 text of some bytes that also keeps the bytes (``raw``), so that neither the store, which keeps a
    large payload as a raw BLOB, nor the host reading it back has to decode the text again. It is an ordinary
    ``str`` everywhere else (equality, JSON, display)."""

    raw: bytes

    def __new__(cls, raw: bytes) -> Base64Text:
        self = super().__new__(cls, binascii.b2a_base64(raw, newline=False).decode("ascii"))
        self.raw = bytes(raw)
        return self


def now_ms() -> int:
    """Milliseconds since the epoch, the unit of every oplog timestamp."""
    return time.time_ns() // 1_000_000


def _check(value: str, allowed: frozenset[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(sorted(allowed))}")


@dataclass(frozen=True, slots=True)
class OplogRegion:
    """An inclusive range of oplog indices, as Golem's ``OplogRegion``."""

    start: int
    end: int

    def contains(self, index: int) -> bool:
        """Whether ``index`` lies in the region (both ends included)."""
        return self.start <= index <= self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entry:
    kind: ClassVar[str]
    timestamp: int = field(default_factory=now_ms)


SEMANTICS = values(Semantics)


@dataclass(frozen=True, slots=True, kw_only=True)
class Create(_Entry):
    """Index 1 of every worker: what it runs and with which arguments and environment."""

    kind: ClassVar[str] = EntryKind.CREATE
    worker_name: str
    component: str  # the path as the user gave it, for display; the hash is what identifies the code
    component_hash: str  # sha256 hex of the wasm bytes
    component_version: int = 0
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    semantics: str = Semantics.GOLEM_1_1
    parent: str | None = None

    def __post_init__(self) -> None:
        _check(self.semantics, SEMANTICS, "semantics")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedFunctionInvoked(_Entry):
    """A persisted host call; ``response`` is ``{"ok": value}`` or ``{"err": value}`` by convention."""

    kind: ClassVar[str] = EntryKind.IMPORTED_FUNCTION_INVOKED
    function_name: str
    request: Json
    response: Json
    function_type: DurableFunctionType


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportedFunctionInvoked(_Entry):
    """Start of an exported call; ``request`` holds each argument as WAVE text."""

    kind: ClassVar[str] = EntryKind.EXPORTED_FUNCTION_INVOKED
    function_name: str
    request: tuple[str, ...]
    idempotency_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportedFunctionCompleted(_Entry):
    """End of an exported call; ``response`` is the result as WAVE text, None when there is no result."""

    kind: ClassVar[str] = EntryKind.EXPORTED_FUNCTION_COMPLETED
    response: str | None
    consumed_fuel: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Suspend(_Entry):
    """The worker suspended (awaiting a promise or a long sleep)."""

    kind: ClassVar[str] = EntryKind.SUSPEND


ERROR_KINDS = frozenset({"unknown", "stack-overflow", "out-of-memory"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Error(_Entry):
    """An invocation failed; ``error_kind`` mirrors Golem's WorkerError (InvalidRequest gets no entry)."""

    kind: ClassVar[str] = EntryKind.ERROR
    error: str
    retriable: bool = True
    error_kind: str = "unknown"

    def __post_init__(self) -> None:
        _check(self.error_kind, ERROR_KINDS, "error kind")


@dataclass(frozen=True, slots=True, kw_only=True)
class NoOp(_Entry):
    """Written by a live ``get-oplog-index``; its index is the returned value."""

    kind: ClassVar[str] = EntryKind.NO_OP


@dataclass(frozen=True, slots=True, kw_only=True)
class Jump(_Entry):
    """Replay skips ``start..=end`` (set-oplog-index, abandoned regions)."""

    kind: ClassVar[str] = EntryKind.JUMP
    start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Interrupted(_Entry):
    """The worker was interrupted through the API."""

    kind: ClassVar[str] = EntryKind.INTERRUPTED


@dataclass(frozen=True, slots=True, kw_only=True)
class Exited(_Entry):
    """The guest called WASI ``exit``."""

    kind: ClassVar[str] = EntryKind.EXITED


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeRetryPolicy(_Entry):
    """A live ``set-retry-policy``."""

    kind: ClassVar[str] = EntryKind.CHANGE_RETRY_POLICY
    max_attempts: int
    min_delay_ns: int
    max_delay_ns: int
    multiplier: float
    max_jitter_factor: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BeginAtomicRegion(_Entry):
    """A live ``mark-begin-operation``."""

    kind: ClassVar[str] = EntryKind.BEGIN_ATOMIC_REGION


@dataclass(frozen=True, slots=True, kw_only=True)
class EndAtomicRegion(_Entry):
    """A live ``mark-end-operation`` closing the region opened at ``begin_index``."""

    kind: ClassVar[str] = EntryKind.END_ATOMIC_REGION
    begin_index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BeginRemoteWrite(_Entry):
    """Opens a non-idempotent remote write (or batch)."""

    kind: ClassVar[str] = EntryKind.BEGIN_REMOTE_WRITE


@dataclass(frozen=True, slots=True, kw_only=True)
class EndRemoteWrite(_Entry):
    """Closes the remote write opened at ``begin_index``."""

    kind: ClassVar[str] = EntryKind.END_REMOTE_WRITE
    begin_index: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingWorkerInvocation(_Entry):
    """An invocation queued while the worker was busy; ``request`` as WAVE text per argument."""

    kind: ClassVar[str] = EntryKind.PENDING_WORKER_INVOCATION
    function_name: str
    request: tuple[str, ...]
    idempotency_key: str


UPDATE_MODES = frozenset({"automatic", "snapshot"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingUpdate(_Entry):
    """An update was requested; ``payload_b64`` holds the snapshot (base64) for snapshot updates."""

    kind: ClassVar[str] = EntryKind.PENDING_UPDATE
    target_component: str
    target_hash: str
    mode: str = "automatic"
    payload_b64: str | None = None

    def __post_init__(self) -> None:
        _check(self.mode, UPDATE_MODES, "update mode")


@dataclass(frozen=True, slots=True, kw_only=True)
class SuccessfulUpdate(_Entry):
    """The worker now runs the target component."""

    kind: ClassVar[str] = EntryKind.SUCCESSFUL_UPDATE
    target_component: str
    target_hash: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedUpdate(_Entry):
    """An update failed; the worker stays on its previous component."""

    kind: ClassVar[str] = EntryKind.FAILED_UPDATE
    target_hash: str
    details: str | None = None


LOG_LEVELS = frozenset({"stdout", "stderr", "trace", "debug", "info", "warn", "error", "critical"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Log(_Entry):
    """A live write to stdout/stderr or wasi:logging."""

    kind: ClassVar[str] = EntryKind.LOG
    level: str
    context: str
    message: str

    def __post_init__(self) -> None:
        _check(self.level, LOG_LEVELS, "log level")


@dataclass(frozen=True, slots=True, kw_only=True)
class Restart(_Entry):
    """An ephemeral worker (re)started."""

    kind: ClassVar[str] = EntryKind.RESTART


@dataclass(frozen=True, slots=True, kw_only=True)
class Revert(_Entry):
    """Everything in ``start..=end`` is dropped (skipped and deleted)."""

    kind: ClassVar[str] = EntryKind.REVERT
    start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelInvocation(_Entry):
    """A queued invocation was cancelled."""

    kind: ClassVar[str] = EntryKind.CANCEL_INVOCATION
    idempotency_key: str


PERSISTENCE_LEVELS = values(PersistenceLevel)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePersistenceLevel(_Entry):
    """A live ``set-oplog-persistence-level`` (golem-1.2 semantics only)."""

    kind: ClassVar[str] = EntryKind.CHANGE_PERSISTENCE_LEVEL
    level: str

    def __post_init__(self) -> None:
        _check(self.level, PERSISTENCE_LEVELS, "persistence level")


@dataclass(frozen=True, slots=True, kw_only=True)
class GrowMemory(_Entry):
    """Linear memory grew by ``delta`` bytes."""

    kind: ClassVar[str] = EntryKind.GROW_MEMORY
    delta: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateResource(_Entry):
    """An exported resource was created."""

    kind: ClassVar[str] = EntryKind.CREATE_RESOURCE
    id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DropResource(_Entry):
    """An exported resource was dropped."""

    kind: ClassVar[str] = EntryKind.DROP_RESOURCE
    id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DescribeResource(_Entry):
    """An indexed invocation's resource (``counter("c1")``): its name and constructor arguments (WAVE)."""

    kind: ClassVar[str] = EntryKind.DESCRIBE_RESOURCE
    id: int
    resource_name: str
    resource_params: tuple[str, ...] = ()


OplogEntry: TypeAlias = (
    Create | ImportedFunctionInvoked | ExportedFunctionInvoked | ExportedFunctionCompleted | Suspend | Error | NoOp
    | Jump | Interrupted | Exited | ChangeRetryPolicy | BeginAtomicRegion | EndAtomicRegion | BeginRemoteWrite
    | EndRemoteWrite | PendingWorkerInvocation | PendingUpdate | SuccessfulUpdate | FailedUpdate | Log | Restart
    | Revert | CancelInvocation | ChangePersistenceLevel | GrowMemory | CreateResource | DropResource
    | DescribeResource
)

ENTRY_TYPES: dict[str, type[OplogEntry]] = {
    cls.kind: cls
    for cls in (
        Create, ImportedFunctionInvoked, ExportedFunctionInvoked, ExportedFunctionCompleted, Suspend, Error,
        NoOp, Jump, Interrupted, Exited, ChangeRetryPolicy, BeginAtomicRegion, EndAtomicRegion,
        BeginRemoteWrite, EndRemoteWrite, PendingWorkerInvocation, PendingUpdate, SuccessfulUpdate,
        FailedUpdate, Log, Restart, Revert, CancelInvocation, ChangePersistenceLevel, GrowMemory,
        CreateResource, DropResource, DescribeResource,
    )
}
"""Every entry class by its kind."""

# Golem's OplogEntry::is_hint (§1.2): replay skips these without the guest consuming them. Jump, NoOp and
# ChangePersistenceLevel are deliberately absent: replay must see them to rebuild skipped regions and indices.
HINT_KINDS: frozenset[str] = frozenset({
    EntryKind.SUSPEND, EntryKind.ERROR, EntryKind.INTERRUPTED, EntryKind.EXITED, EntryKind.PENDING_WORKER_INVOCATION,
    EntryKind.PENDING_UPDATE, EntryKind.SUCCESSFUL_UPDATE, EntryKind.FAILED_UPDATE, EntryKind.GROW_MEMORY,
    EntryKind.CREATE_RESOURCE, EntryKind.DROP_RESOURCE, EntryKind.DESCRIBE_RESOURCE, EntryKind.LOG,
    EntryKind.RESTART, EntryKind.REVERT, EntryKind.CANCEL_INVOCATION,
})


def is_hint(entry: OplogEntry) -> bool:
    """Whether replay skips ``entry`` automatically (Golem's ``OplogEntry::is_hint``)."""
    return entry.kind in HINT_KINDS


# The host-call hot path's builders live beside these classes (they need them defined first).
from emulator.oplog.fast_entries import invoked as invoked  # noqa: E402
from emulator.oplog.fast_entries import log as log  # noqa: E402
