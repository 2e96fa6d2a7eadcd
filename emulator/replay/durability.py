"""The one road every entry a host function writes takes: live -> execute and persist; replay -> serve the
record; or neither, where rules.py says the entry is not part of the oplog in the worker's state.

Host modules never add entries to the oplog themselves: a host call goes through `call` (its result, Ok or
Err, becomes an ImportedFunctionInvoked), and the other entries a guest causes (NoOp, atomic regions, retry
policy, persistence level, Jump, Log, remote-write brackets) through the methods below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from emulator.errors import GuestTrap, NondeterminismError, Unsupported
from emulator.oplog.entries import (
    BeginAtomicRegion,
    BeginRemoteWrite,
    ChangePersistenceLevel,
    DurableFunctionType,
    EndAtomicRegion,
    EndRemoteWrite,
    ExportedFunctionCompleted,
    ImportedFunctionInvoked,
    Json,
    Jump,
    NoOp,
    OplogEntry,
    OplogRegion,
    invoked,
    log,
)
from emulator.oplog.kinds import EntryKind, PersistenceLevel, Semantics
from emulator.oplog.oplog import Oplog
from emulator.replay import rules
from emulator.replay.state import ReplayState, describe
from emulator.signals import JumpSignal

T = TypeVar("T")

# Golem commits after every persisted remote write; local reads wait for the next commit point.
_COMMITTING_KINDS = frozenset({"write-remote", "write-remote-batched"})
_HARMLESS_KINDS = frozenset({"read-local", "write-local", "read-remote"})

# A host function failing with one of these traps the guest: Golem persists such a failure as the call's Err
# (a SerializableError::Generic with its message) and replays it as the same error.
HOST_FAILURES = (GuestTrap, Unsupported)

PERSIST_NOTHING_REPLAYED = (
    "under --semantics golem-1.2 (Golem 1.2.2+) a persist-nothing section is skipped on replay, so a guest that "
    "enters one unconditionally diverges on recovery, as in Golem; enter it only when live (Golem's custom "
    "durability pattern), or use --semantics golem-1.1 for a new worker"
)


def same(value: Any) -> Any:
    """The identity, for results whose JSON form is the value itself."""
    return value


def _ends(begin: int) -> Callable[[OplogEntry], bool]:
    return lambda e: isinstance(e, EndRemoteWrite) and e.begin_index == begin


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


def failure_json(error: Exception) -> Json:
    """A host function's failure as the Err of its persisted result."""
    return {"generic": {"message": str(error)}}


def recorded_failure(index: int, name: str, err: Json) -> GuestTrap:
    """The error a persisted Err stands for, raised again on replay."""
    generic = err.get("generic") if isinstance(err, dict) else None
    message = generic.get("message") if isinstance(generic, dict) else None
    if isinstance(message, str):
        return GuestTrap(message)
    return GuestTrap(f"oplog index {index}: {name} failed when it first ran: {err!r}")


class Durability:
    """Golem's `Durability` helper, shared by every host module of one worker instance."""

    def __init__(self, oplog: Oplog, replay: ReplayState, semantics: str = Semantics.GOLEM_1_1) -> None:
        self.oplog = oplog
        self.replay = replay
        self.semantics = Semantics(semantics)
        self._level = PersistenceLevel.SMART
        self.assume_idempotence = True
        self._before_persist: Callable[[int, str], None] | None = None
        self._snapshotting = False
        self._reads: dict[str, int] = {}  # local reads by function, replayed or live (for local_reads)
        self._plain = True
        self._update_plain()

    # The state `call`'s fast path depends on: kept as properties so that `_plain` follows every change.

    def _update_plain(self) -> None:
        # Whether a live call's result is journaled with no hook to run: then a call outside remote-write
        # brackets is just "run it, append its entry" (see call).
        self._plain = (self._before_persist is None and not self._snapshotting
                       and rules.journaled(EntryKind.IMPORTED_FUNCTION_INVOKED, self.semantics, self._level, False))
        self._logs = rules.journaled(EntryKind.LOG, self.semantics, self._level, self._snapshotting)

    @property
    def persistence_level(self) -> PersistenceLevel:
        """The guest's current persistence level."""
        return self._level

    @persistence_level.setter
    def persistence_level(self, level: PersistenceLevel) -> None:
        self._level = level
        self._update_plain()

    @property
    def before_persist(self) -> Callable[[int, str], None] | None:
        """Crash-injection hook: (the index the entry would get, function name) before a result is journaled."""
        return self._before_persist

    @before_persist.setter
    def before_persist(self, hook: Callable[[int, str], None] | None) -> None:
        self._before_persist = hook
        self._update_plain()

    @property
    def snapshotting(self) -> bool:
        """While save-snapshot/load-snapshot run, host calls execute live and nothing is journaled."""
        return self._snapshotting

    @snapshotting.setter
    def snapshotting(self, on: bool) -> None:
        self._snapshotting = on
        self._update_plain()

    @property
    def persist_nothing(self) -> bool:
        """Whether the guest is inside a persist-nothing section."""
        return self.persistence_level is PersistenceLevel.PERSIST_NOTHING

    def is_live(self) -> bool:
        """Whether host calls run for real now (golem-1.1 also runs persist-nothing sections live)."""
        return self.replay.is_live() or rules.runs_live_while_replaying(self.semantics, self.persistence_level)

    def journals(self, kind: EntryKind) -> bool:
        """Whether an entry of `kind` a host function writes is part of the oplog now (rules.journaled)."""
        return rules.journaled(kind, self.semantics, self.persistence_level, self.snapshotting)

    # -- host calls (semantics §4.3) --------------------------------------------------------------------------

    def call(
        self,
        name: str,
        function_type: DurableFunctionType,
        request: Json,
        live: Callable[[], T],
        encode: Callable[[T], Json] = same,
        decode: Callable[[Json], T] = same,
    ) -> T:
        """Run `live` and journal its result, Ok or Err, or, while replaying, return (or raise) the journaled one."""
        replay = self.replay
        if (self._plain and function_type.kind in _HARMLESS_KINDS and local_reads is None
                and replay.last_replayed >= replay.replay_target):
            # The common case, taken on every live clock read or random number: live, journaled, no bracket
            # (harmless kinds never have one), no hook, nothing that commits. The same entry as below.
            try:
                result = live()
            except HOST_FAILURES as e:
                self.oplog.add(invoked(name, request, {"err": failure_json(e)}, function_type))
                raise
            self.oplog.add(invoked(name, request, {"ok": encode(result)}, function_type))
            return result
        if self.snapshotting:
            return live()
        begin = self.begin_function(function_type)
        if self.is_live():
            try:
                reads = local_reads
                if reads is not None and function_type.kind == "read-local":
                    self._reads[name] = n = self._reads.get(name, 0) + 1
                    result = decode(reads(self.oplog.worker, name, n, lambda: encode(live())))
                else:
                    result = live()
            except HOST_FAILURES as e:
                self.persist(name, function_type, request, {"err": failure_json(e)})
                self.end_function(function_type, begin)
                raise
            self.persist(name, function_type, request, {"ok": encode(result)})
            self.end_function(function_type, begin)
            return result
        index, response = self.read_recorded(name)
        if local_reads is not None and function_type.kind == "read-local":
            self._reads[name] = self._reads.get(name, 0) + 1
        self.end_function(function_type, begin)
        if isinstance(response, dict) and "ok" in response:
            return decode(response["ok"])
        err = response.get("err") if isinstance(response, dict) else response
        raise recorded_failure(index, name, err)

    def persist(self, name: str, function_type: DurableFunctionType, request: Json, response: Json) -> None:
        """Append an ImportedFunctionInvoked whose `response` is {"ok": ...} or {"err": ...}, where journaled."""
        if not self.journals(EntryKind.IMPORTED_FUNCTION_INVOKED):
            return
        if self.before_persist is not None:
            self.before_persist(self.oplog.current_index() + 1, name)
        self.oplog.add(invoked(name, request, response, function_type))
        if function_type.kind in _COMMITTING_KINDS:
            self.oplog.commit()

    def read_recorded(self, name: str) -> tuple[int, Json]:
        """Consume the next ImportedFunctionInvoked, which must be for `name`: its index and its response."""
        if self.persist_nothing:
            raise GuestTrap(f"Trying to replay a durable invocation of {name} in a PersistNothing block")
        idx, entry = self.replay.next_entry()
        if not isinstance(entry, ImportedFunctionInvoked) or entry.function_name != name:
            raise NondeterminismError(idx, describe(entry), f"imported-function-invoked {name}")
        return idx, entry.response

    # -- remote-write brackets (semantics §6) -----------------------------------------------------------------

    def _brackets(self, function_type: DurableFunctionType) -> bool:
        if not self.journals(EntryKind.BEGIN_REMOTE_WRITE):
            return False
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
                self.replay.switch_to_live(diverged=True)  # so that the Error entry can be committed after the trap
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

    # -- the other entries a guest causes ---------------------------------------------------------------------

    def write(self, entry: OplogEntry, what: str, *, commit: bool = False) -> int | None:
        """Persist `entry` live (committing if asked), or consume the recorded entry of its kind on replay
        (`what` names it in a divergence); None when the rule leaves it out of the oplog."""
        if not self.journals(EntryKind(entry.kind)):
            return None
        if self.replay.is_live():
            index = self.oplog.add(entry)
            if commit:
                self.oplog.commit()
            return index
        index, _ = self.replay.expect(type(entry), what)
        return index

    def oplog_index(self) -> int:
        """get-oplog-index: a NoOp marks the spot, and its index is the answer (semantics §11.1)."""
        index = self.write(NoOp(), "no-op (get-oplog-index)")
        return self.oplog.current_index() if index is None else index

    def begin_atomic_region(self) -> int:
        """mark-begin-operation; on replay a region that never ended is abandoned and re-run live (§5)."""
        live = self.replay.is_live()
        begin = self.write(BeginAtomicRegion(), "begin-atomic-region (mark-begin-operation)")
        if begin is None:
            return self.oplog.current_index()
        if not live and self.replay.lookup(lambda e: isinstance(e, EndAtomicRegion) and e.begin_index == begin) is None:
            self.abandon(begin)
        return begin

    def end_atomic_region(self, begin: int) -> None:
        """mark-end-operation."""
        self.write(EndAtomicRegion(begin_index=begin), "end-atomic-region (mark-end-operation)")

    def change_persistence_level(self, new: str) -> None:
        """set-oplog-persistence-level: golem-1.2 records a change (§7.2); golem-1.1 only commits (§7.1)."""
        level = PersistenceLevel(new)
        if level is not self.persistence_level:
            try:
                self.write(ChangePersistenceLevel(level=level), f"change-persistence-level {level}", commit=True)
            except NondeterminismError as e:
                if level is not PersistenceLevel.PERSIST_NOTHING:
                    raise
                # Golem 1.2.2+ skips a whole persist-nothing zone, both markers included, before the guest gets
                # here again (§7.2): the code did not change, the section is simply entered unconditionally.
                raise NondeterminismError(e.index, e.expected, e.actual, e.verb, PERSIST_NOTHING_REPLAYED) from None
        if self.semantics is Semantics.GOLEM_1_1 and self.replay.is_live():
            self.oplog.commit()
        self.persistence_level = level

    def set_oplog_index(self, target: int) -> None:
        """set-oplog-index: record a Jump back to just after `target` and restart there (semantics §11.1)."""
        if not self.replay.is_live() or not self.journals(EntryKind.JUMP):
            return  # replaying, never reached in practice: the Jump ends the instance before its replay gets here
        jump_source = self.oplog.current_index() + 1
        jump_target = target + 1
        if jump_target > jump_source:
            raise GuestTrap(
                f"set-oplog-index({target}): attempted to jump forward (the oplog ends at {jump_source - 1})"
            )
        if self.replay.skipped.contains(jump_target) or target < 1:
            raise GuestTrap(f"set-oplog-index({target}): the target lies in a skipped region")
        region = OplogRegion(jump_target, jump_source)
        self.replay.add_skipped_region(region)
        self.oplog.add_and_commit(Jump(start=region.start, end=region.end))
        raise JumpSignal(f"jump to oplog index {target}")

    def log(self, level: str, context: str, message: str) -> bool:
        """Journal a Log entry for live output and say whether to show it: console output is exactly-once,
        so replayed output, and live output identical to a Log just recovered past, is neither (§4.8)."""
        replay = self.replay
        if replay.last_replayed < replay.replay_target and not self.is_live():
            return False  # replaying: this output was journaled and shown when it first ran
        seen = replay.seen_logs
        if seen:
            key = (level, context, message)
            if seen[key] > 0:
                # Written and shown before the crash this run recovers from: consume one match, repeat nothing.
                seen[key] -= 1
                return False
        if self._logs:
            self.oplog.add(log(level, context, message))
        return True
