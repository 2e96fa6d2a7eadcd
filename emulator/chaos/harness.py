"""golem-emu in-process over one data directory: the Emulator that scenarios, explore and pytest drive."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from emulator.chaos.points import Chaos
from emulator.errors import UsageError
from emulator.inspect import worker_filter
from emulator.lifecycle.deletion import delete_worker
from emulator.lifecycle.retry import Clock, VirtualClock
from emulator.lifecycle.status import WorkerSummary, summarize
from emulator.oplog import names
from emulator.oplog.entries import OplogEntry
from emulator.oplog.store import SqliteStore
from emulator.runtime import initial_files, invocation_queue
from emulator.runtime.catalog import page_workers
from emulator.runtime.component_files import cache_dir
from emulator.runtime.engine import Runtime
from emulator.runtime.executor import InvocationResult
from emulator.runtime.worker import Worker, keep_component, new_worker_name, prepare_call

_RUNTIMES: dict[str, Runtime] = {}

# What a restarted executor continues by itself (a client re-invokes nothing for these).
RESUMED_STATUSES = ("running", "retrying", "interrupted", "suspended")


def shared_runtime(wasi: str = "golem") -> Runtime:
    """One Runtime per process and WASI mode: a component is loaded once and shared by every trial."""
    if wasi not in _RUNTIMES:
        _RUNTIMES[wasi] = Runtime(cache_dir(), wasi=wasi)
    return _RUNTIMES[wasi]


class Emulator:
    """golem-emu in-process, over one data directory: workers, oplogs and (optionally) a crash plan."""

    def __init__(self, data_dir: Path | str, chaos: Chaos | None = None, *, clock: Clock | None = None,
                 wasi: str = "golem", private: bool = False) -> None:
        self.private = private  # no other process uses this data dir: skip leases and interrupt watching
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = SqliteStore(self.data_dir / "oplog.db")
        self.runtime = shared_runtime(wasi)
        self.chaos = chaos
        self.clock = clock or VirtualClock()  # retries decide as Golem does, without sleeping
        self._workers: dict[str, Worker] = {}

    @property
    def components_dir(self) -> Path:
        """Where the exact component of each worker is kept (hard links, by hash)."""
        return self.data_dir / "components"

    def worker(self, name: str | None, component: str | os.PathLike[str], *, env: Sequence[tuple[str, str]] = (),
               args: Sequence[str] = (), semantics: str | None = None) -> Worker:
        """The worker `name`, created on first use (env, args and semantics as Worker.open's); name None
        creates a worker with a new name, as Golem's worker service names one (`w.name` tells it)."""
        name = new_worker_name() if name is None else name
        w = self._workers.get(name)
        if w is None:
            w = Worker.open(self.runtime, self.store, name, component, env=env, args=args, semantics=semantics,
                            chaos=self.chaos, clock=self.clock, components_dir=self.components_dir)
            w.private = self.private
            self._workers[name] = w
        return w

    def existing(self, name: str) -> Worker:
        """A worker that exists already, running the component it was created with."""
        w = self._workers.get(name)
        if w is None:
            w = Worker.load(self.runtime, self.store, name, self.components_dir, chaos=self.chaos, clock=self.clock)
            w.private = self.private
            self._workers[name] = w
        return w

    def add_component(self, component: str | os.PathLike[str], *, name: str | None = None,
                      env: Sequence[tuple[str, str]] | None = None,
                      files: Sequence[tuple[str | os.PathLike[str], str, str]] = (), ephemeral: bool = False) -> int:
        """Register a component version (as `golem-emu component add`); with `env`, the component-level
        environment its workers get under their own; `files`: its initial files as (source, guest path,
        "read-only" | "read-write"); `ephemeral`, Golem's ephemeral type (each invocation on a fresh instance,
        nothing replayed). Returns the version number."""
        specs = [initial_files.parse_spec(f"{src}:{target}:{permissions}") for src, target, permissions in files]
        loaded = self.runtime.load(component)
        keep_component(loaded, self.components_dir)
        component_name = names.check_component_name(name or loaded.path.stem)
        component_env = None if env is None else tuple(env)
        if not specs:
            return self.store.register_component(component_name, loaded.sha256, component_env, ephemeral=ephemeral)
        return initial_files.add_version(self.store, self.data_dir, component_name, loaded.sha256, specs,
                                         component_env, ephemeral=ephemeral)

    def list_files(self, name: str, path: str = "/") -> list[dict[str, object]]:
        """Golem's list-directory of a worker's filesystem (as `golem-emu files`)."""
        return initial_files.list_directory(self._sandbox(name), path)

    def read_file(self, name: str, path: str) -> bytes:
        """Golem's get-file-contents of a worker's file (as `golem-emu file`)."""
        return initial_files.read_file(self._sandbox(name), path)

    def _sandbox(self, name: str) -> Path:
        if not self.store.has_worker(name):
            raise UsageError(f"no worker named {name!r}")
        return names.sandbox_dir(self.data_dir, name)

    def enqueue(self, name: str, function: str, args: Sequence[str], idempotency_key: str | None = None) -> str:
        """Golem's invoke without awaiting: queue a call of existing worker `name` behind what it is busy with
        (suspended, interrupted, running elsewhere); it runs when the worker next runs, at once if the worker
        is idle. Returns its key."""
        w = self.existing(name)
        call = prepare_call(w.loaded, function, args)
        return invocation_queue.enqueue_call(w, call.export.name, call.request, idempotency_key)

    def cancel(self, name: str, idempotency_key: str) -> bool:
        """Golem's cancel-invocation: True if the call was waiting in the queue, False if it already ran; a
        UsageError for a key the worker never had."""
        return invocation_queue.cancel(self.existing(name), idempotency_key)

    def delete(self, name: str) -> None:
        """Delete worker `name` (Golem's delete-worker): its oplog, promises, lease and sandbox files go; a
        worker made later under the same name starts afresh. Refused while another process runs it."""
        w = self._workers.pop(name, None)
        if w is not None:
            w.close()
        delete_worker(self.store, name)

    def workers(self, filter: str | None = None, *, cursor: int = 0,
                count: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
        """Golem's get-workers: the workers that `filter` (worker_filter's text, e.g. "name like test and
        status == idle") selects, up to `count` of them scanning from `cursor`, and the next page's cursor
        (None at the end). Each worker is a dict of runtime.catalog.worker_row."""
        matches = None if filter is None else worker_filter.parse(filter).matches
        return page_workers(self.store, matches, cursor, count)

    def summary(self, name: str) -> WorkerSummary:
        """A worker's status and invocation outcomes, folded from its oplog."""
        return summarize([e for _, e in self.store.read(name)])

    def restart(self) -> dict[str, InvocationResult | None]:
        """What a restarted executor does: continue every worker left running, retrying, interrupted or
        suspended in an invocation (by replay; a suspended one suspends again if its promise is still
        pending), without re-invoking anything, and run the invocation queue of an idle worker that has one.
        Returns what each resume gave (None for a queue run alone)."""
        out: dict[str, InvocationResult | None] = {}
        for name in self.store.worker_names():
            summary = self.summary(name)
            if summary.open_key is not None and summary.status in RESUMED_STATUSES:
                out[name] = self.existing(name).resume()
            elif summary.status == "idle" and self.store.queued(name):
                out[name] = self.existing(name).resume()  # nothing to continue: it runs the queue
        return out

    def oplog(self, name: str) -> list[tuple[int, OplogEntry]]:
        """A worker's oplog as it is in the database."""
        return self.store.read(name)

    def close(self) -> None:
        """Commit and close every worker, then the database; after a planned crash, commit nothing."""
        crashed = self.chaos is not None and self.chaos.crashed
        for w in self._workers.values():
            if crashed:  # a crashed process loses whatever it had not committed, and its instances
                w.drop_instance()
            else:
                w.close()
        self._workers.clear()
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
