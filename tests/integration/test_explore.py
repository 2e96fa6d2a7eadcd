"""Exhaustive crash exploration through the pytest harness (emulator.testing)."""

from __future__ import annotations

from pathlib import Path

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
    acknowledged: dict[Path, int] = {}  # the client's own memory: which calls it got an answer for

    def careless(emu: Emulator) -> None:
        w = emu.worker("c", guest("counter"))
        while acknowledged.get(emu.data_dir, 0) < 3:
            w.invoke("increment", [])  # a fresh key each time: a retry after a crash counts twice
            acknowledged[emu.data_dir] = acknowledged.get(emu.data_dir, 0) + 1

    def exactly_three(emu: Emulator) -> None:
        assert emu.worker("c", guest("counter")).invoke("get", []).response == "3"

    result = golem_emu.explore(careless, exactly_three)
    assert result.failures, "a crash between an invocation's start and its answer must show a duplicate"
    assert "AssertionError" in result.report()
    assert all(t.kept for t in result.failures), "failing trials' data dirs are kept"
