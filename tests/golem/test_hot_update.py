"""Golem's executor tests hot_update.rs (v1.2.4): automatic and snapshot-based updates of an idle worker.

The components' f1 POSTs to Golem's test server (/f1, answered 200); a server that answers the same runs
beside them. "Updating the component" is naming the new component file in Worker.update, as `golem-emu
update WORKER COMPONENT --mode automatic|snapshot` does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.oplog.entries import FailedUpdate, SuccessfulUpdate
from emulator.runtime.worker import Worker
from emulator.testing import Emulator
from tests.golem.conftest import component
from tests.golem.harness import Reply, RoutedServer, serve

API = "golem:component/api"


def _f1(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
    return (200, b"", []) if method == "POST" and path == "/f1" else None


@pytest.fixture
def f1_server() -> Iterator[RoutedServer]:
    with serve(_f1) as server:
        yield server


def _worker(emu: Emulator, name: str, version: str, server: RoutedServer) -> Worker:
    return emu.worker(name, component(version), env=[("PORT", str(server.port))])


def _updates(emu: Emulator, name: str) -> tuple[int, int]:
    entries = [e for _, e in emu.oplog(name)]
    return sum(isinstance(e, SuccessfulUpdate) for e in entries), sum(isinstance(e, FailedUpdate) for e in entries)


def test_auto_update_on_idle(emu: Emulator, f1_server: RoutedServer) -> None:
    """auto_update_on_idle: no history, so the update succeeds and f2 gives the current state, 0."""
    w = _worker(emu, "auto_update_on_idle", "update-test-v1", f1_server)
    assert w.update(emu.runtime.load(component("update-test-v2")), "automatic")[0]
    assert w.invoke(f"{API}.{{f2}}", []).response == "0"
    assert _updates(emu, "auto_update_on_idle") == (1, 0)


def test_failing_auto_update_on_idle(emu: Emulator, f1_server: RoutedServer) -> None:
    """failing_auto_update_on_idle: f1 returned 300 on v1; v2's f1 would return 150, a divergence, so the
    update fails and v1's f2 runs (a random number, neither 150 nor 300)."""
    w = _worker(emu, "failing_auto_update_on_idle", "update-test-v1", f1_server)
    w.invoke(f"{API}.{{f1}}", ["0"])
    assert not w.update(emu.runtime.load(component("update-test-v2")), "automatic")[0]
    assert w.invoke(f"{API}.{{f2}}", []).response not in ("150", "300")
    assert _updates(emu, "failing_auto_update_on_idle") == (0, 1)


def test_auto_update_on_idle_with_non_diverging_history(emu: Emulator, f1_server: RoutedServer) -> None:
    """auto_update_on_idle_with_non_diverging_history: f3 is the same in both versions; after the update
    f4, which only v2 has, returns 11."""
    w = _worker(emu, "auto_update_on_idle_with_non_diverging_history", "update-test-v1", f1_server)
    w.invoke(f"{API}.{{f3}}", [])
    w.invoke(f"{API}.{{f3}}", [])
    assert w.update(emu.runtime.load(component("update-test-v2")), "automatic")[0]
    assert w.invoke(f"{API}.{{f4}}", []).response == "11"


@pytest.mark.parametrize(("golem_test", "old", "new"), [
    ("manual_update_on_idle", "update-test-v2", "update-test-v3"),
    ("manual_update_on_idle_using_v11", "update-test-v2-11", "update-test-v3-11"),
    ("manual_update_on_idle_using_golem_rust_sdk", "update-test-v2-11", "update-test-v3-sdk"),
])
def test_manual_update_on_idle(emu: Emulator, f1_server: RoutedServer, golem_test: str, old: str, new: str) -> None:
    """The state saved by the old version's save-snapshot is loaded by the new one: its `get` (which the old
    version does not have) returns what f2 returned before the update."""
    w = _worker(emu, golem_test, old, f1_server)
    w.invoke(f"{API}.{{f1}}", ["0"])
    before = w.invoke(f"{API}.{{f2}}", []).response
    assert w.update(emu.runtime.load(component(new)), "snapshot")[0]
    assert w.invoke(f"{API}.{{get}}", []).response == before
    assert _updates(emu, golem_test) == (1, 0)


@pytest.mark.parametrize(("golem_test", "old", "new"), [
    ("manual_update_on_idle_without_save_snapshot", "update-test-v1", "update-test-v3"),
    ("manual_update_on_idle_with_failing_load", "update-test-v2", "update-test-v4"),
])
def test_failing_manual_update_on_idle(emu: Emulator, f1_server: RoutedServer, golem_test: str, old: str,
                                       new: str) -> None:
    """No save-snapshot in v1, or a load-snapshot that always fails in v4: the worker stays on its version,
    where f3 returns 4."""
    w = _worker(emu, golem_test, old, f1_server)
    w.invoke(f"{API}.{{f1}}", ["0"])
    assert not w.update(emu.runtime.load(component(new)), "snapshot")[0]
    assert w.invoke(f"{API}.{{f3}}", []).response == "4"
    assert _updates(emu, golem_test) == (0, 1)
