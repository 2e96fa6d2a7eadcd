"""The durability rule: whether an entry a host function writes is part of the oplog in the worker's state.

Golem decides it from the semantics profile, the persistence level and the snapshotting mode (semantics §7);
the region a call is in (a remote-write bracket, an atomic region) decides how replay treats what it finds,
which is durability.py's. Every entry a host function writes goes through `journaled`, so no host module
asks these questions itself.

| entry kind                                  | golem-1.1, persist-nothing | golem-1.2 | snapshotting |
|---------------------------------------------|----------------------------|-----------|--------------|
| imported-function-invoked                   | skipped (runs live)        | written   | skipped      |
| begin-remote-write, end-remote-write        | skipped                    | written   | skipped      |
| change-persistence-level                    | never written in 1.1       | written   | skipped      |
| begin/end-atomic-region, change-retry-policy,| written                   | written   | skipped      |
| no-op, jump, log                            |                            |           |              |
"""

from __future__ import annotations

from emulator.oplog.kinds import EntryKind, PersistenceLevel, Semantics

# What a host function writes (the executor writes the rest: invocations, errors, suspension, updates).
HOST_WRITTEN: frozenset[EntryKind] = frozenset({
    EntryKind.IMPORTED_FUNCTION_INVOKED,
    EntryKind.BEGIN_REMOTE_WRITE,
    EntryKind.END_REMOTE_WRITE,
    EntryKind.CHANGE_PERSISTENCE_LEVEL,
    EntryKind.BEGIN_ATOMIC_REGION,
    EntryKind.END_ATOMIC_REGION,
    EntryKind.CHANGE_RETRY_POLICY,
    EntryKind.NO_OP,
    EntryKind.JUMP,
    EntryKind.LOG,
})

# Golem 1.1 records nothing of a host call inside a persist-nothing section: no result, no bracket.
_UNRECORDED_IN_1_1_PERSIST_NOTHING = frozenset({
    EntryKind.IMPORTED_FUNCTION_INVOKED,
    EntryKind.BEGIN_REMOTE_WRITE,
    EntryKind.END_REMOTE_WRITE,
})


def journaled(kind: EntryKind, semantics: Semantics, level: PersistenceLevel, snapshotting: bool) -> bool:
    """Whether a host-written entry of `kind` is in the oplog: persisted when live, expected when replaying."""
    if kind not in HOST_WRITTEN:
        raise ValueError(f"{kind} is not an entry a host function writes")
    if snapshotting:
        return False  # save-snapshot and load-snapshot run live and leave no trace (semantics §7.3)
    if kind is EntryKind.CHANGE_PERSISTENCE_LEVEL:
        return semantics is Semantics.GOLEM_1_2  # 1.1 changes the level in memory only (§7.1)
    if semantics is Semantics.GOLEM_1_1 and level is PersistenceLevel.PERSIST_NOTHING:
        return kind not in _UNRECORDED_IN_1_1_PERSIST_NOTHING
    return True


def runs_live_while_replaying(semantics: Semantics, level: PersistenceLevel) -> bool:
    """Golem 1.1 executes host calls of a persist-nothing section for real even during replay (§7.1)."""
    return semantics is Semantics.GOLEM_1_1 and level is PersistenceLevel.PERSIST_NOTHING
