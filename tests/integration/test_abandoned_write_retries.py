"""A failure that repeats inside an abandoned remote write ends in `failed` after the retry policy's attempts.

Each attempt starts a POST and traps with its body unfinished, so the remote write is never finished. On the
next attempt replay finds the unfinished write, jumps over the abandoned attempt and sends again. The
attempts of that region must keep counting against the retry policy (they used to start over after each
jump, and the invocation never finished nor failed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.errors import EmulatorError
from emulator.lifecycle.retry import DEFAULT_POLICY, VirtualClock
from emulator.oplog.entries import Error, Jump
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.conftest import guest
from tests.http_server import CountingServer


def test_a_failure_inside_an_abandoned_remote_write_ends_failed(
    runtime: Runtime, tmp_path: Path, http_server: CountingServer,
) -> None:
    max_attempts = DEFAULT_POLICY["max_attempts"]
    with SqliteStore(tmp_path / "oplog.db") as store:
        w = Worker.open(runtime, store, "abandon", guest("http-effects"), clock=VirtualClock())
        with pytest.raises(EmulatorError) as failed:
            w.invoke("abandon-request", [f'"{http_server.base}/slow/300"'])
        entries = [e for _, e in store.read("abandon")]
        assert w.summary().status == "failed"
    assert "giving up on" in str(failed.value)
    errors = sum(isinstance(e, Error) for e in entries)
    assert errors == max_attempts + 1  # the first run and max_attempts retries, as Golem's live retry loop
    assert sum(isinstance(e, Jump) for e in entries) == errors - 1  # each retry jumped over the last attempt
