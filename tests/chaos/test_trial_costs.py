"""What a trial does not redo: read or hash the component, or build a linker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator.chaos.explore import explore
from emulator.chaos.harness import Emulator, shared_runtime
from emulator.runtime import component_files, linker
from tests.conftest import guest


def test_trials_read_no_component_file_and_build_no_linker(monkeypatch: pytest.MonkeyPatch) -> None:
    wasm = guest("counter")
    shared_runtime().load(wasm)  # loaded once by this process, as the CLI does before exploring
    reads: list[Path] = []
    built: list[Any] = []
    real_read, real_build = component_files.read, linker._build_linker
    monkeypatch.setattr(component_files, "read", lambda path: reads.append(path) or real_read(path))
    monkeypatch.setattr(linker, "_build_linker", lambda *a: built.append(a) or real_build(*a))

    def scenario(emu: Emulator) -> None:
        emu.worker("c", wasm).invoke("increment", [], "k1")

    result = explore(scenario, jobs=1, snapshots=True)
    assert len(result.trials) >= 3 and not result.failures, result.report()
    assert reads == [], "the kept copy of the component is not read and hashed again for each trial"
    assert len(built) <= 1, "one linker for the component, whatever the number of instances"
