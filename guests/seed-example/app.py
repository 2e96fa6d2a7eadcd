"""Seed example: the calls of Golem's "control durability guarantees from Python" guide, against golem:api/host@1.1.0.

Persistence level, idempotence mode, an atomic region around a side effect, and an explicit oplog commit.
"""

from wit_world import exports
from wit_world.imports.host import (
    PersistenceLevel,
    PersistenceLevel_PersistNothing,
    PersistenceLevel_PersistRemoteSideEffects,
    PersistenceLevel_Smart,
    get_idempotence_mode,
    get_oplog_persistence_level,
    mark_begin_operation,
    mark_end_operation,
    oplog_commit,
    set_idempotence_mode,
    set_oplog_persistence_level,
)

_balance = 0


def _level_name(level: PersistenceLevel) -> str:
    if isinstance(level, PersistenceLevel_PersistNothing):
        return "persist-nothing"
    if isinstance(level, PersistenceLevel_PersistRemoteSideEffects):
        return "persist-remote-side-effects"
    if isinstance(level, PersistenceLevel_Smart):
        return "smart"
    return f"unknown({level!r})"


class Api(exports.Api):
    """emu:seed-example/api."""

    def run_transaction(self, amount: int) -> int:
        """Charge `amount` inside an atomic region with idempotence off; return the new balance."""
        global _balance
        was_idempotent = get_idempotence_mode()
        set_idempotence_mode(False)
        begin = mark_begin_operation()
        # The side effect: on a retry the whole region (print included) runs again.
        print(f"charging {amount}")
        _balance += amount
        mark_end_operation(begin)
        set_idempotence_mode(was_idempotent)
        return _balance

    def persist_nothing_section(self) -> str:
        """Switch to persist-nothing for a section and back; report each level seen."""
        seen = [_level_name(get_oplog_persistence_level())]
        original = get_oplog_persistence_level()
        set_oplog_persistence_level(PersistenceLevel_PersistNothing())
        seen.append(_level_name(get_oplog_persistence_level()))
        print("inside persist-nothing")
        set_oplog_persistence_level(original)
        seen.append(_level_name(get_oplog_persistence_level()))
        return ">".join(seen)

    def commit(self, replicas: int) -> bool:
        """Wait for the oplog to reach `replicas` replicas; return the idempotence mode."""
        oplog_commit(replicas)
        return get_idempotence_mode()

    def balance(self) -> int:
        """Return the balance."""
        return _balance
