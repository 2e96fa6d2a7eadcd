"""SQLite-backed key-value buckets and blob containers, in `<data-dir>/shared.db`.

Each operation is its own transaction (the host journals the operation after it returned), so a crash
leaves either the old or the new value, never half of one.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (bucket TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
                               PRIMARY KEY (bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS containers (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (container TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL,
                                    created_at INTEGER NOT NULL, PRIMARY KEY (container, name)) WITHOUT ROWID;
"""

_OPEN: dict[Path, SharedStorage] = {}
_LOCK = threading.Lock()


class SharedStorage:
    """Buckets of keys and containers of objects, over one SQLite database file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)

    @classmethod
    def at(cls, data_dir: Path) -> SharedStorage:
        """The storage of a data directory, opened once per process."""
        path = (data_dir / "shared.db").resolve()
        with _LOCK:
            if path not in _OPEN:
                _OPEN[path] = cls(path)
            return _OPEN[path]

    # -- key-value --------------------------------------------------------------------------------------------

    def get(self, bucket: str, key: str) -> bytes | None:
        """The value of `key` in `bucket`, or None."""
        row = self.db.execute("SELECT value FROM kv WHERE bucket = ? AND key = ?", (bucket, key)).fetchone()
        return None if row is None else bytes(row[0])

    def set(self, bucket: str, key: str, value: bytes) -> None:
        """Set (or replace) `key` in `bucket`."""
        self.db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (bucket, key, value))

    def set_many(self, bucket: str, pairs: list[tuple[str, bytes]]) -> None:
        """Set several keys in one transaction."""
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", [(bucket, k, v) for k, v in pairs])

    def delete(self, bucket: str, keys: list[str]) -> None:
        """Remove keys (missing ones are ignored)."""
        with self._transaction():
            self.db.executemany("DELETE FROM kv WHERE bucket = ? AND key = ?", [(bucket, k) for k in keys])

    def keys(self, bucket: str) -> list[str]:
        """Every key of `bucket`, in order."""
        return [r[0] for r in self.db.execute("SELECT key FROM kv WHERE bucket = ? ORDER BY key", (bucket,))]

    # -- blob containers --------------------------------------------------------------------------------------

    def create_container(self, name: str) -> int | None:
        """Create container `name`; its creation time in ms, or None if it already exists."""
        now = int(time.time() * 1000)
        cur = self.db.execute("INSERT OR IGNORE INTO containers VALUES (?, ?)", (name, now))
        return now if cur.rowcount == 1 else None

    def container_created(self, name: str) -> int | None:
        """When container `name` was created (ms), or None if there is none."""
        row = self.db.execute("SELECT created_at FROM containers WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])

    def delete_container(self, name: str) -> None:
        """Remove a container and its objects."""
        with self._transaction():
            self.db.execute("DELETE FROM objects WHERE container = ?", (name,))
            self.db.execute("DELETE FROM containers WHERE name = ?", (name,))

    def write_object(self, container: str, name: str, data: bytes) -> None:
        """Store (or replace) an object."""
        now = int(time.time() * 1000)
        self.db.execute("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?)", (container, name, data, now))

    def read_object(self, container: str, name: str) -> tuple[bytes, int] | None:
        """An object's data and creation time (ms), or None."""
        row = self.db.execute("SELECT data, created_at FROM objects WHERE container = ? AND name = ?",
                              (container, name)).fetchone()
        return None if row is None else (bytes(row[0]), int(row[1]))

    def object_names(self, container: str) -> list[str]:
        """The names of a container's objects, in order."""
        return [r[0] for r in self.db.execute(
            "SELECT name FROM objects WHERE container = ? ORDER BY name", (container,))]

    def delete_objects(self, container: str, names: list[str]) -> None:
        """Remove objects (missing ones are ignored)."""
        with self._transaction():
            self.db.executemany("DELETE FROM objects WHERE container = ? AND name = ?",
                                [(container, n) for n in names])

    def _transaction(self) -> _Tx:
        return _Tx(self.db)


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, rolled back if the block raises."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, et: object, ev: object, tb: object) -> None:
        self.db.execute("COMMIT" if et is None else "ROLLBACK")
