"""Exhaustive crash exploration through the pytest harness (emulator.testing)."""

from __future__ import annotations

from emulator.testing import Emulator
from tests.conftest import guest


def _count_to_three(emu: Emulator) -> None:
    w = emu.worker("c", guest("counter"))
    for key in ("k1", "k2", "k3"):
        w.invoke("increment", [], key)


def _three(emu: Emulator) -> None:
    w = emu.worker("c", guest("counter"))
    outcomes = w.summary().invocations
    assert [outcomes[k].response for k in ("k1", "k2", "k3")] == ["1", "2", "3"]
    assert w.invoke("get", []).response == "3"


def test_every_crash_point_recovers_exactly_once(golem_emu: Emulator) -> None:
    result = golem_emu.explore(_count_to_three, _three)
    assert len(result.points) >= 6  # at least an invoked and a completed commit per call
    assert len(result.trials) == len(result.points)
    assert not result.failures, result.report()


def test_exploration_catches_a_client_that_retries_without_keys(golem_emu: Emulator) -> None:
    def careless(emu: Emulator) -> None:
        w = emu.worker("c", guest("counter"))
        done = w.summary().invocations
        for _ in range(3 - len([o for o in done.values() if o.completed_at])):
            w.invoke("increment", [])  # a fresh key each time: a retry after a crash counts twice

    def exactly_three(emu: Emulator) -> None:
        assert emu.worker("c", guest("counter")).invoke("get", []).response == "3"

    result = golem_emu.explore(careless, exactly_three)
    assert result.failures, "crashing between an invocation's start and its completion must show a duplicate"
    assert "failed" in result.report()
