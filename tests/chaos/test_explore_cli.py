"""`golem-emu explore` end to end, through the real CLI in its own process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.chaos.points import Chaos
from emulator.errors import WorkerFailed
from emulator.lifecycle.retry import VirtualClock
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from emulator.signals import CrashSignal
from tests.conftest import golem_emu, guest
from tests.http_server import CountingServer
from tests.integration.test_http_durability import effects_args


def _explore(tmp_path: Path, *args: str) -> tuple[int, dict[str, object]]:
    done = golem_emu(tmp_path / "unused", "explore", *args, "--json", "--jobs", "2")
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {"stderr": done.stderr}


def test_every_point_of_a_clock_workflow_holds(tmp_path: Path) -> None:
    code, report = _explore(tmp_path, str(guest("bench")), "spin", "5")
    assert code == 0, report
    points = report["points"]
    assert isinstance(points, list) and len(points) >= 7
    names = [p["name"] for p in points]
    assert len(set(names)) == len(names)
    assert all(p["outcome"] == "ok" for p in points)


def test_a_retrying_worker_is_resumed_not_reinvoked(tmp_path: Path) -> None:
    """Crashing right after a retriable error leaves the worker `retrying`: recovery must resume it."""
    code, report = _explore(tmp_path, str(guest("resilience")), "region-fails-twice")
    assert code == 0, report
    points = report["points"]
    assert isinstance(points, list)
    after_error = [p for p in points if p["name"].startswith("after:commit@")]
    assert after_error and all(p["outcome"] == "ok" for p in points)


def test_bad_input_exits_2(tmp_path: Path) -> None:
    done = golem_emu(tmp_path, "explore", str(guest("bench")), "no-such-function")
    assert done.returncode == 2 and "exports no function" in done.stderr
    done = golem_emu(tmp_path, "explore", str(guest("bench")), "spin", "5", "--worker-env", "novalue")
    assert done.returncode == 2 and "--worker-env" in done.stderr


def test_a_retrying_worker_says_resume(runtime: Runtime, tmp_path: Path) -> None:
    dry = Chaos()
    store = SqliteStore(tmp_path / "dry.db")
    Worker.open(runtime, store, "r", guest("resilience"), chaos=dry, clock=VirtualClock()).invoke(
        "region-fails-twice", [], "k")
    store.close()
    errors = [p for p in dry.points if p.detail == "error"]
    assert errors, [p.name for p in dry.points]
    store = SqliteStore(tmp_path / "trial.db")
    with pytest.raises(CrashSignal):
        Worker.open(runtime, store, "r", guest("resilience"), chaos=Chaos(crash_at=errors[0].name),
                    clock=VirtualClock()).invoke("region-fails-twice", [], "k")
    again = Worker.open(runtime, store, "r", guest("resilience"), clock=VirtualClock())
    with pytest.raises(WorkerFailed, match="golem-emu resume r"):
        again.invoke("region-fails-twice", [], "other-key")
    assert again.resume() is not None and again.summary().invocations["k"].response == "2"
    store.close()



def test_the_piped_table_keeps_each_point_on_one_line(tmp_path: Path, http_server: CountingServer) -> None:
    # Piped output has no terminal width: every point name of the JSON report appears whole in the table,
    # the long `before:http::types::...#n` ones included.
    args = [str(guest("http-effects")), "post-effects", *effects_args(http_server.base)]
    code, report = _explore(tmp_path, *args)
    assert code in (0, 1), report  # some points fail here (effects outside a region): the table lists them too
    done = golem_emu(tmp_path / "unused", "explore", "--jobs", "2", *args)
    names = [p["name"] for p in report["points"]]  # type: ignore[index]
    assert any(len(n) > 40 for n in names), names
    assert all(n in done.stdout for n in names), done.stdout
