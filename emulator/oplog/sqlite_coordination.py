"""SqliteStore's coordination tables: promises, component versions, leases and inter-process requests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from emulator.errors import OplogError
from emulator.oplog import replica_settings
from emulator.oplog.sqlite_base import SqliteDatabase
from emulator.oplog.sqlite_oplog import OplogTables


class PromiseState(NamedTuple):
    """A promise's state: ``"pending"`` (payload None) or ``"completed"`` with its payload."""

    state: str
    payload: bytes | None


class Crash(NamedTuple):
    """A process that died holding a worker: the last durable index then, its pid, who resumed, when (ms)."""

    died_after: int
    pid: int
    resumed_by: int
    at: int


class Replica(NamedTuple):
    """A replica of a worker's oplog, the last index it holds, its configured lag and any partition."""

    name: str
    last_index: int
    delay: str = ""  # the configured lag, as "50 ms" or "10..80 ms"
    partition: str = ""  # how long until its partition heals, as "3.5 s"; empty when it is connected


class CoordinationTables(SqliteDatabase):
    """What processes share besides oplogs: promises, component versions, leases and requests."""

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

    def register_component(self, name: str, digest: str, env: Sequence[tuple[str, str]] | None = None, *,
                           ephemeral: bool = False) -> int:
        """The version number of component `name` with this wasm hash (the latest, if several); or, when
        `env` is given or `ephemeral` set, the version with this hash, exactly this env and this type. A new
        version (0, 1, ...) if there is none."""
        wanted = None if env is None and not ephemeral else json.dumps([list(kv) for kv in env or ()])
        with self._write() as db:
            if wanted is None:
                row = db.execute("SELECT MAX(version) FROM components WHERE name = ? AND hash = ?",
                                 (name, digest)).fetchone()
            else:
                row = db.execute("SELECT MAX(version) FROM components WHERE name = ? AND hash = ? AND env = ? "
                                 "AND ephemeral = ?", (name, digest, wanted, int(ephemeral))).fetchone()
            if row is not None and row[0] is not None:
                return int(row[0])
            top = db.execute("SELECT MAX(version) FROM components WHERE name = ?", (name,)).fetchone()[0]
            version = 0 if top is None else int(top) + 1
            db.execute("INSERT INTO components(name, version, hash, env, ephemeral) VALUES (?, ?, ?, ?, ?)",
                       (name, version, digest, wanted or "[]", int(ephemeral)))
            return version

    def component_ephemeral(self, name: str, version: int) -> bool:
        """Whether version `version` of component `name` is ephemeral (Golem's component type)."""
        try:
            rows = self._query("SELECT ephemeral FROM components WHERE name = ? AND version = ?", (name, version))
        except OplogError:  # a file from before migration 6, opened read-only
            return False
        return bool(rows and rows[0][0])

    def component_env(self, name: str, version: int) -> tuple[tuple[str, str], ...]:
        """The component-level environment of version `version` of component `name` (none if unregistered)."""
        try:
            rows = self._query("SELECT env FROM components WHERE name = ? AND version = ?", (name, version))
        except OplogError:  # a file from before migration 5, opened read-only
            return ()
        return tuple((str(k), str(v)) for k, v in json.loads(rows[0][0])) if rows else ()

    def register_component_files(self, name: str, digest: str, files: str,
                                 env: Sequence[tuple[str, str]] | None = None, *, ephemeral: bool = False) -> int:
        """The version of component `name` with this wasm, exactly these initial files (JSON text) and this
        component env (none given: none): the latest such, or a new version (the same wasm with other files
        is another version, as in Golem)."""
        wanted = json.dumps([list(kv) for kv in env or ()])
        with self._write() as db:
            row = db.execute(
                "SELECT MAX(c.version) FROM components c JOIN component_files f ON f.name = c.name AND "
                "f.version = c.version WHERE c.name = ? AND c.hash = ? AND c.env = ? AND f.files = ? "
                "AND c.ephemeral = ?",
                (name, digest, wanted, files, int(ephemeral))).fetchone()
            if row is not None and row[0] is not None:
                return int(row[0])
            top = db.execute("SELECT MAX(version) FROM components WHERE name = ?", (name,)).fetchone()[0]
            version = 0 if top is None else int(top) + 1
            db.execute("INSERT INTO components(name, version, hash, env, ephemeral) VALUES (?, ?, ?, ?, ?)",
                       (name, version, digest, wanted, int(ephemeral)))
            db.execute("INSERT INTO component_files VALUES (?, ?, ?)", (name, version, files))
            return version

    def component_files(self, name: str, version: int) -> str | None:
        """The initial files (JSON text) of version `version` of component `name`, if it was added with any."""
        try:
            rows = self._query("SELECT files FROM component_files WHERE name = ? AND version = ?", (name, version))
        except OplogError:  # a database from before migration 6, opened read-only
            return None
        return str(rows[0][0]) if rows else None

    def component_version(self, name: str, digest: str) -> int | None:
        """The registered version number of component `name` with this wasm hash, if any."""
        rows = self._query("SELECT MAX(version) FROM components WHERE name = ? AND hash = ?", (name, digest))
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def component_hash(self, name: str, version: int) -> str | None:
        """The wasm hash of version `version` of component `name`, if registered."""
        rows = self._query("SELECT hash FROM components WHERE name = ? AND version = ?", (name, version))
        return str(rows[0][0]) if rows else None

    def enqueue(self, worker: str, key: str, function: str, request: Sequence[str]) -> bool:
        """Queue an invocation of `worker` (Golem's pending invocation); False if `key` is queued already."""
        with self._write() as db:
            cur = db.execute("INSERT OR IGNORE INTO invocation_queue(worker, idempotency_key, function, request, at) "
                             "VALUES (?, ?, ?, ?, ?)", (worker, key, function, json.dumps(list(request)),
                                                       int(time.time() * 1000)))
            return cur.rowcount == 1

    def queued(self, worker: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """(key, function, request) of `worker`'s queued invocations, oldest first."""
        try:
            rows = self._query("SELECT idempotency_key, function, request FROM invocation_queue WHERE worker = ? "
                               "ORDER BY seq", (worker,))
        except OplogError:  # a database from before migration 8, opened read-only
            return []
        return [(str(k), str(f), tuple(json.loads(r))) for k, f, r in rows]

    def dequeue(self, worker: str, key: str) -> bool:
        """Remove queued invocation `key` of `worker`; whether it was queued."""
        with self._write() as db:
            return db.execute("DELETE FROM invocation_queue WHERE worker = ? AND idempotency_key = ?",
                              (worker, key)).rowcount == 1

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

    def acquire_lease(self, worker: str, pid: int, since: int, alive: Callable[[int], bool]) -> int | None:
        """Take `worker`'s lease for `pid` unless a live other process holds it; that process's pid if so.
        The check and the take are one transaction, so of processes starting at once exactly one wins."""
        with self._write() as db:
            row = db.execute("SELECT pid FROM leases WHERE worker = ?", (worker,)).fetchone()
            if row is not None and int(row[0]) != pid and alive(int(row[0])):
                return int(row[0])
            db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?)", (worker, pid, since))
        return None

    def record_crash(self, worker: str, crash: Crash) -> None:
        """Remember that a process died holding `worker` and another took it over (a side table)."""
        with self._write() as db:
            db.execute("INSERT INTO crashes VALUES (?, ?, ?, ?, ?)",
                       (worker, crash.died_after, crash.pid, crash.resumed_by, crash.at))

    def crashes(self, worker: str) -> list[Crash]:
        """Where processes died holding `worker`, oldest first (none in a database older than the table)."""
        try:
            rows = self._query("SELECT died_after, pid, resumed_by, at FROM crashes WHERE worker = ? ORDER BY at",
                               (worker,))
        except Exception:  # noqa: BLE001 - a read-only open of an older file has no such table
            return []
        return [Crash(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def request(self, worker: str, kind: str, at: int) -> None:
        """Leave a request (e.g. "interrupt") for the process running `worker`."""
        with self._write() as db:
            db.execute("INSERT INTO requests VALUES (?, ?, ?)", (worker, kind, at))

    def requested_workers(self) -> set[str]:
        """The workers with pending requests (a plain read: no write lock)."""
        return {str(r[0]) for r in self._query("SELECT DISTINCT worker FROM requests", ())}

    def take_requests(self, worker: str) -> list[str]:
        """Remove and return the pending requests for `worker`, oldest first."""
        with self._write() as db:
            rows = db.execute("SELECT kind FROM requests WHERE worker = ? ORDER BY at", (worker,)).fetchall()
            if rows:
                db.execute("DELETE FROM requests WHERE worker = ?", (worker,))
        return [str(r[0]) for r in rows]

    def replicas(self, worker: str) -> list[Replica]:
        """The data dir's replicas (replica-settings and ``replicas/replica-<R>.db``) and how far each holds
        `worker`'s oplog; read-only, as the files are now (`golem-emu replicas status` also delivers what is due).
        """
        settings = replica_settings.load(self.path.parent)
        now = time.time() * 1000
        out = []
        for r in range(1, settings.count + 1):
            heals = settings.partitioned_until(r, now)
            last = _replica_last(replica_settings.replica_path(self.path.parent, r), worker)
            out.append(Replica(f"replica-{r}", last, settings.describe_lag(),
                               f"{(heals - now) / 1000:.1f} s" if heals is not None else ""))
        return out


def _replica_last(path: Path, worker: str) -> int:
    if not path.is_file():
        return 0
    try:
        replica = OplogTables(path, readonly=True)
    except OplogError:
        return 0  # being created by its first writer
    try:
        return replica.last_index(worker)
    finally:
        replica.close()
