"""Golem's invocation queue from api.rs (v1.2.4): calls made while a worker is busy wait and run in order.

The poll-loop cases (http-client-2, with a real HTTP server and real processes) are in test_http_rust.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emulator.errors import UsageError
from emulator.testing import Emulator
from tests.golem.conftest import component
from tests.golem.harness import cli

COUNTER = 'rpc:counters-exports/api.{counter("counter1").'


def test_cancelling_pending_invocations(emu: Emulator) -> None:
    """cancelling_pending_invocations: inc-by(5) ran; the worker blocks on a promise; inc-by(6) and inc-by(7)
    are queued behind it. Cancelling the finished one says false, the queued inc-by(6) true, an unknown key is
    an error. Once the promise is completed the worker finishes and runs the queue: the counter is 5 + 7."""
    name = "cancel-pending-invocations"
    w = emu.worker(name, component("counters"))
    w.invoke(COUNTER + "inc-by}", ["5"], "ik1")
    promise = w.invoke(COUNTER + "create-promise}", []).response
    assert promise is not None
    blocked = w.invoke(COUNTER + "block-on-promise}", [promise])
    assert blocked.status == "suspended"
    assert emu.enqueue(name, COUNTER + "inc-by}", ["6"], "ik2") == "ik2"
    assert emu.enqueue(name, COUNTER + "inc-by}", ["7"], "ik3") == "ik3"
    assert emu.cancel(name, "ik1") is False  # it completed
    assert emu.cancel(name, "ik2") is True
    with pytest.raises(UsageError, match="no invocation with idempotency key 'ik4'"):
        emu.cancel(name, "ik4")
    refused = cli(emu.data_dir, "cancel", name, "ik4")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    index = int(re.search(r"oplog-idx: (\d+)", promise).group(1))  # type: ignore[union-attr]
    assert emu.store.complete_promise(name, index, bytes([42]))
    w.resume()  # as `golem-emu promise complete` does: the blocked call finishes, then the queue runs
    assert w.invoke(COUNTER + "get-value}", []).response == "12"
    assert cli(emu.data_dir, "oplog", name).returncode == 0
    kinds = [e.kind for _, e in emu.oplog(name)]
    assert kinds.count("cancel-invocation") == 1
    assert cli(emu.data_dir, "result", name, "ik3").stdout.strip() == ""  # inc-by has no result; it ran
    assert cli(emu.data_dir, "result", name, "ik3").returncode == 0


def test_a_queue_left_behind_runs_when_the_executor_restarts(data_dir: Path) -> None:
    """Golem's executor starts a worker with pending invocations when it comes back: calls queued for a
    worker whose process went away run on restart (here the row is what such a process leaves)."""
    with Emulator(data_dir) as emu:
        w = emu.worker("queued-1", component("counters"))
        w.invoke(COUNTER + "inc-by}", ["1"])
        emu.store.enqueue("queued-1", "k2", 'rpc:counters-exports/api.{counter("counter1").inc-by}', ("2",))
    with Emulator(data_dir) as emu:
        assert emu.restart() == {"queued-1": None}
        assert emu.store.queued("queued-1") == []
        assert emu.existing("queued-1").invoke(COUNTER + "get-value}", []).response == "3"


def test_a_call_queued_for_an_idle_worker_runs_at_once(emu: Emulator) -> None:
    w = emu.worker("idle-1", component("counters"))
    w.invoke(COUNTER + "inc-by}", ["1"])
    assert emu.enqueue("idle-1", COUNTER + "inc-by}", ["4"], "k4") == "k4"
    assert emu.store.queued("idle-1") == []
    assert w.invoke(COUNTER + "get-value}", []).response == "5"
