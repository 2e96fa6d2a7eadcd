"""`golem-emu replicas` from real processes: failover through the CLI, an interrupt while oplog-commit waits,
and a real `kill -9` of a process that is replicating."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator.cli import cli
from emulator.cli.common import cache_dir
from emulator.oplog import replica_settings as rs
from emulator.oplog.store import SqliteStore
from tests.conftest import golem_emu, guest
from tests.http_server import CountingServer

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def spawn(data: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    return subprocess.Popen([sys.executable, "-m", "emulator", "--data-dir", str(data), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def until(condition: object, what: str, limit: float = 60.0) -> None:
    """Poll `condition()` (a callable) until true; fails the test with `what` after `limit` seconds."""
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def last_index(path: Path, worker: str = "w") -> int:
    if not path.exists():
        return 0
    try:
        with SqliteStore.open_readonly(path) as store:
            return store.last_index(worker)
    except Exception:
        return 0  # being created by the other process


def test_bad_settings_are_refused_with_the_documented_exit_code(tmp_path: Path) -> None:
    runner = CliRunner()
    for args, needle in ((["set", "--count", "99"], "0..16"), (["set", "--count", "2", "--lag", "fast"], "--lag"),
                         (["set", "--count", "2", "--drop", "1"], "--drop"),
                         (["partition", "1", "--for", "5"], "no replica 1")):
        result = runner.invoke(cli, ["--data-dir", str(tmp_path), "replicas", *args])
        assert result.exit_code == 2 or needle in str(result.exception), (args, result.output)
        assert needle in str(result.exception) or needle in result.output
    assert rs.load(tmp_path) == rs.ReplicaSettings()  # nothing was written
    out = golem_emu(tmp_path, "replicas", "fail-primary", "w")
    assert out.returncode == 2 and "no replicas" in out.stderr


def test_failover_through_the_cli_keeps_a_committed_effect_and_repeats_an_uncommitted_one(
        tmp_path: Path, http_server: CountingServer) -> None:
    wasm = str(guest("replicated"))
    # With oplog-commit(2) after the POST: whatever happens to the primary afterwards, the effect is on a replica.
    kept = tmp_path / "kept"
    assert golem_emu(kept, "replicas", "set", "--count", "3", "--lag", "20..60", "--seed", "3").returncode == 0
    url = f'"{http_server.base}/effect/kept"'
    first = golem_emu(kept, "invoke", wasm, "-w", "w", "-k", "k", "send-effect", url, "0", "2")
    assert first.returncode == 0 and first.stdout.strip() == '"kept #1"', first.stderr
    assert "oplog-commit(2): " in first.stderr and "replicas hold index" in first.stderr
    lost = golem_emu(kept, "replicas", "fail-primary", "w")
    assert lost.returncode == 0 and "promoted replica" in lost.stderr, lost.stderr
    again = golem_emu(kept, "invoke", wasm, "-w", "w", "-k", "k", "send-effect", url, "0", "2")
    assert again.stdout.strip() == '"kept #1"' and http_server.count("/effect/kept") == 1, again.stderr
    # Without it, and replication slower than the primary's loss: the invocation is lost, the client retries.
    repeated = tmp_path / "repeated"
    golem_emu(repeated, "replicas", "set", "--count", "3", "--lag", "600000")
    url = f'"{http_server.base}/effect/repeated"'
    assert golem_emu(repeated, "invoke", wasm, "-w", "w", "-k", "k", "send-effect", url, "0", "0").returncode == 0
    lost = golem_emu(repeated, "replicas", "fail-primary", "w")
    assert "the worker is gone" in lost.stderr, lost.stderr
    again = golem_emu(repeated, "invoke", wasm, "-w", "w", "-k", "k", "send-effect", url, "0", "0")
    assert again.stdout.strip() == '"repeated #2"' and http_server.count("/effect/repeated") == 2, again.stderr


def test_a_worker_waiting_for_a_partitioned_replica_can_be_interrupted(tmp_path: Path) -> None:
    wasm = str(guest("replicated"))
    assert golem_emu(tmp_path, "replicas", "set", "--count", "1").returncode == 0
    assert golem_emu(tmp_path, "replicas", "partition", "1", "--for", "600").returncode == 0
    child = spawn(tmp_path, "invoke", wasm, "-w", "w", "-k", "k", "commit", "1")
    try:
        db = tmp_path / "oplog.db"
        until(lambda: db.exists() and last_index(db) >= 2, "the invocation to start")
        assert golem_emu(tmp_path, "interrupt", "w").returncode == 0
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
        child.wait()
    assert "worker interrupted" in err, err
    assert golem_emu(tmp_path, "replicas", "partition", "1", "--for", "0").returncode == 0
    done = golem_emu(tmp_path, "resume", "w")
    assert done.returncode == 0 and done.stdout.strip().isdigit(), done.stderr
    assert "1 of 1 replicas hold index" in done.stderr


def test_replicas_survive_kill_9_and_replication_resumes(tmp_path: Path) -> None:
    assert golem_emu(tmp_path, "replicas", "set", "--count", "3", "--lag", "0..3", "--seed", "9").returncode == 0
    child = spawn(tmp_path, "invoke", str(guest("bench")), "-w", "w", "spin", "50000000")
    replica = [rs.replica_path(tmp_path, r) for r in (1, 2, 3)]
    try:
        until(lambda: min(last_index(p) for p in replica) > 500, "the replicas to receive entries")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    with SqliteStore(tmp_path / "oplog.db") as primary:
        last = primary.last_index("w")
        for path in replica:
            assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            with SqliteStore.open_readonly(path) as store:
                held = store.last_index("w")
                assert 500 < held <= last
                assert store.read("w", held - 50, held) == primary.read("w", held - 50, held)
    status = golem_emu(tmp_path, "replicas", "status", "w")  # a later process: catches up what is due
    assert status.returncode == 0, status.stderr
    for path in replica:
        assert last_index(path) == last
