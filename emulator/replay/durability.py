"""The one road every side-effecting host call takes: live -> execute and persist; replay -> serve the record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from emulator.errors import GuestTrap, NondeterminismError
from emulator.oplog.entries import (
    BeginRemoteWrite,
    DurableFunctionType,
    EndRemoteWrite,
    ExportedFunctionCompleted,
    ImportedFunctionInvoked,
    Json,
    Jump,
    OplogEntry,
    OplogRegion,
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


def _ends(begin: int) -> Callable[[OplogEntry], bool]:
    return lambda e: isinstance(e, EndRemoteWrite) and e.begin_index == begin


_HARMLESS_KINDS = frozenset({"read-local", "write-local", "read-remote"})


def no_concurrent_side_effect(begin: int) -> Callable[[OplogEntry], bool]:
    """Golem's check that nothing between a batch's begin and end is another remote write or a completion."""

    def harmless(e: OplogEntry) -> bool:
        if isinstance(e, ImportedFunctionInvoked):
            t = e.function_type
            return t.kind in _HARMLESS_KINDS or (t.kind == "write-remote-batched" and t.begin_index == begin)
        return not isinstance(e, ExportedFunctionCompleted)

    return harmless


# Crash exploration installs this to make local reads (clocks, random) repeat the crash-free run's values:
# (worker, function, occurrence in this instance, produce the live value as JSON) -> the value as JSON.
LocalReads = Callable[[str, str, int, Callable[[], Json]], Json]
local_reads: LocalReads | None = None


class Durability:
    """Golem's `Durability` helper, shared by every host module of one worker instance."""

    def __init__(self, oplog: Oplog, replay: ReplayState, semantics: str = GOLEM_1_1) -> None:
        self.oplog = oplog
        self.replay = replay
        self.semantics = semantics
        self.persistence_level = "smart"
        self.assume_idempotence = True
        self.before_persist: Callable[[int, str], None] | None = None  # crash-injection hook
        # While save-snapshot/load-snapshot run, host calls execute live and nothing is journaled.
        self.snapshotting = False
        self._reads: dict[str, int] = {}  # local reads by function, replayed or live (for local_reads)

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
        if self.snapshotting:
            return live()
        begin = self.begin_function(function_type)
        if self.is_live():
            reads = local_reads
            if reads is not None and function_type.kind == "read-local":
                self._reads[name] = n = self._reads.get(name, 0) + 1
                result = decode(reads(self.oplog.worker, name, n, lambda: encode(live())))
            else:
                result = live()
            self.persist(name, function_type, request, encode(result))
        else:
            result = decode(self.read_recorded(name))
            if local_reads is not None and function_type.kind == "read-local":
                self._reads[name] = self._reads.get(name, 0) + 1
        self.end_function(function_type, begin)
        return result

    # -- remote-write brackets (semantics §6) -----------------------------------------------------------

    def _brackets(self, function_type: DurableFunctionType) -> bool:
        if self.semantics == GOLEM_1_1 and self.persist_nothing:
            return False  # Golem 1.1 writes no markers inside a persist-nothing section
        if function_type.kind == "write-remote":
            return not self.assume_idempotence
        return function_type.kind == "write-remote-batched" and function_type.begin_index is None

    def begin_function(self, function_type: DurableFunctionType) -> int:
        """Open a remote-write bracket when Golem would; returns its BeginRemoteWrite index (or the current one).

        On replay an unfinished bracket means the write may or may not have happened: with idempotence on
        the attempt is abandoned (Jump) and the write re-executed live; with it off the worker fails.
        """
        if not self._brackets(function_type):
            return self.oplog.current_index()
        if self.replay.is_live():
            return self.oplog.add_and_commit(BeginRemoteWrite())
        begin, _ = self.replay.expect(BeginRemoteWrite, f"begin-remote-write ({function_type.kind})")
        is_end = _ends(begin)
        if not self.assume_idempotence:
            if self.replay.lookup(is_end) is None:
                self.replay.switch_to_live()  # so that the Error entry can be committed after the trap
                raise GuestTrap("Non-idempotent remote write operation was not completed, cannot retry")
        elif self.replay.lookup(is_end, no_concurrent_side_effect(begin)) is None:
            self.abandon(begin)
        return begin

    def end_function(self, function_type: DurableFunctionType, begin: int) -> None:
        """Close the bracket opened by begin_function (EndRemoteWrite, then commit)."""
        if not self._brackets(function_type):
            return
        if self.replay.is_live():
            self.oplog.add(EndRemoteWrite(begin_index=begin))
            self.oplog.commit()
        else:
            self.replay.expect(EndRemoteWrite, "end-remote-write")

    def abandon(self, begin: int) -> None:
        """Go live at `begin` and skip the abandoned attempt (and the Jump itself) from now on."""
        target = self.replay.replay_target
        self.replay.switch_to_live()
        region = OplogRegion(begin + 1, target + 1)
        self.replay.add_skipped_region(region)
        self.oplog.add_and_commit(Jump(start=region.start, end=region.end))

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
