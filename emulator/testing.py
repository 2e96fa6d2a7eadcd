"""Testing golem components with golem-emu from pytest: an in-process Emulator and crash exploration.

    def test_each_payment_is_sent_once(golem_emu, payment_server):
        def scenario(emu):
            emu.worker("shop", "guests/build/shop.wasm").invoke("checkout", ['"cart-1"'], "order-1")

        result = golem_emu.explore(scenario, check=lambda emu: payment_server.assert_each_once(),
                                   setup=lambda emu: payment_server.reset())
        assert not result.failures, result.report()

The `golem_emu` fixture (registered as a pytest plugin when golem-emu is installed) gives an Emulator over a
fresh data directory in `tmp_path`. `explore` runs the scenario once without crashes, then once per crash
point: `setup(emu)` before each trial, a crash at the point, a restarted process that resumes what a restarted
Golem executor would resume, the scenario again (done invocations answer from the oplog by idempotency key),
and `check(emu)`. Requests go to the real network (your test server), unless `faults="http"` fails each
request of the crash-free run in turn. Failing trials' data directories are kept under `tmp_path`.

`crash_points(scenario)` lists the points by name, for `pytest.mark.parametrize`; pass one back as
`golem_emu.explore(scenario, check, point=name)` so that each point is its own test.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.chaos.explore import CrashFreeRunFailed, Exploration, crash_free_run
from emulator.chaos.explore import explore as _explore
from emulator.chaos.harness import Emulator as _Emulator
from emulator.chaos.trial import Check, Scenario, Setup

__all__ = ["CrashFreeRunFailed", "Emulator", "Exploration", "crash_points", "golem_emu"]


class Emulator(_Emulator):
    """golem-emu in-process over one data directory, with crash exploration."""

    def explore(
        self, scenario: Scenario, check: Check | None = None, *, setup: Setup | None = None, jobs: int = 1,
        faults: str | None = None, point: str | None = None, limit: int | None = None,
    ) -> Exploration:
        """Crash `scenario` at every crash point (or only `point`), recover, re-run it and `check`.

        The crash-free run failing raises CrashFreeRunFailed (with a diagnosis), not a raw trap."""
        return _explore(scenario, check, setup=setup, jobs=jobs, faults=faults, live=True, only=point,
                        max_points=limit, seed=0, workdir=self.data_dir, wasi=self.runtime.wasi,
                        keep=self.data_dir.parent / "failing-trials", strict_keys=False)


def crash_points(scenario: Scenario, *, setup: Setup | None = None, wasi: str = "golem") -> list[str]:
    """The names of the crash points a crash-free run of `scenario` passes (for pytest.mark.parametrize)."""
    with tempfile.TemporaryDirectory(prefix="golem-emu-points-") as tmp:
        points, _, _ = crash_free_run(scenario, Path(tmp), setup=setup, wasi=wasi)
    return [p.name for p in points]


@pytest.fixture
def golem_emu(tmp_path: Path) -> Iterator[Emulator]:
    """An Emulator over a fresh data directory in tmp_path."""
    with Emulator(tmp_path / "golem-emu") as emu:
        yield emu
