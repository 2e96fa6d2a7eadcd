"""Golem's executor tests revert.rs (v1.2.4): reverting a worker's last invocations."""

from __future__ import annotations

import pytest

from emulator.errors import EmulatorError
from emulator.lifecycle import management
from emulator.testing import Emulator
from tests.golem.conftest import component


def test_revert_failed_worker(emu: Emulator) -> None:
    """revert_failed_worker: add(50) fails the worker; reverting the last invocation makes it usable again."""
    w = emu.worker("revert_failed_worker", component("failing-component"))
    w.invoke("golem:component/api.{add}", ["5"])
    with pytest.raises(EmulatorError):
        w.invoke("golem:component/api.{add}", ["50"])
    with pytest.raises(EmulatorError):
        w.invoke("golem:component/api.{get}", [])
    management.revert(emu.store, "revert_failed_worker", last_invocations=1)
    assert w.invoke("golem:component/api.{get}", []).response == "5"
