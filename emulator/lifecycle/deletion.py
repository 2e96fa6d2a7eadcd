"""Deleting a worker, as Golem's delete-worker does: afterwards nothing of it is left, and a worker created
under the same name starts from a fresh oplog.

Golem interrupts a running worker and then deletes it. Here a worker running in another process is refused
instead (that process holds it: interrupt it first); an idle, suspended, interrupted, failed or exited one
is deleted. The lease is taken for the deletion, so no process can start the worker half-way through.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from emulator.errors import UsageError
from emulator.lifecycle.leases import Lease, WorkerBusy, running_pid
from emulator.oplog import dbfile, names, replica_settings
from emulator.oplog.store import OplogStore, SqliteStore, Store


def delete_worker(store: Store, name: str) -> None:
    """Delete worker `name`: its replicas' copies, then every row of it in the database (one transaction:
    oplog, promises, lease, requests, summary), then its sandbox files. UsageError if there is no such
    worker; WorkerBusy (nothing deleted) if another process is running it."""
    names.check_worker_name(name)
    missing_worker(store, name)
    pid = running_pid(store, name)
    if pid is not None:
        raise WorkerBusy(f"worker {name} is running in process {pid}; interrupt it first "
                         f"(golem-emu interrupt {name}), then delete it")
    data_dir = store.data_dir
    with Lease(store, name):  # a process starting it now gets "is running in process ..."
        _delete_from_replicas(data_dir, name)  # first: a replica missing a worker is caught up again
        store.forget_worker(name)
    sandbox = names.sandbox_dir(data_dir, name)
    try:
        if sandbox.exists():
            shutil.rmtree(sandbox)
    except OSError as e:
        raise dbfile.os_error(e, sandbox) from e


def missing_worker(store: OplogStore, name: str) -> None:
    """UsageError if there is no worker `name` to delete."""
    if not store.has_worker(name):
        known = ", ".join(store.worker_names()) or "none"
        raise UsageError(f"no worker named {name!r} to delete (workers: {known})")


def _delete_from_replicas(data_dir: Path, name: str) -> None:
    settings = replica_settings.load(data_dir)
    for r in range(1, settings.count + 1):
        path = replica_settings.replica_path(data_dir, r)
        if path.is_file():
            with SqliteStore(path) as replica:
                replica.forget_worker(name)
