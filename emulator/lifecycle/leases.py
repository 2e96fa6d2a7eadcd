"""Which process runs a worker: a lease in the store, and requests left for that process.

A worker runs in one process at a time. While it runs, a lease names that process; a crashed holder leaves a
stale lease, which counts for nothing once its process is gone.
"""

from __future__ import annotations

import os
import time
from types import TracebackType

from emulator.errors import EmulatorError
from emulator.oplog.store import Crash, Store

INTERRUPT = "interrupt"  # the request `golem-emu interrupt` leaves for the process running a worker
UPDATE = "update"  # `golem-emu update` of a running worker: "update MODE HASH NAME" (updates.request)


def update_request(mode: str, digest: str, component: str) -> str:
    """The request kind that asks the process running a worker to update it to component `digest`."""
    return f"{UPDATE} {mode} {digest} {component}"


def parse_update_request(kind: str) -> tuple[str, str, str] | None:
    """(mode, hash, component name) of an update request, None for any other request."""
    parts = kind.split(" ")
    return (parts[1], parts[2], parts[3]) if len(parts) == 4 and parts[0] == UPDATE else None


class WorkerBusy(EmulatorError):
    """Another live process is running this worker."""


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (a crashed holder leaves a stale lease behind)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_pid(store: Store, worker: str) -> int | None:
    """The live process that holds `worker`'s lease, if any."""
    lease = store.lease(worker)
    if lease is None or not pid_alive(lease[0]):
        return None
    return lease[0]


class Lease:
    """Hold `worker` for this process while an invocation runs; a clear error if another process does."""

    def __init__(self, store: Store, worker: str) -> None:
        self.store = store
        self.worker = worker

    def __enter__(self) -> Lease:
        lease = self.store.lease(self.worker)
        if lease is not None and lease[0] != os.getpid() and not pid_alive(lease[0]):
            # A clean exit clears its lease: the process that left this one died holding the worker.
            self.store.record_crash(self.worker, Crash(self.store.last_index(self.worker), lease[0], os.getpid(),
                                                       int(time.time() * 1000)))
        # One transaction checks and takes it: of processes starting at once, exactly one wins, and every
        # other one gets this message (not a conflict on the oplog later).
        holder = self.store.acquire_lease(self.worker, os.getpid(), int(time.time() * 1000), pid_alive)
        if holder is not None:
            raise WorkerBusy(
                f"worker {self.worker} is running in process {holder}; wait for it, queue the call behind it "
                f"(invoke --enqueue), or `golem-emu interrupt {self.worker}`"
            )
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.store.set_lease(self.worker, None)
