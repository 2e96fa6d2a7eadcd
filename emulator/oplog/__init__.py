"""The oplog: entry types, their wire format, durable storage and the per-worker buffered view."""

from emulator.oplog.codec import decode, encode
from emulator.oplog.entries import (
    ENTRY_TYPES,
    HINT_KINDS,
    READ_LOCAL,
    READ_REMOTE,
    WRITE_LOCAL,
    WRITE_REMOTE,
    WRITE_REMOTE_BATCHED,
    DurableFunctionType,
    Json,
    OplogEntry,
    OplogRegion,
    is_hint,
)
from emulator.oplog.oplog import MAX_OPERATIONS_BEFORE_COMMIT, Oplog
from emulator.oplog.store import OplogStore, PromiseState, SqliteStore

__all__ = [
    "ENTRY_TYPES",
    "HINT_KINDS",
    "MAX_OPERATIONS_BEFORE_COMMIT",
    "READ_LOCAL",
    "READ_REMOTE",
    "WRITE_LOCAL",
    "WRITE_REMOTE",
    "WRITE_REMOTE_BATCHED",
    "DurableFunctionType",
    "Json",
    "Oplog",
    "OplogEntry",
    "OplogRegion",
    "OplogStore",
    "PromiseState",
    "SqliteStore",
    "decode",
    "encode",
    "is_hint",
]
