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

from emulator.errors import OplogError
from emulator.oplog import dbfile, schema


class SqliteDatabase:
    """The connection every table class of SqliteStore uses; safe to share between threads."""

    def __init__(self, path: str | PathLike[str], *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        # One connection shared by threads (the TUI reads from workers); the lock serialises its use.
        self._lock = threading.Lock()
        if readonly and not self.path.is_file():
            raise OplogError(f"no golem-emu database at {self.path}; check --data-dir")
        if not readonly and not self.path.exists():  # only where there is none: a file is never started over
            dbfile.create(self.path, schema.creation())
        try:
            self._db = dbfile.connect(self.path, readonly=readonly)
        except sqlite3.Error as e:
            raise self._error(e) from e
        try:
            self._db.execute("PRAGMA busy_timeout = 5000")
            schema.ensure(self._db, self.path, readonly)  # first: a file not ours is refused before any write
            if not readonly:
                if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self._db.execute("PRAGMA journal_mode = WAL")
                # In WAL mode NORMAL syncs only at checkpoints: a committed transaction is in the WAL file
                # (the OS page cache) before COMMIT returns, so it survives kill -9 of this process; only a
                # power loss or OS crash may drop the last commits, which golem-emu does not promise to
                # survive. FULL would fsync every commit and cost most of the append throughput.
                self._db.execute("PRAGMA synchronous = NORMAL")
        except BaseException as e:
            self._db.close()
            if isinstance(e, sqlite3.Error):
                raise self._error(e) from e
            raise

    def _error(self, e: sqlite3.Error) -> OplogError:
        return dbfile.sqlite_error(e, self.path, readonly=self.readonly)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT); rolled back on any error, which is re-raised."""
        if self.readonly:
            raise OplogError(
                f"{self.path} was opened read-only; writes need a store opened with SqliteStore(path)"
            )
        with self._lock:
            db = self._db
            try:
                # BEGIN inside the try: a KeyboardInterrupt arriving just after it must still roll back, or the
                # connection stays inside a transaction and its next BEGIN fails ("cannot start a transaction
                # within a transaction").
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except BaseException as e:
                if db.in_transaction:
                    try:
                        db.execute("ROLLBACK")
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
