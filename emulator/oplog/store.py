"""Oplog storage: the ``OplogStore`` Protocol the engine codes against, and ``SqliteStore`` (one file)."""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

from emulator.errors import OplogConflict, OplogError, WorkerNotFound
from emulator.oplog.codec import EXTERNAL_MARKER, decode, encode, encode_external
from emulator.oplog.entries import Create, OplogEntry

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "OplogStore", "PromiseState", "SqliteStore"]

SCHEMA_VERSION = 2  # 2: the payloads table (large strings of entries, out of line); 1 is upgraded when opened
APPLICATION_ID = 0x676F6C65  # "gole": lets us tell our files from other SQLite databases at a glance
_MAX_INDEX = 2**63 - 1

_SCHEMA = """
CREATE TABLE meta(schema_version INTEGER NOT NULL);
CREATE TABLE workers(name TEXT PRIMARY KEY, created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE oplog(
    worker TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, timestamp INTEGER NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY(worker, idx)
) WITHOUT ROWID;
CREATE TABLE promises(
    worker TEXT NOT NULL, idx INTEGER NOT NULL, state TEXT NOT NULL, payload BLOB, PRIMARY KEY(worker, idx)
) WITHOUT ROWID;
CREATE TABLE leases(worker TEXT PRIMARY KEY, pid INTEGER NOT NULL, since INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE requests(worker TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE components(name TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL,
    PRIMARY KEY(name, version)) WITHOUT ROWID;
""" + "\n"
# Version 2: the parts codec.encode_external moved out of an entry (HTTP body chunks: raw bytes, not base64),
# written in the same transaction as the entry. A rowid table: large rows do not belong in a WITHOUT ROWID one.
_PAYLOADS = """
CREATE TABLE payloads(worker TEXT NOT NULL, idx INTEGER NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY(worker, idx, part));
"""
_READ = "SELECT idx, body FROM oplog WHERE worker = ? AND idx >= ? AND idx <= ? ORDER BY idx"
_LAST = "SELECT MAX(idx) FROM oplog WHERE worker = ?"
_PARTS = "SELECT idx, part, data FROM payloads WHERE worker = ? AND idx >= ? AND idx <= ? ORDER BY idx, part"


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Decoding a long oplog creates several GC-tracked objects per entry that all survive; the cyclic GC
    # then rescans the growing list again and again, halving read throughput. Entries hold no cycles.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class PromiseState(NamedTuple):
    """A promise's state: ``"pending"`` (payload None) or ``"completed"`` with its payload."""

    state: str
    payload: bytes | None


class OplogStore(Protocol):
    """Durable storage of every worker's oplog (indices start at 1, Create is index 1) and of promises."""

    def create_worker(self, name: str, create_entry: Create) -> None:
        """Create worker ``name`` with ``create_entry`` at index 1; OplogError if it exists."""

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

    def iter_entries(
        self, name: str, start: int = 1, end: int | None = None, chunk: int = 1024
    ) -> Iterator[tuple[int, OplogEntry]]:
        """Like ``read``, fetched ``chunk`` entries at a time."""

    def entry(self, name: str, idx: int) -> OplogEntry:
        """The entry at ``idx``; OplogError if there is none."""

    def append(self, name: str, first_index: int, entries: Sequence[OplogEntry]) -> None:
        """Append atomically at ``first_index``; OplogConflict unless the last index is ``first_index-1``."""

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


class SqliteStore:
    """An ``OplogStore`` in one SQLite file in WAL mode, safe to share between processes."""

    def __init__(self, path: str | PathLike[str], *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        # One connection shared by threads (the TUI reads from workers); the lock serialises its use.
        self._lock = threading.Lock()
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.is_file():
            raise OplogError(f"no golem-emu database at {self.path}; check --data-dir")
        uri = f"file:{quote(str(self.path.absolute()))}?mode={'ro' if readonly else 'rwc'}"
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves instead of Python's deferred BEGIN,
            # which could fail with SQLITE_BUSY on upgrade from reader to writer without waiting.
            self._db = sqlite3.connect(
                uri, uri=True, isolation_level=None, check_same_thread=False, timeout=5.0
            )
        except sqlite3.Error as e:
            raise self._error(e) from e
        try:
            self._db.execute("PRAGMA busy_timeout = 5000")
            if not readonly:
                if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self._db.execute("PRAGMA journal_mode = WAL")
                # In WAL mode NORMAL syncs only at checkpoints: a committed transaction is in the WAL file
                # (the OS page cache) before COMMIT returns, so it survives kill -9 of this process; only a
                # power loss or OS crash may drop the last commits, which golem-emu does not promise to
                # survive. FULL would fsync every commit and cost most of the append throughput.
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._check_schema()
        except BaseException as e:
            self._db.close()
            if isinstance(e, sqlite3.Error):
                raise self._error(e) from e
            raise

    @classmethod
    def open_readonly(cls, path: str | PathLike[str]) -> SqliteStore:
        """Open an existing database for reading only (the TUI); every write raises OplogError."""
        return cls(path, readonly=True)

    def _error(self, e: sqlite3.Error) -> OplogError:
        code = getattr(e, "sqlite_errorname", "")
        if code in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            return self._foreign(str(e))
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return OplogConflict(f"{self.path} stayed locked by another process for 5 s; stop it or retry")
        if code.startswith("SQLITE_READONLY") or (self.readonly and "readonly" in str(e)):
            return OplogError(f"{self.path} is read-only ({e}); open it writable or check file permissions")
        if code.startswith("SQLITE_CANTOPEN"):
            return OplogError(f"cannot open {self.path} ({e}); check the path and its permissions")
        if code.startswith("SQLITE_FULL"):
            return OplogError(f"{self.path}: the disk is full; free some space and retry")
        return OplogError(f"{self.path}: {e}")

    def _foreign(self, why: str) -> OplogError:
        return OplogError(
            f"{self.path} is not a golem-emu database ({why}); move it away or pass another --data-dir"
        )

    def _check_schema(self) -> None:
        db = self._db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables and app_id == 0:
            if self.readonly:
                raise self._foreign("it is empty")
            db.execute("BEGIN IMMEDIATE")
            try:  # re-check under the write lock: another process may have initialised it meanwhile
                if not db.execute("SELECT 1 FROM sqlite_master").fetchone():
                    for stmt in (_SCHEMA + _PAYLOADS).split(";"):
                        if stmt.strip():
                            db.execute(stmt)
                    db.execute("INSERT INTO meta(schema_version) VALUES (?)", (SCHEMA_VERSION,))
                    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return self._check_schema()
        if app_id != APPLICATION_ID or "meta" not in tables:
            raise self._foreign("it holds other data")
        row = db.execute("SELECT schema_version FROM meta").fetchone()
        version = row[0] if row else None
        if version == SCHEMA_VERSION:
            return None
        if version == 1:  # a version-1 file holds no external payloads: readable as it is, upgraded when writable
            if not self.readonly:
                self._upgrade_from_1()
            return None
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise OplogError(
                f"{self.path} was written by a newer golem-emu (schema {version}, this one reads "
                f"{SCHEMA_VERSION}); upgrade golem-emu or pass another --data-dir"
            )
        raise OplogError(
            f"{self.path} has unknown schema version {version!r} (this golem-emu reads {SCHEMA_VERSION}); "
            "move it away or pass another --data-dir"
        )

    def _upgrade_from_1(self) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT schema_version FROM meta").fetchone()[0] == 1:  # not upgraded meanwhile
                db.execute(_PAYLOADS)
                db.execute("UPDATE meta SET schema_version = ?", (SCHEMA_VERSION,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise OplogError(
                f"{self.path} was opened read-only; writes need a store opened with SqliteStore(path)"
            )
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise self._error(e) from e
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as e:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the rollback failing must never hide the error that caused it
                if isinstance(e, sqlite3.Error):
                    raise self._error(e) from e
                raise

    def _query(self, sql: str, params: tuple[object, ...]) -> list[Any]:
        with self._lock:
            try:
                rows: list[Any] = self._db.execute(sql, params).fetchall()
            except sqlite3.Error as e:
                raise self._error(e) from e
        return rows

    def create_worker(self, name: str, create_entry: Create) -> None:
        """Create worker ``name`` with ``create_entry`` at index 1; OplogError if it exists."""
        if create_entry.worker_name != name:
            raise OplogError(f"the Create entry names worker {create_entry.worker_name!r}, not {name!r}")
        body = encode(create_entry)
        with self._write() as db:
            if db.execute("SELECT 1 FROM workers WHERE name = ?", (name,)).fetchone():
                raise OplogError(
                    f"worker {name!r} already exists in {self.path}; pick another name or delete it"
                )
            ts = create_entry.timestamp
            db.execute("INSERT INTO workers(name, created_at) VALUES (?, ?)", (name, ts))
            db.execute("INSERT INTO oplog VALUES (?, 1, 'create', ?, ?)", (name, ts, body))

    def delete_worker(self, name: str) -> None:
        """Delete the worker, its oplog and its promises (no-op if absent)."""
        with self._write() as db:
            for table, column in (("workers", "name"), ("oplog", "worker"), ("promises", "worker"),
                                  ("payloads", "worker")):
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))

    def worker_names(self) -> list[str]:
        """All worker names, sorted."""
        return [str(r[0]) for r in self._query("SELECT name FROM workers ORDER BY name", ())]

    def has_worker(self, name: str) -> bool:
        """Whether worker ``name`` exists."""
        return bool(self._query("SELECT 1 FROM workers WHERE name = ?", (name,)))

    def last_index(self, name: str) -> int:
        """Index of the last committed entry; 0 if the worker does not exist."""
        last = self._query(_LAST, (name,))[0][0]
        return last if isinstance(last, int) else 0

    def read(self, name: str, start: int = 1, end: int | None = None) -> list[tuple[int, OplogEntry]]:
        """Entries ``start..=end`` (``end`` None: to the last), with their indices."""
        with _gc_paused():
            rows = self._query(_READ, (name, start, _MAX_INDEX if end is None else end))
            return self._decode_rows(name, rows)

    def _decode_rows(self, name: str, rows: list[Any]) -> list[tuple[int, OplogEntry]]:
        """Decode (idx, body) rows, resolving the external payloads of those that refer to any."""
        external = [i for i, b in rows if EXTERNAL_MARKER in b]
        if not external:
            return [(i, decode(b)) for i, b in rows]
        parts: dict[int, list[bytes]] = {}
        for i, part, data in self._query(_PARTS, (name, external[0], external[-1])):
            if part == len(parts.setdefault(i, [])):
                parts[i].append(data)
        try:
            return [(i, decode(b, parts.get(i, []))) for i, b in rows]
        except OplogError as e:
            raise OplogError(f"worker {name!r}: {e}") from e

    def iter_entries(
        self, name: str, start: int = 1, end: int | None = None, chunk: int = 1024
    ) -> Iterator[tuple[int, OplogEntry]]:
        """Like ``read``, fetched ``chunk`` entries at a time so huge oplogs never sit in memory at once."""
        stop = _MAX_INDEX if end is None else end
        while start <= stop:
            rows = self._query(_READ + " LIMIT ?", (name, start, stop, chunk))
            yield from self._decode_rows(name, rows)
            if len(rows) < chunk:
                return
            start = rows[-1][0] + 1

    def entry(self, name: str, idx: int) -> OplogEntry:
        """The entry at ``idx``; OplogError if there is none."""
        rows = self._query("SELECT idx, body FROM oplog WHERE worker = ? AND idx = ?", (name, idx))
        if not rows:
            raise OplogError(f"worker {name!r} has no oplog entry {idx} (last is {self.last_index(name)})")
        return self._decode_rows(name, rows)[0][1]

    def append(self, name: str, first_index: int, entries: Sequence[OplogEntry]) -> None:
        """Append atomically at ``first_index``; OplogConflict unless the last index is ``first_index-1``."""
        # encode first: it is what rejects non-entries with a clear TypeError
        rows = []
        parts: list[tuple[str, int, int, bytes]] = []
        for n, e in enumerate(entries):
            body, external = encode_external(e)
            rows.append((name, first_index + n, body, e.kind, e.timestamp))
            parts.extend((name, first_index + n, k, data) for k, data in enumerate(external))
        if not rows:
            return
        with self._write() as db:
            last = db.execute(_LAST, (name,)).fetchone()[0]
            if last is None:
                raise WorkerNotFound(f"no worker {name!r} in {self.path}; create it before appending")
            if last != first_index - 1:
                raise OplogConflict(
                    f"worker {name!r}: another process appended to its oplog (expected last index "
                    f"{first_index - 1}, found {last}); run each worker in one golem-emu process at a time"
                )
            db.executemany("INSERT INTO oplog(worker, idx, body, kind, timestamp) VALUES (?, ?, ?, ?, ?)", rows)
            if parts:
                db.executemany("INSERT INTO payloads(worker, idx, part, data) VALUES (?, ?, ?, ?)", parts)

    def create_promise(self, worker: str, idx: int) -> None:
        """Create a pending promise (SET NX: an existing promise is left alone)."""
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO promises VALUES (?, ?, 'pending', NULL)", (worker, idx))

    def complete_promise(self, worker: str, idx: int, payload: bytes) -> bool:
        """Complete a promise; False if it was already completed (the first payload wins).

        As Golem's SET NX of the completed key, this also completes a promise that was never created.
        """
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO promises VALUES (?, ?, 'completed', ?) ON CONFLICT(worker, idx) "
                "DO UPDATE SET state = 'completed', payload = excluded.payload WHERE state = 'pending'",
                (worker, idx, payload),
            )
            return cur.rowcount == 1

    def promise_state(self, worker: str, idx: int) -> PromiseState | None:
        """The promise's state, None if it does not exist."""
        rows = self._query("SELECT state, payload FROM promises WHERE worker = ? AND idx = ?", (worker, idx))
        return PromiseState(*rows[0]) if rows else None

    def delete_promise(self, worker: str, idx: int) -> None:
        """Forget the promise (no-op if absent)."""
        with self._write() as db:
            db.execute("DELETE FROM promises WHERE worker = ? AND idx = ?", (worker, idx))

    def register_component(self, name: str, digest: str) -> int:
        """The version number of component `name` with this wasm hash; a new one (0, 1, ...) if unseen."""
        with self._write() as db:
            row = db.execute("SELECT version FROM components WHERE name = ? AND hash = ?", (name, digest)).fetchone()
            if row is not None:
                return int(row[0])
            top = db.execute("SELECT MAX(version) FROM components WHERE name = ?", (name,)).fetchone()[0]
            version = 0 if top is None else int(top) + 1
            db.execute("INSERT INTO components VALUES (?, ?, ?)", (name, version, digest))
            return version

    def component_version(self, name: str, digest: str) -> int | None:
        """The registered version number of component `name` with this wasm hash, if any."""
        rows = self._query("SELECT version FROM components WHERE name = ? AND hash = ?", (name, digest))
        return int(rows[0][0]) if rows else None

    def component_hash(self, name: str, version: int) -> str | None:
        """The wasm hash of version `version` of component `name`, if registered."""
        rows = self._query("SELECT hash FROM components WHERE name = ? AND version = ?", (name, version))
        return str(rows[0][0]) if rows else None

    def lease(self, worker: str) -> tuple[int, int] | None:
        """(pid, since ms) of the process that declared it is running `worker`, if any."""
        rows = self._query("SELECT pid, since FROM leases WHERE worker = ?", (worker,))
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def set_lease(self, worker: str, pid: int | None, since: int = 0) -> None:
        """Declare (pid) or clear (None) which process runs `worker`."""
        with self._write() as db:
            if pid is None:
                db.execute("DELETE FROM leases WHERE worker = ?", (worker,))
            else:
                db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?)", (worker, pid, since))

    def request(self, worker: str, kind: str, at: int) -> None:
        """Leave a request (e.g. "interrupt") for the process running `worker`."""
        with self._write() as db:
            db.execute("INSERT INTO requests VALUES (?, ?, ?)", (worker, kind, at))

    def take_requests(self, worker: str) -> list[str]:
        """Remove and return the pending requests for `worker`, oldest first."""
        with self._write() as db:
            rows = db.execute("SELECT kind FROM requests WHERE worker = ? ORDER BY at", (worker,)).fetchall()
            if rows:
                db.execute("DELETE FROM requests WHERE worker = ?", (worker,))
        return [str(r[0]) for r in rows]

    def close(self) -> None:
        """Close the database; the store is unusable afterwards."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
