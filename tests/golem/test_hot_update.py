"""Golem's executor tests hot_update.rs (v1.2.4): automatic and snapshot-based updates of an idle worker, and
of one running f1 (interrupted at its next epoch check and replayed on the new code).

The components' f1 POSTs to Golem's test server (/f1, answered 200); a server that answers the same runs
beside them, and for the running cases holds one POST until the test lets it go, as Golem's F1Control.
"Updating the component" is naming the new component file in Worker.update, as `golem-emu update WORKER
COMPONENT --mode automatic|snapshot` does (from another thread or, in one case, another process).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulator.oplog.entries import FailedUpdate, PendingUpdate, SuccessfulUpdate
from emulator.runtime.worker import Worker
from emulator.testing import Emulator
from tests.golem.conftest import component
from tests.golem.harness import Reply, RoutedServer, cli, serve

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


class _F1Control:
    """Golem's F1Control: the POST to /f1 whose body is `value` is held until resume(), reached() says when
    it arrived. Every other POST is answered 200 at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.blocks: dict[int, tuple[threading.Event, threading.Event]] = {}
        self.armed: set[int] = set()  # blocks the next POST of that value (once, as Golem's F1Blocker)

    def block(self, value: int) -> None:
        with self.lock:
            self.blocks[value] = (threading.Event(), threading.Event())
            self.armed.add(value)

    def reached(self, value: int) -> None:
        assert self.blocks[value][0].wait(60), f"f1 never posted {value}"

    def resume(self, value: int) -> None:
        self.blocks[value][1].set()

    def route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        if method != "POST" or path != "/f1":
            return None
        with self.lock:
            value = int(body)
            held = self.blocks[value] if value in self.armed else None
            self.armed.discard(value)
        if held is not None:
            held[0].set()
            held[1].wait(60)
        return (200, b"", [])


def _f1_running(emu: Emulator, name: str, old: str, speed: str,
                update: Callable[[Worker], None]) -> tuple[Worker, str | None]:
    """Golem's running-update scenario: f1(speed) is held at its POST of 100, updated by `update`, then let
    go; its POST of 110 comes from the code it runs after the update. f1's result."""
    control = _F1Control()
    with serve(control.route) as server:
        w = _worker(emu, name, old, server)
        if name == "failing_auto_update_on_running":
            w.invoke(f"{API}.{{f2}}", [])
        result: list[str | None] = []
        control.block(100)
        fiber = threading.Thread(target=lambda: result.append(w.invoke(f"{API}.{{f1}}", [speed]).response))
        fiber.start()
        control.reached(100)
        update(w)
        control.block(110)
        control.resume(100)
        control.reached(110)
        control.resume(110)
        fiber.join(120)
        assert result, "f1 did not finish"
        return w, result[0]


def _statuses(emu: Emulator, name: str) -> tuple[int, int, int]:
    """(pending, successful, failed) updates: Golem's last_known_status, from the oplog."""
    entries = [e for _, e in emu.oplog(name)]
    pending = sum(isinstance(e, PendingUpdate) for e in entries) - sum(
        isinstance(e, SuccessfulUpdate | FailedUpdate) for e in entries)
    return (pending, *_updates(emu, name))


def test_auto_update_on_running(emu: Emulator) -> None:
    """auto_update_on_running: f1 is interrupted at its next epoch check and replayed on v2, where it finishes
    with 150; one successful update, none pending, and the worker runs version 1 (v2)."""
    target = emu.runtime.load(component("update-test-v2"))
    w, result = _f1_running(emu, "auto_update_on_running", "update-test-v1", "50",
                            lambda w: w.update(target, "automatic"))
    assert result == "150"
    w.invoke(f"{API}.{{f3}}", [])
    assert _statuses(emu, "auto_update_on_running") == (0, 1, 0)
    assert w.info.component_version == 1


def test_failing_auto_update_on_running(emu: Emulator) -> None:
    """failing_auto_update_on_running: f2 ran on v1 first, so replaying on v2 diverges; the update fails and
    f1 goes on on v1, returning 300; the worker stays on version 0. The update comes from the real CLI in
    another process."""
    data_dir = emu.data_dir
    w, result = _f1_running(emu, "failing_auto_update_on_running", "update-test-v1", "20",
                            lambda w: _cli_update(data_dir, w.name, "update-test-v2", "automatic"))
    assert result == "300"
    w.invoke(f"{API}.{{f3}}", [])
    assert _statuses(emu, "failing_auto_update_on_running") == (0, 0, 1)
    assert w.info.component_version == 0


def _cli_update(data_dir: Path, worker: str, version: str, mode: str) -> None:
    done = cli(data_dir, "update", worker, str(component(version)), "--mode", mode)
    assert done.returncode == 0, done.stderr


def test_auto_update_on_running_followed_by_manual(emu: Emulator) -> None:
    """auto_update_on_running_followed_by_manual: an automatic update to v2 and a snapshot one to v3 while f1
    runs; f1 finishes on v2 with 150, then v3 loads v2's snapshot and its `get` returns 150; two successful
    updates, the worker on version 2."""
    v2, v3 = emu.runtime.load(component("update-test-v2")), emu.runtime.load(component("update-test-v3"))

    def both(w: Worker) -> None:
        w.update(v2, "automatic")
        w.update(v3, "snapshot")

    w, result = _f1_running(emu, "auto_update_on_running_followed_by_manual", "update-test-v1", "20", both)
    assert result == "150"
    assert w.invoke(f"{API}.{{get}}", []).response == "150"
    assert _statuses(emu, "auto_update_on_running_followed_by_manual") == (0, 2, 0)
    assert w.info.component_version == 2
