"""The SQLite schema as a list of numbered migrations, and the check every opened file passes.

A new database gets every migration in one transaction (`creation`, run by dbfile.create); an older one is
upgraded, under the write lock, by the migrations it lacks when it is opened writable. Each migration only
adds what newer data needs, so a read-only open reads an older file as it is. To change the schema, append a
migration: never edit one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from emulator.errors import OplogError
from emulator.oplog import dbfile

APPLICATION_ID = 0x676F6C65  # "gole": lets us tell our files from other SQLite databases at a glance


@dataclass(frozen=True)
class Migration:
    """One schema step: the statements that take a database from version - 1 to `version`."""

    version: int
    why: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "workers and their oplogs; promises, leases, inter-process requests, component versions", """
        CREATE TABLE meta(schema_version INTEGER NOT NULL);
        CREATE TABLE workers(name TEXT PRIMARY KEY, created_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE oplog(
            worker TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, timestamp INTEGER NOT NULL,
            body TEXT NOT NULL, PRIMARY KEY(worker, idx)
        ) WITHOUT ROWID;
        CREATE TABLE promises(
            worker TEXT NOT NULL, idx INTEGER NOT NULL, state TEXT NOT NULL, payload BLOB,
            PRIMARY KEY(worker, idx)
        ) WITHOUT ROWID;
        CREATE TABLE leases(worker TEXT PRIMARY KEY, pid INTEGER NOT NULL, since INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE requests(worker TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL);
        CREATE TABLE components(name TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL,
            PRIMARY KEY(name, version)) WITHOUT ROWID;
    """),
    # The parts codec.encode_external moves out of an entry (HTTP body chunks: raw bytes, not base64), written
    # in the same transaction as the entry. A rowid table: large rows do not belong in a WITHOUT ROWID one.
    Migration(2, "large payloads of entries, out of line", """
        CREATE TABLE payloads(worker TEXT NOT NULL, idx INTEGER NOT NULL, part INTEGER NOT NULL,
            data BLOB NOT NULL, PRIMARY KEY(worker, idx, part));
    """),
    # A worker's status fold up to entry `through`, kept when a worker closes: `golem-emu workers` folds only
    # the entries after it instead of decoding every oplog (a cache: a missing or stale row is recomputed).
    Migration(3, "a summary of each worker's status, so listing workers does not read whole oplogs", """
        CREATE TABLE summaries(worker TEXT PRIMARY KEY, through INTEGER NOT NULL, data TEXT NOT NULL)
            WITHOUT ROWID;
    """),
    # Outside the Golem-shaped oplog on purpose, so exports stay Golem's: where a process holding a worker died
    # (its lease was left behind, as a kill -9 leaves it) and which process took the worker over there.
    Migration(4, "processes that died holding a worker, and who resumed it", """
        CREATE TABLE crashes(worker TEXT NOT NULL, died_after INTEGER NOT NULL, pid INTEGER NOT NULL,
            resumed_by INTEGER NOT NULL, at INTEGER NOT NULL);
    """),
    # Golem's component-level environment: set when a version is added (`component add --env`), merged under
    # a worker's own env. The same wasm with another env is another version, as in Golem.
    Migration(5, "the environment of each component version", """
        ALTER TABLE components ADD COLUMN env TEXT NOT NULL DEFAULT '[]';
    """),
    # Golem's initial component files: a version added with files (`component add --file`) keeps their list
    # (JSON: [guest path, permissions, content sha256]); the contents are files in the data dir by hash.
    Migration(6, "the initial files of component versions", """
        CREATE TABLE component_files(name TEXT NOT NULL, version INTEGER NOT NULL, files TEXT NOT NULL,
            PRIMARY KEY(name, version)) WITHOUT ROWID;
    """),
    # Golem's component type: an ephemeral component's workers run each invocation on a fresh instance, with
    # nothing replayed (`component add --ephemeral`).
    Migration(7, "whether a component version is ephemeral", """
        ALTER TABLE components ADD COLUMN ephemeral INTEGER NOT NULL DEFAULT 0;
    """),
    # Golem's invocation queue: invocations made while a worker is busy (running elsewhere, suspended,
    # interrupted), run in order by whoever runs the worker next. Outside the oplog, so that a process that
    # does not hold the worker can enqueue without writing to an oplog another process is appending to; a row
    # goes once its ExportedFunctionInvoked is committed (or it is cancelled).
    Migration(8, "invocations waiting for a busy worker", """
        CREATE TABLE invocation_queue(seq INTEGER PRIMARY KEY AUTOINCREMENT, worker TEXT NOT NULL,
            idempotency_key TEXT NOT NULL, function TEXT NOT NULL, request TEXT NOT NULL, at INTEGER NOT NULL,
            UNIQUE(worker, idempotency_key));
    """),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1)), "migrations are numbered 1, 2, ..."


def not_ours(path: Path, why: str) -> OplogError:
    """The error for a file that is not a golem-emu database."""
    return dbfile.foreign(path, why)


def creation() -> list[str]:
    """The statements that make a new, empty database of the current schema (run in one transaction)."""
    return [*(stmt for m in MIGRATIONS for stmt in _statements(m.sql)),
            f"INSERT INTO meta(schema_version) VALUES ({SCHEMA_VERSION})", f"PRAGMA application_id = {APPLICATION_ID}"]


def _statements(sql: str) -> list[str]:
    return [s for s in sql.split(";") if s.strip()]


def _migrate(db: sqlite3.Connection, start: int) -> None:
    """Apply every migration after version `start` inside the caller's transaction."""
    for migration in MIGRATIONS[start:]:
        for stmt in _statements(migration.sql):
            db.execute(stmt)


def _in_write_transaction(db: sqlite3.Connection, work: Callable[[], None]) -> None:
    try:
        db.execute("BEGIN IMMEDIATE")
        work()
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def ensure(db: sqlite3.Connection, path: Path, readonly: bool) -> None:
    """Create the schema in an empty file, upgrade an older one (when writable), refuse anything else."""
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables and app_id == 0:
        # Never started over: a new database is made whole by dbfile.create, so an empty one here was
        # emptied by something else (a truncate, a failed copy), and starting it over would lose its workers.
        raise not_ours(path, "it is empty")
    if app_id != APPLICATION_ID or "meta" not in tables:
        raise not_ours(path, "it holds other data")
    row = db.execute("SELECT schema_version FROM meta").fetchone()
    version = row[0] if row else None
    if version == SCHEMA_VERSION:
        return None
    if isinstance(version, int) and 1 <= version < SCHEMA_VERSION:
        if not readonly:
            _upgrade(db)
        return None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise OplogError(
            f"{path} was written by a newer golem-emu (schema {version}, this one reads "
            f"{SCHEMA_VERSION}); upgrade golem-emu or pass another --data-dir"
        )
    raise OplogError(
        f"{path} has unknown schema version {version!r} (this golem-emu reads {SCHEMA_VERSION}); "
        "move it away or pass another --data-dir"
    )


def _upgrade(db: sqlite3.Connection) -> None:
    def upgrade() -> None:
        current = int(db.execute("SELECT schema_version FROM meta").fetchone()[0])  # it may be upgraded meanwhile
        if current < SCHEMA_VERSION:
            _migrate(db, current)
            db.execute("UPDATE meta SET schema_version = ?", (SCHEMA_VERSION,))

    _in_write_transaction(db, upgrade)
