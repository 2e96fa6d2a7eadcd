"""Trials that start from the crash-free run's durable state at their point (explore(snapshots=True)) reach
exactly the verdicts of trials that run the scenario up to the point and crash there."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from emulator.chaos.explore import explore
from emulator.chaos.harness import Emulator
from emulator.chaos.trial import NOT_REACHED, TrialResult
from tests.conftest import guest
from tests.http_server import CountingServer
from tests.integration.test_http_durability import effects_args


def _verdict(t: TrialResult) -> tuple[Any, ...]:
    return (t.name, t.outcome, t.problems, [(d.describe(), d.rule) for d in t.duplicates], t.diagnosis,
            t.requests, t.error_type)


def _both(scenario: Callable[[Emulator], object], between: Callable[[], object] = lambda: None,
          **kwargs: Any) -> list[tuple[Any, ...]]:
    by_running = explore(scenario, jobs=1, **kwargs)
    between()  # the servers as the first crash-free run found them
    from_snapshots = explore(scenario, jobs=2, snapshots=True, **kwargs)
    assert [_verdict(t) for t in from_snapshots.trials] == [_verdict(t) for t in by_running.trials]
    assert not any(t.outcome == NOT_REACHED for t in by_running.trials), "every point is reached either way"
    return [_verdict(t) for t in by_running.trials]


@pytest.mark.parametrize("wasm,path", [("bank", ""), ("bank-fixed", "/flaky")])
def test_the_bank_payment_gets_the_same_verdict_at_every_point(bank: Any, wasm: str, path: str) -> None:
    def pay(emu: Emulator) -> None:
        emu.worker("w", guest(wasm)).invoke("pay", [json.dumps(bank.base + path), '"order-1"', "10"], "k")

    def reset() -> None:
        with bank.lock:
            for books in (bank.applied, bank.received, bank.receipts, bank.confirmed):
                books.clear()

    verdicts = _both(pay, reset)
    assert len(verdicts) >= 10
    failing = [v for v in verdicts if v[1] == "fail"]
    assert bool(failing) == (wasm == "bank"), "the buggy guest fails somewhere, the fixed one nowhere"


def test_http_effects_in_regions_and_idempotence_off(http_server: CountingServer) -> None:
    def effects(emu: Emulator) -> None:
        emu.worker("w", guest("http-effects")).invoke(
            "post-effects", effects_args(http_server.base, idempotent=False, atomic=True), "k")

    verdicts = _both(effects, http_server.counts.clear)
    assert any(v[0].startswith("in-region:") for v in verdicts)
    assert any(v[1] == "failed as Golem requires" for v in verdicts), "idempotence off, a request in flight"


def test_two_workers_and_a_setup_that_creates_one() -> None:
    def setup(emu: Emulator) -> None:
        emu.worker("first", guest("counter")).invoke("increment", [], "setup")

    def scenario(emu: Emulator) -> None:
        first, second = emu.worker("first", guest("counter")), emu.worker("second", guest("seed-example"))
        first.invoke("increment", [], "k1")
        second.invoke("run-transaction", ["5"], "k2")
        first.invoke("increment", [], "k3")
        second.invoke("persist-nothing-section", [], "k4")

    verdicts = _both(scenario, setup=setup)
    assert any(v[0].startswith("second/before:") for v in verdicts) and any("/" not in v[0] for v in verdicts)
    assert all(v[1] == "ok" for v in verdicts), verdicts
