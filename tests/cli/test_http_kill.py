"""A real `kill -9` of the CLI process in the middle of HTTP side effects (GOLEM_EMU_CRASH_AT), then recovery
by a new process: each effect reaches the server exactly once, or at most once with idempotence off."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.chaos.points import CrashPoint
from emulator.cli.common import cache_dir
from emulator.host.http.responses import GET
from emulator.oplog.entries import EndRemoteWrite, ImportedFunctionInvoked
from emulator.oplog.store import SqliteStore
from tests.conftest import guest
from tests.http_server import CountingServer
from tests.integration.test_http_durability import (
    NOT_COMPLETED,
    after_second_response,
    before_second_response_journaled,
    counts,
    effects_args,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def cli(data: Path, *args: str, crash_at: int | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process, optionally killing itself (SIGKILL) at crash point `crash_at`."""
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    env.pop("GOLEM_EMU_CRASH_AT", None)
    if crash_at is not None:
        env.update(GOLEM_EMU_CRASH_AT=str(crash_at), GOLEM_EMU_CRASH_MODE="kill")
    return subprocess.run(
        [sys.executable, "-m", "emulator", "--data-dir", str(data), *args],
        capture_output=True, text=True, env=env, timeout=120,
    )


# The dry run happens in a fresh process too: crash points depend a little on timing, and a process whose
# connection pool is already warm numbers them differently from the CLI process that is going to crash.
DRY_RUN = """
import json, sys
from pathlib import Path
from emulator.chaos.points import Chaos
from emulator.cli.common import Env
from emulator.lifecycle.retry import VirtualClock
from emulator.runtime.worker import Worker
env = Env(Path(sys.argv[1]))
chaos = Chaos()
worker = Worker.open(env.runtime, env.store, "dry-run", sys.argv[2], chaos=chaos, clock=VirtualClock(),
                     components_dir=env.components_dir)
worker.invoke("post-effects", json.loads(sys.argv[3]))
worker.close()
print(json.dumps([[p.number, p.kind, p.oplog_index, p.detail] for p in chaos.points]))
"""


def dry_run(data: Path, server: CountingServer, **kw: Any) -> list[CrashPoint]:
    """The crash points of post-effects in a fresh process (the server's counts are reset after)."""
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    env.pop("GOLEM_EMU_CRASH_AT", None)
    args = json.dumps(effects_args(server.base, **kw))
    run = subprocess.run([sys.executable, "-c", DRY_RUN, str(data), str(guest("http-effects")), args],
                         capture_output=True, text=True, env=env, timeout=120, check=True)
    server.reset()
    return [CrashPoint(*row) for row in json.loads(run.stdout.splitlines()[-1])]


def crash_cli(
    data: Path, server: CountingServer, points: list[CrashPoint], pick: Callable[[list[CrashPoint]], CrashPoint],
    stopped_right: Callable[[list[object]], bool], **kw: Any,
) -> str:
    """Kill a CLI invocation at the point `pick` chooses; retried with a new worker if timing moved it."""
    wanted = pick(points)
    for attempt in range(4):
        name = f"w{attempt}"
        run = cli(data, "invoke", str(guest("http-effects")), "--worker", name, "post-effects",
                  *effects_args(server.base, **kw), crash_at=wanted.number)
        assert run.returncode == -signal.SIGKILL, run.stderr
        store = SqliteStore(data / "oplog.db")
        try:
            entries: list[object] = [e for _, e in store.read(name)]
        finally:
            store.close()
        if stopped_right(entries):
            return name
        server.reset()
    pytest.fail(f"could not crash at {wanted.describe()}: timing kept moving the crash points")


def _ends(entries: list[object]) -> int:
    return sum(isinstance(e, EndRemoteWrite) for e in entries)


def _got_response(entry: object) -> bool:
    return (isinstance(entry, ImportedFunctionInvoked) and entry.function_name == GET
            and '"kind": "response"' in json.dumps(entry.response))


def test_kill_after_second_response_each_effect_once(http_server: CountingServer, tmp_path: Path) -> None:
    points = dry_run(tmp_path / "dry", http_server)
    data = tmp_path / "data"
    name = crash_cli(data, http_server, points, after_second_response,
                     lambda es: isinstance(es[-1], EndRemoteWrite) and _ends(es) == 2)
    assert counts(http_server) == [1, 1, 0]
    resumed = cli(data, "resume", name, "--no-wait")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == ["1 #1", "2 #1", "3 #1"]
    assert counts(http_server) == [1, 1, 1]


@pytest.mark.parametrize("idempotent", [True, False])
def test_kill_before_response_journaled(http_server: CountingServer, tmp_path: Path, idempotent: bool) -> None:
    points = dry_run(tmp_path / "dry", http_server, idempotent=idempotent)
    data = tmp_path / "data"

    def stopped_right(entries: list[object]) -> bool:
        # Effect 1 is done, effect 2 reached the server, and its response is not in the oplog.
        return _ends(entries) == 1 and sum(map(_got_response, entries)) == 1 and http_server.count("/effect/2") == 1

    name = crash_cli(data, http_server, points, before_second_response_journaled, stopped_right,
                     idempotent=idempotent)
    resumed = cli(data, "resume", name, "--no-wait")
    if idempotent:
        assert resumed.returncode == 0, resumed.stderr
        assert json.loads(resumed.stdout) == ["1 #1", "2 #2", "3 #1"]
        assert counts(http_server) == [1, 2, 1]
    else:
        assert resumed.returncode != 0 and NOT_COMPLETED in resumed.stderr
        again = cli(data, "invoke", str(guest("http-effects")), "--worker", name, "--no-wait", "post-effects",
                    *effects_args(http_server.base))
        assert again.returncode != 0
        assert counts(http_server) == [1, 1, 0]
