"""`invoke --enqueue` and `cancel`: Golem's invocation queue through the CLI, real processes, one data dir."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from emulator.cli.common import cache_dir
from tests.conftest import golem_emu, guest


def _db_digest(data: Path) -> str:
    parts = [(data / "oplog.db").read_bytes()] + [p.read_bytes() for p in sorted(data.glob("oplog.db-wal"))]
    return hashlib.sha256(b"".join(parts)).hexdigest()


def test_a_call_queued_behind_a_suspended_worker_waits_and_can_be_cancelled(tmp_path: Path) -> None:
    data, wasm = tmp_path / "data", str(guest("resilience"))
    assert golem_emu(data, "invoke", wasm, "-w", "w", "wait-for-promise").returncode == 0  # suspends
    queued = golem_emu(data, "invoke", wasm, "-w", "w", "--enqueue", "-k", "b1", "bump")
    assert queued.returncode == 0 and queued.stdout.strip() == "b1", queued.stderr
    assert "queued invocation b1 of worker w (suspended)" in queued.stderr
    shown = golem_emu(data, "show", "w", "--format", "json")
    assert json.loads(shown.stdout)["queued"] == [{"idempotency_key": "b1", "function": "emu:resilience/api.{bump}"}]
    assert "queued" in golem_emu(data, "show", "w").stdout
    waiting = golem_emu(data, "result", "w", "b1")
    assert waiting.returncode == 3 and "waiting in worker w's queue" in waiting.stderr
    assert golem_emu(data, "cancel", "w", "b1").stdout.strip() == "true"
    gone = golem_emu(data, "result", "w", "b1")
    assert gone.returncode == 2 and "no invocation with idempotency key 'b1'" in gone.stderr


def test_a_call_queued_for_an_idle_worker_runs_at_once(tmp_path: Path) -> None:
    data, wasm = tmp_path / "data", str(guest("resilience"))
    assert golem_emu(data, "invoke", wasm, "-w", "w", "bump").stdout.strip() == "1"
    ran = golem_emu(data, "invoke", wasm, "-w", "w", "--enqueue", "-k", "b2", "bump")
    assert ran.returncode == 0 and ran.stdout.strip() == "2", ran.stderr
    assert golem_emu(data, "cancel", "w", "b2").stdout.strip() == "false"  # it ran


def test_bad_input_to_enqueue_and_cancel_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    data, wasm = tmp_path / "data", str(guest("resilience"))
    assert golem_emu(data, "invoke", wasm, "-w", "w", "bump").returncode == 0
    before = _db_digest(data)
    for args, needle in [(["invoke", wasm, "-w", "w", "--enqueue", "nope"], "exports no function 'nope'"),
                         (["cancel", "w", "never"], "no invocation with idempotency key 'never'"),
                         (["cancel", "ghost", "k"], "no worker named 'ghost'")]:
        r = golem_emu(data, *args)
        assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    assert _db_digest(data) == before


def test_a_kill_9_while_a_queued_call_runs_loses_nothing_and_runs_nothing_twice(tmp_path: Path) -> None:
    data, wasm = tmp_path / "data", str(guest("counter"))
    assert golem_emu(data, "invoke", wasm, "-w", "c", "increment").stdout.strip() == "1"
    with sqlite3.connect(data / "oplog.db") as db:
        invoked_at = db.execute("SELECT MAX(idx) FROM oplog WHERE worker = 'c'").fetchone()[0] + 1
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir()), "GOLEM_EMU_CRASH_AT": f"after:commit@{invoked_at}"}
    killed = subprocess.run([sys.executable, "-m", "emulator", "--data-dir", str(data), "invoke", wasm, "-w", "c",
                             "--enqueue", "-k", "k2", "increment"], capture_output=True, text=True, env=env)
    assert killed.returncode == -9, killed.stderr  # a real SIGKILL once the queued call's start was committed
    with sqlite3.connect(data / "oplog.db") as db:
        assert db.execute("SELECT COUNT(*) FROM invocation_queue").fetchone()[0] == 1  # its row is still there
    assert golem_emu(data, "resume", "c").returncode == 0  # continues k2 by replay; the stale row goes
    assert golem_emu(data, "result", "c", "k2").stdout.strip() == "2"
    assert golem_emu(data, "invoke", wasm, "-w", "c", "get").stdout.strip() == "2"  # k2 ran exactly once
    with sqlite3.connect(data / "oplog.db") as db:
        assert db.execute("SELECT COUNT(*) FROM invocation_queue").fetchone()[0] == 0
