"""`golem-emu serve` against the real CLI: warm workers, turns with plain processes, kill -9 mid-invocation."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.cli.common import cache_dir
from emulator.cli.invoke import SEMANTICS
from emulator.oplog.kinds import Semantics
from emulator.server.client import SERVER_FILE, read_server_file, request
from tests.conftest import golem_emu, guest, wat_component


def _start(data: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "--data-dir", str(data), "serve"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    for _ in range(600):  # the server writes its file once it listens
        if read_server_file(data) is not None:
            return proc
        if proc.poll() is not None:
            pytest.fail(f"golem-emu serve exited: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("golem-emu serve did not start")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    data = tmp_path / "data"
    data.mkdir()
    proc = _start(data)
    yield data, proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def _warm(data: Path) -> list[str]:
    found = read_server_file(data)
    assert found is not None
    status, body = request(found[1], "GET", "/healthz")
    assert status == 200
    return list(body["warm"])


def _kinds(data: Path, worker: str) -> list[str]:
    with sqlite3.connect(data / "oplog.db") as db:
        return [r[0] for r in db.execute("SELECT kind FROM oplog WHERE worker = ? ORDER BY idx", (worker,))]


def test_the_cli_semantics_choice_matches_the_runtime() -> None:
    assert SEMANTICS == tuple(s.value for s in Semantics)


def test_a_warm_worker_has_the_state_replay_gives(server: tuple[Path, subprocess.Popen[str]]) -> None:
    data, proc = server
    counter = str(guest("counter"))
    outputs = [golem_emu(data, "invoke", counter, "-w", "c", "increment", check=True).stdout.strip()
               for _ in range(4)]
    assert outputs == ["1", "2", "3", "4"]
    assert _warm(data) == ["c"]  # it ran in the server, which keeps it instantiated
    warm = golem_emu(data, "invoke", counter, "-w", "c", "get", check=True).stdout.strip()
    replayed = golem_emu(data, "invoke", "--no-server", counter, "-w", "c", "get", check=True).stdout.strip()
    assert warm == replayed == "4"


def test_server_and_plain_invocations_take_turns_on_one_oplog(server: tuple[Path, subprocess.Popen[str]]) -> None:
    data, proc = server
    counter = str(guest("counter"))
    seen = []
    for i in range(6):
        extra = ["--no-server"] if i % 2 else []
        seen.append(golem_emu(data, "invoke", *extra, counter, "-w", "c", "increment", check=True).stdout.strip())
    assert seen == ["1", "2", "3", "4", "5", "6"]  # each saw the other's invocations: one history
    kinds = _kinds(data, "c")
    assert kinds.count("exported-function-invoked") == kinds.count("exported-function-completed") == 6
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert not (data / SERVER_FILE).exists()  # a clean stop removes its file; the CLI runs locally again
    assert golem_emu(data, "invoke", counter, "-w", "c", "get", check=True).stdout.strip() == "6"


def test_a_worker_deleted_and_made_again_elsewhere_is_not_the_warm_one(
        server: tuple[Path, subprocess.Popen[str]]) -> None:
    data, _ = server
    counter = str(guest("counter"))
    assert [golem_emu(data, "invoke", counter, "-w", "c", "increment", check=True).stdout.strip()
            for _ in range(2)] == ["1", "2"]
    assert _warm(data) == ["c"]
    deleted_length = len(_kinds(data, "c"))
    golem_emu(data, "delete", "c", check=True)
    assert golem_emu(data, "invoke", "--no-server", counter, "-w", "c", "increment", check=True).stdout.strip() == "1"
    assert golem_emu(data, "invoke", "--no-server", counter, "-w", "c", "get", check=True).stdout.strip() == "1"
    assert len(_kinds(data, "c")) == deleted_length  # as long as the deleted one's: the length tells nothing
    # the server's warm instance holds the deleted worker's state (2): it must replay the new one instead
    assert golem_emu(data, "invoke", counter, "-w", "c", "increment", check=True).stdout.strip() == "2"


def test_bad_input_through_the_server_is_one_line_and_writes_nothing(
        server: tuple[Path, subprocess.Popen[str]]) -> None:
    data, _ = server
    counter = str(guest("counter"))
    golem_emu(data, "invoke", counter, "-w", "c", "increment", check=True)
    before = _kinds(data, "c")
    bad = golem_emu(data, "invoke", counter, "-w", "c", "no-such-function")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "exports no function" in bad.stderr
    assert _kinds(data, "c") == before


def test_golem_shaped_routes(server: tuple[Path, subprocess.Popen[str]]) -> None:
    data, _ = server
    golem_emu(data, "invoke", str(guest("counter")), "-w", "c", "increment", check=True)
    found = read_server_file(data)
    assert found is not None
    base = "/v1/components/any/workers/c"
    status, body = request(found[1], "POST", f"{base}/invoke-and-await?function=increment", {"params": []})
    assert (status, body["result"]["value"]) == (200, 2)
    status, meta = request(found[1], "GET", base)
    assert status == 200 and meta["status"] == "idle" and meta["workerId"]["workerName"] == "c"
    status, page = request(found[1], "GET", f"{base}/oplog?from=1&count=2")
    assert status == 200 and [e["index"] for e in page["entries"]] == [1, 2] and page["next"] == 3
    assert request(found[1], "GET", "/v1/components/any/workers/nobody")[0] == 404


def test_kill_9_of_the_server_mid_invocation_recovers(server: tuple[Path, subprocess.Popen[str]],
                                                       tmp_path: Path) -> None:
    data, proc = server
    wasm = str(wat_component("clock_loop", tmp_path))
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    client = subprocess.Popen([sys.executable, "-m", "emulator", "--data-dir", str(data), "invoke", wasm,
                               "-w", "k", "-k", "long", "spin", "200000"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while len(_kinds(data, "k")) < 300 and time.monotonic() < deadline:  # invoked, and a few commits of calls
        time.sleep(0.05)
    committed = _kinds(data, "k")
    assert "exported-function-invoked" in committed
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    out, err = client.communicate(timeout=300)
    assert client.returncode == 0, err
    assert "did not answer" in err  # the CLI noticed, and carried on with the same idempotency key
    after = _kinds(data, "k")
    assert after[:len(committed)] == committed  # nothing committed was lost
    assert after.count("exported-function-invoked") == 1 and after.count("exported-function-completed") == 1
    assert after.count("imported-function-invoked") == 200_000  # each durable call recorded exactly once
    assert json.loads(golem_emu(data, "workers", "--format", "jsonl", check=True).stdout.splitlines()[0])[
        "status"] == "idle"
