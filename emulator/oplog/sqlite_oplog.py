"""SqliteStore's workers and oplogs: entries appended atomically at an expected index, read in order."""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import Any
from urllib.parse import quote

from emulator.errors import OplogConflict, OplogError, WorkerNotFound
from emulator.oplog import names
from emulator.oplog.batch_codec import encode_batch
from emulator.oplog.codec import EXTERNAL_MARKER, decode, encode
from emulator.oplog.entries import Create, OplogEntry
from emulator.oplog.sqlite_base import SqliteDatabase

_MAX_INDEX = 2**63 - 1


class _SourceLacks(Exception):
    """copy_entries: the source no longer holds every entry asked for (rolls the copy back)."""
_READ = "SELECT idx, body FROM oplog WHERE worker = ? AND idx >= ? AND idx <= ? ORDER BY idx"
_LAST = "SELECT MAX(idx) FROM oplog WHERE worker = ?"
_STAMPS = "SELECT idx, timestamp FROM oplog WHERE worker = ? AND idx >= ? AND idx <= ? ORDER BY idx"
_COPY = ("INSERT INTO oplog(worker, idx, kind, timestamp, body) SELECT worker, idx, kind, timestamp, body "
         "FROM src.oplog WHERE worker = ? AND idx >= ? AND idx <= ?")
_COPY_PARTS = ("INSERT INTO payloads(worker, idx, part, data) SELECT worker, idx, part, data FROM src.payloads "
               "WHERE worker = ? AND idx >= ? AND idx <= ?")
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


_DECODED_LIMIT = 250_000  # decoded entries a store keeps in all (about 100-200 MB at most)


class OplogTables(SqliteDatabase):
    """The workers and oplog tables (and the out-of-line payloads of large entries)."""

    def __init__(self, path: str | PathLike[str], *, readonly: bool = False) -> None:
        # Per worker: its created_at and its entries 1..k decoded so far (see read).
        self._decoded: dict[str, tuple[int, list[tuple[int, OplogEntry]]]] = {}
        self._decode_lock = threading.Lock()
        self._source: Path | None = None  # the database attached as `src` by copy_entries
        super().__init__(path, readonly=readonly)

    def close(self) -> None:
        """Close the database and forget what was decoded."""
        self._decoded.clear()
        super().close()

    def create_worker(self, name: str, create_entry: Create, then: Sequence[OplogEntry] = ()) -> None:
        """Create worker ``name`` with ``create_entry`` at index 1 and ``then`` from index 2, in one
        transaction (a fork is never left half-written); OplogError if it exists."""
        names.check_worker_name(name)  # every way of making a worker ends here: CLI, Python API, forks
        if create_entry.worker_name != name:
            raise OplogError(f"the Create entry names worker {create_entry.worker_name!r}, not {name!r}")
        body = encode(create_entry)
        rows, parts = _encoded_rows(name, 2, then)
        with self._write() as db:
            if db.execute("SELECT 1 FROM workers WHERE name = ?", (name,)).fetchone():
                raise OplogError(
                    f"worker {name!r} already exists in {self.path}; pick another name or delete it"
                )
            ts = create_entry.timestamp
            db.execute("INSERT INTO workers(name, created_at) VALUES (?, ?)", (name, ts))
            db.execute("INSERT INTO oplog VALUES (?, 1, 'create', ?, ?)", (name, ts, body))
            _insert(db, rows, parts)

    def delete_worker(self, name: str) -> None:
        """Delete the worker, its oplog and its promises (no-op if absent)."""
        self._decoded.pop(name, None)
        with self._write() as db:
            for table, column in (("workers", "name"), ("oplog", "worker"), ("promises", "worker"),
                                  ("payloads", "worker"), ("summaries", "worker")):
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))

    def read_kinds(self, name: str, kinds: Sequence[str], *, before: int | None = None,
                   last: bool = False) -> list[tuple[int, OplogEntry]]:
        """The worker's entries of these kinds (by the kind column: nothing else is decoded), in order; with
        `before`, only those before that index; with `last`, only the last one."""
        marks = ",".join("?" * len(kinds))
        sql = (f"SELECT idx, body FROM oplog WHERE worker = ? AND kind IN ({marks}) AND idx < ? "
               f"ORDER BY idx {'DESC LIMIT 1' if last else ''}")
        rows = self._query(sql, (name, *kinds, _MAX_INDEX if before is None else before))
        return self._decode_rows(name, rows)

    def summary_row(self, name: str) -> tuple[int, str] | None:
        """(through, data) of the worker's kept summary, if there is one (an older file has none)."""
        try:
            rows = self._query("SELECT through, data FROM summaries WHERE worker = ?", (name,))
        except OplogError:  # a file from before migration 3, opened read-only
            return None
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def set_summary_row(self, name: str, through: int, data: str) -> None:
        """Keep the worker's summary of entries 1..=through (a later one is never replaced by an older one)."""
        with self._write() as db:
            db.execute("INSERT INTO summaries VALUES (?, ?, ?) ON CONFLICT(worker) DO UPDATE SET "
                       "through = excluded.through, data = excluded.data WHERE excluded.through >= through",
                       (name, through, data))

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
        """Entries ``start..=end`` (``end`` None: to the last), with their indices.

        Entries decoded before by this store are not read again, only those appended since: oplogs are
        append-only, and the worker's created_at tells a deleted and re-created worker of one name apart."""
        stop = _MAX_INDEX if end is None else end
        with self._decode_lock, _gc_paused():
            created = self._query("SELECT created_at FROM workers WHERE name = ?", (name,))
            if not created:
                self._decoded.pop(name, None)
                return []
            born, known = self._decoded.get(name, (None, []))
            if born != created[0][0]:
                known = []
            if start > len(known) + 1:  # a window far from what is decoded: read just that
                return self._decode_rows(name, self._query(_READ, (name, start, stop)))
            if stop > len(known):
                fresh = self._decode_rows(name, self._query(_READ, (name, len(known) + 1, stop)))
                if fresh and (fresh[0][0], fresh[-1][0]) != (len(known) + 1, len(known) + len(fresh)):
                    # not contiguous (an append-only oplog never is): serve what was read, remember nothing
                    return [(i, e) for i, e in known if start <= i <= stop] + fresh
                known.extend(fresh)
                if sum(len(k) for _, k in self._decoded.values()) + len(known) > _DECODED_LIMIT:
                    self._decoded.clear()  # a bound on memory: keep the worker being read, forget the others
                self._decoded[name] = (created[0][0], known)
            return known[start - 1:stop]

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
        rows, parts = _encoded_rows(name, first_index, entries)
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
            _insert(db, rows, parts)

    def entry_timestamps(self, name: str, start: int, end: int) -> list[tuple[int, int]]:
        """(idx, timestamp) of entries ``start..=end``, nothing decoded."""
        return [(int(i), int(t)) for i, t in self._query(_STAMPS, (name, start, end))]

    def copy_entries(self, source: Path, name: str, first: int, last: int) -> int:
        """Append worker ``name``'s entries ``first..=last`` from the database file ``source`` as stored there
        (byte for byte, inside SQLite: nothing is decoded) in one transaction; at ``first`` 1 the worker is
        created. OplogConflict unless this file's last index is ``first-1``; 0 (nothing written) if
        ``source`` no longer holds them all, else how many were copied. Replication copies this way."""
        with self._lock:
            if self._source != source:
                try:
                    if self._source is not None:
                        self._db.execute("DETACH DATABASE src")
                        self._source = None
                    self._db.execute("ATTACH DATABASE ? AS src", (f"file:{quote(str(source.absolute()))}?mode=ro",))
                except sqlite3.Error as e:
                    raise self._error(e) from e
                self._source = source
        try:
            with self._write() as db:
                before = db.execute(_LAST, (name,)).fetchone()[0]
                if first == 1:
                    if before is not None or db.execute("SELECT 1 FROM workers WHERE name = ?", (name,)).fetchone():
                        raise OplogConflict(f"worker {name!r} already exists in {self.path}")
                    born = db.execute("INSERT INTO workers(name, created_at) SELECT worker, timestamp FROM src.oplog "
                                      "WHERE worker = ? AND idx = 1 AND kind = 'create'", (name,))
                    if born.rowcount != 1:
                        raise _SourceLacks
                elif before is None:
                    raise WorkerNotFound(f"no worker {name!r} in {self.path}; create it before appending")
                elif before != first - 1:
                    raise OplogConflict(
                        f"worker {name!r}: another process appended to its oplog (expected last index "
                        f"{first - 1}, found {before}); run each worker in one golem-emu process at a time"
                    )
                copied = db.execute(_COPY, (name, first, last)).rowcount
                if copied != last - first + 1:
                    raise _SourceLacks
                db.execute(_COPY_PARTS, (name, first, last))
        except _SourceLacks:
            return 0
        return copied

    def replace_oplog(self, name: str, entries: Sequence[OplogEntry]) -> None:
        """Replace the worker's whole oplog by ``entries`` (index 1 on) in one transaction; promises stay.

        Failover uses it to make a replica's copy the primary one; no entries deletes the worker. The
        worker's created_at moves on, so that every store's decoded entries of the old history are dropped.
        """
        if entries and not isinstance(entries[0], Create):
            raise OplogError(f"worker {name!r}: a replacement oplog must start with its Create entry")
        rows, parts = _encoded_rows(name, 1, entries)
        self._decoded.pop(name, None)
        with self._write() as db:
            old = db.execute("SELECT created_at FROM workers WHERE name = ?", (name,)).fetchone()
            for table, column in (("workers", "name"), ("oplog", "worker"), ("payloads", "worker")):
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))
            if not rows:
                db.execute("DELETE FROM promises WHERE worker = ?", (name,))
                return
            born = entries[0].timestamp if old is None else int(old[0]) + 1
            db.execute("INSERT INTO workers(name, created_at) VALUES (?, ?)", (name, born))
            _insert(db, rows, parts)


_Row = tuple[str, int, str, str, int]
_Part = tuple[str, int, int, bytes]


def _encoded_rows(name: str, first_index: int, entries: Sequence[OplogEntry]) -> tuple[list[_Row], list[_Part]]:
    """The oplog rows and out-of-line payload parts of ``entries`` written from ``first_index`` on."""
    rows: list[_Row] = []
    parts: list[_Part] = []
    for n, (e, (body, external)) in enumerate(zip(entries, encode_batch(entries), strict=True)):
        rows.append((name, first_index + n, body, e.kind, e.timestamp))
        if external:
            parts.extend((name, first_index + n, k, data) for k, data in enumerate(external))
    return rows, parts


_INSERT = "INSERT INTO oplog(worker, idx, body, kind, timestamp) VALUES "
# Rows go in _CHUNK at a time as one multi-row INSERT: a third cheaper per row than executemany, which steps
# and resets the statement once per row. One statement text, so SQLite's statement cache keeps it compiled.
_CHUNK = 32
_INSERT_CHUNK = _INSERT + ",".join(["(?, ?, ?, ?, ?)"] * _CHUNK)


def _insert(db: sqlite3.Connection, rows: list[_Row], parts: list[_Part]) -> None:
    """Insert encoded rows inside the caller's write transaction."""
    full = len(rows) - len(rows) % _CHUNK
    for start in range(0, full, _CHUNK):
        db.execute(_INSERT_CHUNK, [value for row in rows[start:start + _CHUNK] for value in row])
    if full < len(rows):
        db.executemany(_INSERT + "(?, ?, ?, ?, ?)", rows[full:])
    if parts:
        db.executemany("INSERT INTO payloads(worker, idx, part, data) VALUES (?, ?, ?, ?)", parts)
