"""Oplog storage: the Protocols the engine codes against, and ``SqliteStore``, which serves them from one file.

``OplogStore`` is what reading and replaying an oplog needs (workers, entries, promises); ``Store`` adds what
running workers needs besides (component versions, leases, inter-process requests, replicas, the data
directory). Nothing outside this package asks which class a store is: it asks the Protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Protocol

from emulator.oplog.entries import Create, OplogEntry
from emulator.oplog.schema import APPLICATION_ID, SCHEMA_VERSION
from emulator.oplog.sqlite_coordination import CoordinationTables, Crash, PromiseState, Replica
from emulator.oplog.sqlite_oplog import OplogTables

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "Crash", "OplogStore", "PromiseState", "Replica", "SqliteStore", "Store"]


class OplogStore(Protocol):
    """Durable storage of every worker's oplog (indices start at 1, Create is index 1) and of promises."""

    path: Path  # the database file

    def create_worker(self, name: str, create_entry: Create, then: Sequence[OplogEntry] = ()) -> None:
        """Create worker ``name`` with ``create_entry`` at index 1 and ``then`` after it, in one transaction;
        OplogError if it exists."""

    def delete_worker(self, name: str) -> None:
        """Delete the worker, its oplog and its promises (no-op if absent)."""

    def worker_names(self) -> list[str]:
        """All worker names, sorted."""

    def has_worker(self, name: str) -> bool:
        """Whether worker ``name`` exists."""

    def last_index(self, name: str) -> int:
        """Index of the last committed entry; 0 if the worker does not exist."""

    def read(self, name: str, start: int = 1, end: int | None = None) -> list[tuple[int, OplogEntry]]:
        """Entries ``start..=end`` (``end`` None: to the last), with their indices."""

    def read_kinds(self, name: str, kinds: Sequence[str], *, before: int | None = None,
                   last: bool = False) -> list[tuple[int, OplogEntry]]:
        """The worker's entries of these kinds, in order (only those before `before`; only the last one)."""

    def iter_entries(
        self, name: str, start: int = 1, end: int | None = None, chunk: int = 1024
    ) -> Iterator[tuple[int, OplogEntry]]:
        """Like ``read``, fetched ``chunk`` entries at a time."""

    def entry(self, name: str, idx: int) -> OplogEntry:
        """The entry at ``idx``; OplogError if there is none."""

    def append(self, name: str, first_index: int, entries: Sequence[OplogEntry]) -> None:
        """Append atomically at ``first_index``; OplogConflict unless the last index is ``first_index-1``."""

    def replace_oplog(self, name: str, entries: Sequence[OplogEntry]) -> None:
        """Replace the worker's whole oplog by ``entries`` in one transaction (failover); none deletes it."""

    def entry_timestamps(self, name: str, start: int, end: int) -> list[tuple[int, int]]:
        """(idx, timestamp) of entries ``start..=end``, nothing decoded."""

    def copy_entries(self, source: Path, name: str, first: int, last: int) -> int:
        """Append entries ``first..=last`` from the database file ``source`` as stored there (replication);
        0 if ``source`` no longer holds them all, else how many were copied."""

    def create_promise(self, worker: str, idx: int) -> None:
        """Create a pending promise (SET NX: an existing promise is left alone)."""

    def complete_promise(self, worker: str, idx: int, payload: bytes) -> bool:
        """Complete a promise; False if it was already completed (the first payload wins)."""

    def promise_state(self, worker: str, idx: int) -> PromiseState | None:
        """The promise's state, None if it does not exist."""

    def delete_promise(self, worker: str, idx: int) -> None:
        """Forget the promise (no-op if absent)."""

    def close(self) -> None:
        """Release the storage; the store is unusable afterwards."""


class Store(OplogStore, Protocol):
    """Everything the runtime needs of storage: oplogs and promises, component versions, which process runs
    which worker, requests left for that process, replicas, and the directory the worker's files live in."""

    readonly: bool  # opened for reading only: every write raises OplogError

    @property
    def data_dir(self) -> Path:
        """The directory beside the database: kept components and worker sandboxes live there."""

    def summary_row(self, name: str) -> tuple[int, str] | None:
        """(through, data) of the worker's kept status summary (lifecycle/summary_rows.py), if any."""

    def set_summary_row(self, name: str, through: int, data: str) -> None:
        """Keep the worker's summary of entries 1..=through."""

    def reopen(self) -> Store:
        """A new connection to the same storage (for another thread); the caller closes it."""

    def register_component(self, name: str, digest: str, env: Sequence[tuple[str, str]] | None = None, *,
                           ephemeral: bool = False) -> int:
        """The version number of component `name` with this wasm hash (and this component env and type, if
        given); a new one (0, 1, ...) if unseen."""

    def component_ephemeral(self, name: str, version: int) -> bool:
        """Whether that version is ephemeral (Golem's component type)."""

    def component_env(self, name: str, version: int) -> tuple[tuple[str, str], ...]:
        """The component-level environment of that version (Golem's component env)."""

    def component_version(self, name: str, digest: str) -> int | None:
        """The registered version number of component `name` with this wasm hash, if any."""

    def component_hash(self, name: str, version: int) -> str | None:
        """The wasm hash of version `version` of component `name`, if registered."""

    def register_component_files(self, name: str, digest: str, files: str,
                                 env: Sequence[tuple[str, str]] | None = None, *, ephemeral: bool = False) -> int:
        """The version of `name` with this wasm and exactly these initial files (JSON); a new one if none."""

    def component_files(self, name: str, version: int) -> str | None:
        """The initial files (JSON) of a component version, if it was added with any."""

    def enqueue(self, worker: str, key: str, function: str, request: Sequence[str]) -> bool:
        """Queue an invocation of `worker`; False if `key` is queued already."""

    def queued(self, worker: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """(key, function, request) of `worker`'s queued invocations, oldest first."""

    def dequeue(self, worker: str, key: str) -> bool:
        """Remove queued invocation `key`; whether it was queued."""

    def lease(self, worker: str) -> tuple[int, int] | None:
        """(pid, since ms) of the process that declared it is running `worker`, if any."""

    def set_lease(self, worker: str, pid: int | None, since: int = 0) -> None:
        """Declare (pid) or clear (None) which process runs `worker`."""

    def acquire_lease(self, worker: str, pid: int, since: int, alive: Callable[[int], bool]) -> int | None:
        """Take `worker`'s lease for `pid` in one step unless a live other process holds it; its pid if so."""

    def record_crash(self, worker: str, crash: Crash) -> None:
        """Remember that a process died holding `worker` and another took it over (outside the oplog)."""

    def crashes(self, worker: str) -> list[Crash]:
        """Where processes died holding `worker`, oldest first."""

    def request(self, worker: str, kind: str, at: int) -> None:
        """Leave a request (e.g. "interrupt") for the process running `worker`."""

    def requested_workers(self) -> set[str]:
        """The workers with pending requests (a plain read: no write lock)."""

    def take_requests(self, worker: str) -> list[str]:
        """Remove and return the pending requests for `worker`, oldest first."""

    def replicas(self, worker: str) -> list[Replica]:
        """The replicas of `worker`'s oplog and how far each has got."""

    def forget_worker(self, name: str) -> None:
        """Delete every row of worker `name` (oplog, promises, lease, requests...) in one transaction."""


# Every table with rows of one worker, and the column naming it.
_WORKER_ROWS = (("workers", "name"), ("oplog", "worker"), ("payloads", "worker"), ("promises", "worker"),
                ("summaries", "worker"), ("leases", "worker"), ("requests", "worker"), ("crashes", "worker"),
                ("invocation_queue", "worker"))


class SqliteStore(OplogTables, CoordinationTables):
    """A ``Store`` in one SQLite file in WAL mode, safe to share between processes."""

    def __init__(self, path: str | PathLike[str], *, readonly: bool = False) -> None:
        super().__init__(path, readonly=readonly)

    @classmethod
    def open_readonly(cls, path: str | PathLike[str]) -> SqliteStore:
        """Open an existing database for reading only (the TUI); every write raises OplogError."""
        return cls(path, readonly=True)

    @property
    def data_dir(self) -> Path:
        """The directory the database file is in."""
        return self.path.parent

    def forget_worker(self, name: str) -> None:
        """Delete everything the database holds of worker `name` in one transaction: its oplog, payloads,
        promises, summary, lease, pending requests and crash records (no-op if absent)."""
        self._decoded.pop(name, None)
        with self._write() as db:
            for table, column in _WORKER_ROWS:
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))

    def reopen(self) -> SqliteStore:
        """Another connection to the same file, as read-only as this one."""
        return type(self)(self.path, readonly=self.readonly)

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
