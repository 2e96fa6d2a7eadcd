"""The closed sets of names the oplog uses, each defined once: entry kinds, semantics profiles, persistence
levels and durable function types.

They are str-valued enums, so a member equals its text: the codec, the JSON exports and the CLI read and
write exactly the strings they always did, and code compares members instead of spelling strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EntryKind(StrEnum):
    """The kind of an oplog entry, as Golem's public oplog names it (semantics §1.2)."""

    CREATE = "create"
    IMPORTED_FUNCTION_INVOKED = "imported-function-invoked"
    EXPORTED_FUNCTION_INVOKED = "exported-function-invoked"
    EXPORTED_FUNCTION_COMPLETED = "exported-function-completed"
    SUSPEND = "suspend"
    ERROR = "error"
    NO_OP = "no-op"
    JUMP = "jump"
    INTERRUPTED = "interrupted"
    EXITED = "exited"
    CHANGE_RETRY_POLICY = "change-retry-policy"
    BEGIN_ATOMIC_REGION = "begin-atomic-region"
    END_ATOMIC_REGION = "end-atomic-region"
    BEGIN_REMOTE_WRITE = "begin-remote-write"
    END_REMOTE_WRITE = "end-remote-write"
    PENDING_WORKER_INVOCATION = "pending-worker-invocation"
    PENDING_UPDATE = "pending-update"
    SUCCESSFUL_UPDATE = "successful-update"
    FAILED_UPDATE = "failed-update"
    LOG = "log"
    RESTART = "restart"
    REVERT = "revert"
    CANCEL_INVOCATION = "cancel-invocation"
    CHANGE_PERSISTENCE_LEVEL = "change-persistence-level"
    GROW_MEMORY = "grow-memory"
    CREATE_RESOURCE = "create-resource"
    DROP_RESOURCE = "drop-resource"
    DESCRIBE_RESOURCE = "describe-resource"


class Semantics(StrEnum):
    """Which Golem release's persistence-level behaviour a worker follows (chosen when it is created)."""

    GOLEM_1_1 = "golem-1.1"  # persist-nothing sections run live, even while replaying, and record nothing
    GOLEM_1_2 = "golem-1.2"  # persist-nothing sections are recorded, and skipped on replay


class PersistenceLevel(StrEnum):
    """golem:api's persistence-level, as its WIT variant cases are named."""

    PERSIST_NOTHING = "persist-nothing"
    PERSIST_REMOTE_SIDE_EFFECTS = "persist-remote-side-effects"
    SMART = "smart"


def values(enum: type[StrEnum]) -> frozenset[str]:
    """Every member's text, for validating what was read back."""
    return frozenset(member.value for member in enum)


FUNCTION_TYPE_KINDS = frozenset(
    {"read-local", "write-local", "read-remote", "write-remote", "write-remote-batched"}
)


@dataclass(frozen=True, slots=True)
class DurableFunctionType:
    """How a host call touches the world (§1.3); ``begin_index`` only for follow-ups in a remote batch."""

    kind: str
    begin_index: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FUNCTION_TYPE_KINDS:
            known = ", ".join(sorted(FUNCTION_TYPE_KINDS))
            raise ValueError(f"unknown durable function type {self.kind!r}; expected one of {known}")
        if self.begin_index is not None and self.kind != "write-remote-batched":
            raise ValueError(f"begin_index is only meaningful for write-remote-batched, not {self.kind}")


READ_LOCAL = DurableFunctionType("read-local")
WRITE_LOCAL = DurableFunctionType("write-local")
READ_REMOTE = DurableFunctionType("read-remote")
WRITE_REMOTE = DurableFunctionType("write-remote")
WRITE_REMOTE_BATCHED = DurableFunctionType("write-remote-batched")
