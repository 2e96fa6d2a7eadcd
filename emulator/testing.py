"""Testing golem components with golem-emu from pytest: an in-process Emulator and crash exploration.

    def test_each_payment_is_sent_once(golem_emu, payment_server):
        def scenario(emu):
            emu.worker("shop", "guests/build/shop.wasm").invoke("checkout", ['"cart-1"'], "order-1")

        result = golem_emu.explore(scenario, check=lambda emu: payment_server.assert_each_once())
        assert not result.failures, result.report()

The `golem_emu` fixture (registered as a pytest plugin when golem-emu is installed) gives an Emulator over a
fresh data directory in `tmp_path`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

import pytest

from emulator.chaos.explore import Check, Exploration, Scenario, explore
from emulator.chaos.points import Chaos
from emulator.cli.common import cache_dir
from emulator.lifecycle.retry import Clock, VirtualClock
from emulator.oplog.entries import OplogEntry
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker

_RUNTIMES: dict[str, Runtime] = {}


def _runtime(wasi: str) -> Runtime:
    # One per process: compiled components are cached in memory as well as on disk.
    if wasi not in _RUNTIMES:
        _RUNTIMES[wasi] = Runtime(cache_dir(), wasi=wasi)
    return _RUNTIMES[wasi]


class Emulator:
    """golem-emu in-process, over one data directory: workers, oplogs and (optionally) a crash plan."""

    def __init__(self, data_dir: Path | str, chaos: Chaos | None = None, *, clock: Clock | None = None,
                 wasi: str = "golem") -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = SqliteStore(self.data_dir / "oplog.db")
        self.runtime = _runtime(wasi)
        self.chaos = chaos
        self.clock = clock or VirtualClock()  # retries decide as Golem does, without sleeping
        self._workers: dict[str, Worker] = {}

    def worker(self, name: str, component: str | os.PathLike[str], *, env: Sequence[tuple[str, str]] = (),
               args: Sequence[str] = (), semantics: str | None = None) -> Worker:
        """The worker `name`, created on first use (env, args and semantics as Worker.open's)."""
        w = self._workers.get(name)
        if w is None:
            w = Worker.open(self.runtime, self.store, name, component, env=env, args=args, semantics=semantics,
                            chaos=self.chaos, clock=self.clock, components_dir=self.data_dir / "components")
            self._workers[name] = w
        return w

    def oplog(self, name: str) -> list[tuple[int, OplogEntry]]:
        """A worker's oplog as it is in the database."""
        return self.store.read(name)

    def explore(self, scenario: Scenario, check: Check, *, limit: int | None = None) -> Exploration:
        """Crash `scenario` at every crash point, restart, re-run it and check; see emulator.chaos.explore."""
        wasi = self.runtime.wasi
        return explore(lambda d, c: Emulator(d, c, wasi=wasi), scenario, check, limit=limit,
                       workdir=self.data_dir)

    def close(self) -> None:
        """Commit and close every worker, then the database; after a planned crash, commit nothing."""
        crashed = self.chaos is not None and self.chaos.crashed
        for w in self._workers.values():
            if not crashed:  # a crashed process loses whatever it had not committed
                w.close()
        self._workers.clear()
        self.store.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


@pytest.fixture
def golem_emu(tmp_path: Path) -> Iterator[Emulator]:
    """An Emulator over a fresh data directory in tmp_path."""
    with Emulator(tmp_path / "golem-emu") as emu:
        yield emu
