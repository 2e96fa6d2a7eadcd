"""A real `kill -9` of the CLI process in the middle of golem-cloud transactions and a custom durable function,
then recovery by a new process. The test server delivers the kill itself, at a chosen request, so the moment
does not depend on timing: the request has reached the server, its answer never reaches the worker.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.cli.common import cache_dir
from tests.conftest import guest
from tests.golemcloud.test_golem_cloud import FALLIBLE_ERROR, GOLEM_TX_EVENTS_INFALLIBLE
from tests.step_server import StepServer, step_server

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _command(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "emulator", "--data-dir", str(data), *args]


def _env() -> dict[str, str]:
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    env.pop("GOLEM_EMU_CRASH_AT", None)
    return env


def invoke_killed(data: Path, server: StepServer, kill_on: str, *args: str) -> None:
    """Invoke through the CLI; the server kills that process when `kill_on` arrives."""
    server.kill_on, server.killed = kill_on, False
    proc = subprocess.Popen(_command(data, "invoke", str(guest("golem-cloud")), "--worker", "w", "--no-wait",
                                     *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    server.victim = proc.pid
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    assert server.killed


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a new process."""
    return subprocess.run(_command(data, *args), capture_output=True, text=True, env=_env(), timeout=120)


def test_kill_during_a_compensation_of_the_fallible_transaction(tmp_path: Path) -> None:
    with step_server({3: 1}) as server:
        invoke_killed(tmp_path, server, "DELETE /step/2", "fallible-transaction-test", json.dumps(server.base))
        assert server.events == ["=> 1", "=> 2", "=> 3", "<= 3", "<= 2"]
        resumed = cli(tmp_path, "resume", "w", "--no-wait")
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.stdout.strip() == FALLIBLE_ERROR
    # Steps 1-3 and the undo of 3 came back from the oplog; the undo of 2, whose answer was lost, is sent
    # again (idempotence mode on: at least once), then the undo of 1.
    assert server.events == ["=> 1", "=> 2", "=> 3", "<= 3", "<= 2", "<= 2", "<= 1"]


def test_kill_inside_the_retried_infallible_transaction(tmp_path: Path) -> None:
    with step_server({3: 1}) as server:
        invoke_killed(tmp_path, server, "GET /step/4", "infallible-transaction-test", json.dumps(server.base))
        assert server.events == GOLEM_TX_EVENTS_INFALLIBLE
        resumed = cli(tmp_path, "resume", "w", "--no-wait")
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.stdout.strip() == "11"
    # The transaction's atomic region never ended, so recovery runs the whole transaction again from its start.
    assert server.events == [*GOLEM_TX_EVENTS_INFALLIBLE, "=> 1", "=> 2", "=> 3", "=> 4"]


@pytest.mark.parametrize("semantics", ["golem-1.1", "golem-1.2"])
def test_kill_during_a_custom_durable_function(tmp_path: Path, semantics: str) -> None:
    with step_server() as server:
        first = cli(tmp_path, "invoke", str(guest("golem-cloud")), "--worker", "w", "--semantics", semantics,
                    "callback", json.dumps(server.base), '"a"')
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip() == '"0-a"'
        invoke_killed(tmp_path, server, "GET /callback?payload=b", "callback", json.dumps(server.base), '"b"')
        resumed = cli(tmp_path, "resume", "w", "--no-wait")
        assert resumed.returncode == 0, resumed.stderr
        # "a" is replayed from its persisted result; "b" was never persisted, so it runs again (its lost
        # answer was callback 1).
        assert resumed.stdout.strip() == '"2-b"'
        third = cli(tmp_path, "invoke", str(guest("golem-cloud")), "--worker", "w", "callback",
                    json.dumps(server.base), '"c"')
        assert third.stdout.strip() == '"3-c"'
        assert server.callbacks == 4


def test_kill_during_a_non_idempotent_durable_function_fails_the_worker(tmp_path: Path) -> None:
    with step_server() as server:
        invoke_killed(tmp_path, server, "GET /callback?payload=a", "raw-callback", json.dumps(server.base), '"a"')
        resumed = cli(tmp_path, "resume", "w", "--no-wait")
        assert resumed.returncode != 0
        assert "Non-idempotent remote write operation was not completed, cannot retry" in resumed.stderr
        assert server.callbacks == 1  # at most once: never called again
