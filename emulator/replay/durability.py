"""The one road every side-effecting host call takes: live -> execute and persist; replay -> serve the record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from emulator.errors import GuestTrap, NondeterminismError
from emulator.oplog.entries import (
    DurableFunctionType,
    ImportedFunctionInvoked,
    Json,
)
from emulator.oplog.oplog import Oplog
from emulator.replay.state import ReplayState, describe

T = TypeVar("T")

GOLEM_1_1 = "golem-1.1"
GOLEM_1_2 = "golem-1.2"
SEMANTICS = (GOLEM_1_1, GOLEM_1_2)

# Golem commits after every persisted remote write; local reads wait for the next commit point.
_COMMITTING_KINDS = frozenset({"write-remote", "write-remote-batched"})


def _same(value: Any) -> Any:
    return value


class Durability:
    """Golem's `Durability` helper, shared by every host module of one worker instance."""

    def __init__(self, oplog: Oplog, replay: ReplayState, semantics: str = GOLEM_1_1) -> None:
        self.oplog = oplog
        self.replay = replay
        self.semantics = semantics
        self.persistence_level = "smart"
        self.assume_idempotence = True
        self.before_persist: Callable[[int, str], None] | None = None  # crash-injection hook

    @property
    def persist_nothing(self) -> bool:
        """Whether the guest is inside a persist-nothing section."""
        return self.persistence_level == "persist-nothing"

    def is_live(self) -> bool:
        """Whether host calls run for real now (golem-1.1 also runs persist-nothing sections live)."""
        if self.replay.is_live():
            return True
        return self.semantics == GOLEM_1_1 and self.persist_nothing

    def call(
        self,
        name: str,
        function_type: DurableFunctionType,
        request: Json,
        live: Callable[[], T],
        encode: Callable[[T], Json] = _same,
        decode: Callable[[Json], T] = _same,
    ) -> T:
        """Run `live` and journal its result, or, while replaying, return the journaled result."""
        if self.is_live():
            result = live()
            self.persist(name, function_type, request, encode(result))
            return result
        return decode(self.read_recorded(name))

    def persist(self, name: str, function_type: DurableFunctionType, request: Json, response: Json) -> None:
        """Append an ImportedFunctionInvoked (nothing in a golem-1.1 persist-nothing section)."""
        if self.semantics == GOLEM_1_1 and self.persist_nothing:
            return
        if self.before_persist is not None:
            self.before_persist(self.oplog.current_index() + 1, name)
        self.oplog.add(ImportedFunctionInvoked(
            function_name=name, request=request, response={"ok": response}, function_type=function_type,
        ))
        if function_type.kind in _COMMITTING_KINDS:
            self.oplog.commit()

    def read_recorded(self, name: str) -> Json:
        """Consume the next ImportedFunctionInvoked, which must be for `name`, and return its response."""
        if self.persist_nothing:
            raise GuestTrap(f"Trying to replay a durable invocation of {name} in a PersistNothing block")
        idx, entry = self.replay.next_entry()
        if not isinstance(entry, ImportedFunctionInvoked) or entry.function_name != name:
            raise NondeterminismError(idx, describe(entry), f"imported-function-invoked {name}")
        response = entry.response
        if isinstance(response, dict) and "ok" in response:
            return response["ok"]
        raise GuestTrap(f"oplog index {idx}: {name} failed when it first ran: {response!r}")
