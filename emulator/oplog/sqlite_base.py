"""One SQLite file in WAL mode shared by processes: the connection, its transactions and its errors.

The tables on top of it are sqlite_oplog.py (workers and their oplogs) and sqlite_coordination.py (promises,
component versions, leases, inter-process requests); store.py puts them together as SqliteStore.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any
from urllib.parse import quote

from emulator.errors import OplogConflict, OplogError
from emulator.oplog import schema


class SqliteDatabase:
    """The connection every table class of SqliteStore uses; safe to share between threads."""

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
            schema.ensure(self._db, self.path, readonly)
        except BaseException as e:
            self._db.close()
            if isinstance(e, sqlite3.Error):
                raise self._error(e) from e
            raise

    def _error(self, e: sqlite3.Error) -> OplogError:
        code = getattr(e, "sqlite_errorname", "")
        if code in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            return schema.not_ours(self.path, str(e))
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return OplogConflict(f"{self.path} stayed locked by another process for 5 s; stop it or retry")
        if code.startswith("SQLITE_READONLY") or (self.readonly and "readonly" in str(e)):
            return OplogError(f"{self.path} is read-only ({e}); open it writable or check file permissions")
        if code.startswith("SQLITE_CANTOPEN"):
            return OplogError(f"cannot open {self.path} ({e}); check the path and its permissions")
        if code.startswith("SQLITE_FULL"):
            return OplogError(f"{self.path}: the disk is full; free some space and retry")
        return OplogError(f"{self.path}: {e}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT); rolled back on any error, which is re-raised."""
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

    def close(self) -> None:
        """Close the database; the store is unusable afterwards."""
        with self._lock:
            self._db.close()
