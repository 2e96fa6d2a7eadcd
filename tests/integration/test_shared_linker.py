"""One Linker serves every instance of a component: each host call still reaches its own worker's context."""

from __future__ import annotations

from pathlib import Path

from emulator.chaos.harness import Emulator
from tests.conftest import guest


def test_two_live_instances_of_one_component_keep_their_own_state(tmp_path: Path) -> None:
    counter = guest("counter")
    with Emulator(tmp_path / "data") as emu:
        a, b = emu.worker("a", counter), emu.worker("b", counter)
        got = [a.invoke("increment", []).response, b.invoke("increment", []).response,
               a.invoke("increment", []).response, a.invoke("increment", []).response,
               b.invoke("increment", []).response]
        assert got == ["1", "1", "2", "3", "2"]
        assert a.instance is not None and b.instance is not None  # both alive at once, in separate Stores
        assert list(a.loaded.linkers) == ["golem"] and a.loaded.linkers is b.loaded.linkers
    with Emulator(tmp_path / "data") as emu:  # a new process would replay each oplog on its own instance
        assert emu.existing("a").invoke("get", []).response == "3"
        assert emu.existing("b").invoke("get", []).response == "2"


def test_a_closed_instance_is_forgotten_by_the_shared_linker(tmp_path: Path) -> None:
    from emulator.runtime import linker

    before = len(linker._CONTEXTS)
    with Emulator(tmp_path / "data") as emu:
        emu.worker("c", guest("counter")).invoke("increment", [])
        assert len(linker._CONTEXTS) == before + 1
    assert len(linker._CONTEXTS) == before
