"""Issue 4: retries, statuses, atomic regions, jumps, idempotency keys, promises, interrupts and exit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.cli.common import cache_dir
from emulator.errors import GuestTrap, WorkerFailed
from emulator.lifecycle.leases import INTERRUPT
from emulator.lifecycle.retry import DEFAULT_POLICY, VirtualClock, get_delay
from emulator.oplog.entries import Error, Jump
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.conftest import golem_emu, guest, wat_component


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "oplog.db") as store:
        yield store


def resilience(runtime: Runtime, store: SqliteStore, name: str, clock: VirtualClock | None = None) -> Worker:
    return Worker.open(runtime, store, name, guest("resilience"), clock=clock or VirtualClock())


def errors(store: SqliteStore, name: str) -> list[Error]:
    return [e for _, e in store.read(name) if isinstance(e, Error)]


def test_delay_formula_matches_golem() -> None:
    no_jitter = {**DEFAULT_POLICY, "max_jitter_factor": None}
    assert [get_delay(no_jitter, n) for n in range(4)] == [0.1, 0.1, 0.3, None]
    doubling = {"max_attempts": 6, "min_delay_ns": 100_000_000, "max_delay_ns": 2_000_000_000,
                "multiplier": 2.7, "max_jitter_factor": None}  # the multiplier is cast to an integer first
    assert [get_delay(doubling, n) for n in range(7)] == [0.1, 0.1, 0.2, 0.4, 0.8, 1.6, None]
    capped = {**doubling, "max_delay_ns": 300_000_000}
    assert get_delay(capped, 5) == 0.3


def test_default_policy_fails_after_golems_attempts(runtime: Runtime, db: SqliteStore) -> None:
    clock = VirtualClock()
    w = resilience(runtime, db, "f", clock)
    with pytest.raises(GuestTrap, match="RuntimeError: boom"):
        w.invoke("fail", ['"boom"'])
    # One execution plus max-attempts (3) retries, each recorded; delays 100, 100, 300 ms plus <= 15% jitter.
    errs = errors(db, "f")
    assert len(errs) == 4 and w.attempts == 4
    assert [e.retriable for e in errs] == [True, True, True, False]
    assert len(clock.slept) == 3
    for slept, base in zip(clock.slept, [0.1, 0.1, 0.3], strict=True):
        assert base <= slept <= base * 1.15 + 0.001
    assert w.summary().status == "failed"
    with pytest.raises(WorkerFailed, match="previous invocation failed"):
        w.invoke("bump", [])


def test_set_retry_policy_is_honoured(runtime: Runtime, db: SqliteStore) -> None:
    clock = VirtualClock()
    with pytest.raises(GuestTrap):
        resilience(runtime, db, "p", clock).invoke("fail-with-policy", ["1"])
    assert len(errors(db, "p")) == 2  # max-attempts 1: one retry
    assert clock.slept == [0.01]


def test_retrying_status_between_attempts(runtime: Runtime, db: SqliteStore) -> None:
    class DyingClock(VirtualClock):
        def sleep(self, seconds: float) -> None:
            raise KeyboardInterrupt  # the process is stopped while waiting for the retry

    with pytest.raises(KeyboardInterrupt):
        resilience(runtime, db, "r", DyingClock()).invoke("fail", ['"x"'])
    w = resilience(runtime, db, "r")
    assert w.summary().status == "retrying"
    with pytest.raises(WorkerFailed, match="previous invocation failed .*golem-emu resume r"):
        w.invoke("bump", [])
    with pytest.raises(GuestTrap):  # resume carries on with the retries from where the count stands
        w.resume()
    assert len(errors(db, "r")) == 4


def test_atomic_region_reexecutes_until_it_succeeds(runtime: Runtime, db: SqliteStore) -> None:
    w = resilience(runtime, db, "a")
    assert w.invoke("region-fails-twice", []).response == "2"
    entries = [e for _, e in db.read("a")]
    assert len([e for e in entries if isinstance(e, Error)]) == 2
    assert len([e for e in entries if isinstance(e, Jump)]) == 2  # each abandoned attempt is jumped over
    assert w.summary().status == "idle"
    # The finished region replays normally in a new worker object.
    assert resilience(runtime, db, "a").invoke("bump", []).response == "1"


def test_infallible_transaction_jumps_back(runtime: Runtime, db: SqliteStore) -> None:
    w = resilience(runtime, db, "j")
    r = w.invoke("infallible-transfer", ["7"])
    assert r.response == '"transferred 7"'
    jumps = [e for _, e in db.read("j") if isinstance(e, Jump)]
    assert len(jumps) == 1
    assert resilience(runtime, db, "j").recover()[r.idempotency_key] == '"transferred 7"'


def test_idempotency_keys_dedupe_across_restarts(runtime: Runtime, db: SqliteStore) -> None:
    first = resilience(runtime, db, "k").invoke("bump", [], "same")
    length = db.last_index("k")
    again = resilience(runtime, db, "k").invoke("bump", [], "same")
    assert (again.response, again.cached) == (first.response, True)
    assert db.last_index("k") == length  # nothing ran, nothing was written
    assert resilience(runtime, db, "k").invoke("bump", [], "other").response == "2"


def test_promise_suspends_and_completion_resumes(runtime: Runtime, db: SqliteStore) -> None:
    w = resilience(runtime, db, "s")
    r = w.invoke("wait-for-promise", [], "waiting")
    assert r.status == "suspended" and r.promise is not None
    worker, index = r.promise
    assert worker == "s" and w.summary().status == "suspended"
    with pytest.raises(WorkerFailed, match="suspended"):
        w.invoke("bump", [])
    # Another worker completes it through the host API (complete-promise from a guest).
    other = resilience(runtime, db, "other")
    assert other.invoke("complete", ['"s"', str(index), '"paid"']).response == "true"
    assert other.invoke("complete", ['"s"', str(index), '"again"']).response == "false"
    done = resilience(runtime, db, "s").resume()
    assert done is not None and (done.status, done.response) == ("completed", '"paid"')
    assert resilience(runtime, db, "s").summary().invocations["waiting"].response == '"paid"'


def test_promise_through_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"
    wasm = str(guest("resilience"))
    r = golem_emu(data, "invoke", wasm, "-w", "p", "-k", "k1", "wait-for-promise")
    assert r.returncode == 0 and "suspended" in r.stderr
    index = r.stderr.split("waiting for promise ")[1].split()[0]
    assert golem_emu(data, "result", "p", "k1").returncode == 3
    done = golem_emu(data, "promise", "complete", "p", index, "hello")
    assert done.returncode == 0 and done.stdout.strip() == '"hello"', done.stderr
    assert golem_emu(data, "result", "p", "k1", check=True).stdout.strip() == '"hello"'
    again = golem_emu(data, "promise", "complete", "p", index, "x")
    assert again.returncode == 2 and "already completed" in again.stderr


def test_exit_is_terminal(runtime: Runtime, db: SqliteStore) -> None:
    w = resilience(runtime, db, "x")
    assert w.invoke("exit-now", ["0"]).status == "exited"
    assert w.summary().status == "exited"
    with pytest.raises(WorkerFailed, match="exited"):
        w.invoke("bump", [])


def test_interrupt_a_running_worker_and_resume(runtime: Runtime, tmp_path: Path) -> None:
    wasm = wat_component("clock_loop", tmp_path)
    with SqliteStore(tmp_path / "oplog.db") as store:
        w = Worker.open(runtime, store, "busy", wasm)
        outcome: list[object] = []
        t = threading.Thread(target=lambda: outcome.append(w.invoke("spin", ["100000"], "long")))
        t.start()
        time.sleep(0.3)
        with SqliteStore(tmp_path / "oplog.db") as other:  # as `golem-emu interrupt` in another process
            other.request("busy", INTERRUPT, 0)
        t.join(timeout=20)
        assert not t.is_alive()
        result = outcome[0]
        assert result.status == "interrupted"
        assert result.detail == "Interrupted via the Golem API"
        again = Worker.open(runtime, store, "busy", wasm)
        assert again.summary().status == "interrupted"
        # As Golem's (api.rs long_running_poll_loop_interrupting_and_resuming_by_second_invocation): a new
        # invocation queues behind the interrupted one and resumes the worker, which replays what was journaled
        # before the interrupt, runs the rest live, and then the new one.
        short = again.invoke("spin", ["1"], "short")
        assert short.status == "completed" and short.idempotency_key == "short"
        assert again.summary().invocations["long"].completed_at is not None
        clock_reads = [e for _, e in store.read("busy") if e.kind == "imported-function-invoked"]
        assert len(clock_reads) == 100_001  # each iteration's clock read journaled exactly once
        assert again.summary().status == "idle"
        assert again.resume() is None


def test_invoke_wait_prints_the_result_once_the_promise_is_completed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    waiting = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--data-dir", str(data), "invoke", str(guest("resilience")), "-w", "w",
         "--wait", "wait-for-promise"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    deadline = time.time() + 60
    index = None
    while index is None and time.time() < deadline:
        time.sleep(0.2)
        shown = golem_emu(data, "show", "w").stdout if (data / "oplog.db").exists() else ""
        if "suspended" in shown:
            rows = golem_emu(data, "oplog", "w", "--format", "jsonl").stdout.splitlines()
            index = max(i + 1 for i, line in enumerate(rows) if '"no-op"' in line)
    assert index is not None
    completed = golem_emu(data, "promise", "complete", "w", str(index), "late", check=True)
    assert completed.stdout == ""  # the waiting invoke holds the worker and resumes it, not this command
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert out.strip() == '"late"'


def test_interrupt_marks_a_suspended_worker(tmp_path: Path) -> None:
    data = tmp_path / "data"
    golem_emu(data, "invoke", str(guest("resilience")), "-w", "s", "wait-for-promise", check=True)
    r = golem_emu(data, "interrupt", "s", check=True)
    assert "marked interrupted" in r.stderr
    rows = golem_emu(data, "workers", "--format", "jsonl").stdout
    assert '"interrupted"' in rows
    idle = golem_emu(data, "interrupt", "nope")
    assert idle.returncode == 2
