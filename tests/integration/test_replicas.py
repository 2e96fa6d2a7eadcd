"""Replica simulation with the replicated guest and a real counting HTTP server.

What oplog-commit(n) protects: an HTTP effect followed by oplog-commit(2) is not sent again after the primary
is lost; without the commit, a primary lost before replication takes the effect's journal entry with it and
recovery sends it again. The primary is lost "at a moment" (``fail_primary(now=...)``), the moment the worker
crashed, so what had reached the replicas is decided by the schedule, not by how fast this machine is.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from emulator.chaos.points import COMMIT, Chaos
from emulator.cli import cli
from emulator.oplog import replica_settings as rs
from emulator.oplog.entries import ExportedFunctionCompleted, ImportedFunctionInvoked
from emulator.oplog.store import SqliteStore
from emulator.replication.failover import fail_primary
from emulator.replication.replica_set import now_ms
from emulator.signals import CrashSignal
from emulator.testing import Emulator
from tests.conftest import guest
from tests.http_server import CountingServer


class CrashWhen(Chaos):
    """Crash (in-process) at the first commit for which `when(detail)` holds; remembers the moment."""

    def __init__(self, when: Any) -> None:
        super().__init__()
        self.when = when
        self.moment: float | None = None

    def reached(self, kind: str, oplog_index: int, detail: str) -> None:
        super().reached(kind, oplog_index, detail)
        if kind == COMMIT and self.moment is None and self.when(detail):
            self.moment = now_ms()
            self.crash_at = len(self.points)  # so that `crashed` is true and Emulator.close commits nothing
            raise CrashSignal(f"the primary is lost after committing {detail}")


def configure(data: Path, count: int, lag_ms: int, **extra: Any) -> None:
    rs.save(data, rs.ReplicaSettings(count=count, lag_min_ms=lag_ms, lag_max_ms=lag_ms, **extra))


def crash_then_fail_over(data: Path, plan: CrashWhen, args: list[str]) -> int:
    """Run send-effect until the planned crash, lose the primary at that moment; the promoted replica's last."""
    with Emulator(data, plan) as emu, pytest.raises(CrashSignal):
        emu.worker("w", guest("replicated")).invoke("send-effect", args, idempotency_key="k")
    assert plan.moment is not None
    with Emulator(data) as emu:
        return fail_primary(data, emu.store, "w", now=plan.moment).new_last


def recover(data: Path) -> tuple[str | None, list[Any]]:
    """A new 'process' recovers the worker from its (promoted) oplog and finishes the invocation."""
    with Emulator(data) as emu:
        result = emu.worker("w", guest("replicated")).resume()
        assert result is not None and result.status == "completed"
        return result.response, [e for _, e in emu.oplog("w")]


def test_an_effect_followed_by_oplog_commit_2_is_not_sent_again_after_failover(
        tmp_path: Path, http_server: CountingServer) -> None:
    data = tmp_path / "d"
    configure(data, count=3, lag_ms=40)
    url = f'"{http_server.base}/effect/a"'
    # The primary is lost right after the invocation's completion was committed: that entry never replicated.
    plan = CrashWhen(lambda detail: detail == "exported-function-completed")
    kept = crash_then_fail_over(data, plan, [url, "0", "2"])
    assert http_server.count("/effect/a") == 1
    response, entries = recover(data)
    assert http_server.count("/effect/a") == 1  # replayed from the promoted replica's journal: not sent again
    assert response == '"a #1"'
    assert any(isinstance(e, ImportedFunctionInvoked) for e in entries[:kept])
    assert not any(isinstance(e, ExportedFunctionCompleted) for e in entries[:kept])  # it was lost, redone


def test_without_the_commit_an_effect_lost_with_the_primary_is_sent_again(
        tmp_path: Path, http_server: CountingServer) -> None:
    data = tmp_path / "d"
    configure(data, count=3, lag_ms=40)
    url = f'"{http_server.base}/effect/b"'
    # oplog-commit(3) before the effect puts the invocation's start on every replica; then the effect, and the
    # primary is lost at the first commit after the server saw it: before its entries could replicate.
    plan = CrashWhen(lambda detail: http_server.count("/effect/b") > 0)
    crash_then_fail_over(data, plan, [url, "3", "0"])
    assert http_server.count("/effect/b") == 1
    response, _ = recover(data)
    assert http_server.count("/effect/b") == 2  # the journal entry died with the primary: sent again
    assert response == '"b #2"'


def test_commit_n_above_the_count_waits_for_all_and_a_partition_until_it_heals(tmp_path: Path) -> None:
    data = tmp_path / "d"
    configure(data, count=2, lag_ms=0)
    waits: list[tuple[int, int, float, dict[int, int]]] = []
    with Emulator(data) as emu:
        worker = emu.worker("w", guest("replicated"))
        worker.on_replica_wait = lambda *args: waits.append(args)
        rs.save(data, rs.load(data).with_partition(2, 600))
        worker.invoke("commit", ["1"])  # one replica is enough: replica 2's partition does not hold it up
        _, index, _, positions = waits[-1]
        assert positions[1] >= index and positions[2] < index
        heals = now_ms() + 300
        rs.save(data, rs.load(data).with_partition(2, 0.3))
        worker.invoke("commit", ["5"])  # 5 > N = 2: waits for both, so until replica 2's partition heals
        _, index, _, positions = waits[-1]
        assert now_ms() >= heals and positions == {1: positions[1], 2: positions[2]}
        assert min(positions.values()) >= index


def test_no_replicas_is_a_plain_commit(tmp_path: Path) -> None:
    waits: list[Any] = []
    with Emulator(tmp_path / "d") as emu:
        worker = emu.worker("w", guest("replicated"))
        worker.on_replica_wait = lambda *args: waits.append(args)
        assert worker.invoke("commit", ["3"]).response is not None
    assert waits == [(3, waits[0][1], 0.0, {})]
    assert not rs.replica_dir(tmp_path / "d").exists()


def test_a_running_worker_sees_a_new_count(tmp_path: Path) -> None:
    data = tmp_path / "d"
    waits: list[Any] = []
    with Emulator(data) as emu:
        worker = emu.worker("w", guest("replicated"))
        worker.on_replica_wait = lambda *args: waits.append(args)
        worker.invoke("commit", ["2"])
        configure(data, count=2, lag_ms=5)
        time.sleep(0.05)  # not a timing assertion: only lets the settings file's mtime move on
        worker.invoke("commit", ["2"])
    assert waits[0][3] == {} and set(waits[1][3]) == {1, 2} and min(waits[1][3].values()) >= waits[1][1]


def test_on_commit_replication_holds_exactly_what_the_commit_waited_for(
        tmp_path: Path, http_server: CountingServer) -> None:
    data = tmp_path / "d"
    rs.save(data, rs.ReplicaSettings(count=3, on_commit_only=True))
    waits: list[Any] = []
    with Emulator(data) as emu:
        worker = emu.worker("w", guest("replicated"))
        worker.on_replica_wait = lambda *args: waits.append(args)
        worker.invoke("send-effect", [f'"{http_server.base}/effect/c"', "0", "2"], idempotency_key="k")
        (_, index, _, positions), = waits
        assert sorted(positions.values()) == [0, index, index]  # two replicas, nothing more, at no timing's mercy
        last = emu.store.last_index("w")
        assert index < last  # the completion was never replicated ...
        done = fail_primary(data, emu.store, "w", now=now_ms() + 3_600_000)  # ... not even an hour later
        assert done.new_last == index
    response, _ = recover(data)
    assert response == '"c #1"' and http_server.count("/effect/c") == 1


def replicator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "replicator-w" and t.is_alive()]


def test_one_replicator_serves_every_invocation_of_a_worker_until_it_closes(tmp_path: Path) -> None:
    data = tmp_path / "d"
    configure(data, count=2, lag_ms=0)
    earlier = set(replicator_threads())  # paused ones of workers an earlier test left unclosed (a crash)
    with Emulator(data) as emu:
        worker = emu.worker("w", guest("replicated"))
        worker.invoke("commit", ["2"])
        mine = set(replicator_threads()) - earlier
        assert len(mine) == 1  # kept for the next invocation, with its files open
        worker.invoke("commit", ["2"])
        assert set(replicator_threads()) - earlier == mine
        worker.close()
        assert not any(t.is_alive() for t in mine)


def test_a_kept_replicator_rereads_replica_files_replaced_between_invocations(tmp_path: Path) -> None:
    data = tmp_path / "d"
    configure(data, count=2, lag_ms=0)
    waits: list[Any] = []
    with Emulator(data) as emu:
        worker = emu.worker("w", guest("replicated"))
        worker.on_replica_wait = lambda *args: waits.append(args)
        worker.invoke("commit", ["2"])
        # Between invocations, another process drops both replicas (their files go) and adds them back.
        runner = CliRunner()
        for count in ("0", "2"):
            done = runner.invoke(cli, ["--data-dir", str(data), "replicas", "set", "--count", count])
            assert done.exit_code == 0, done.output
        assert all(not rs.replica_path(data, r).exists() for r in (1, 2))
        worker.invoke("commit", ["2"])
        _, index, _, positions = waits[-1]
        assert set(positions) == {1, 2} and min(positions.values()) >= index
        primary = emu.oplog("w")
    for r in (1, 2):  # the files now in the data dir, not the ones the replicator had open before
        with SqliteStore.open_readonly(rs.replica_path(data, r)) as replica:
            held = replica.read("w")
            assert len(held) >= index and held == primary[:len(held)]


def test_a_crash_ends_the_replicator_with_the_process_it_stands_for(tmp_path: Path) -> None:
    data = tmp_path / "d"
    configure(data, count=2, lag_ms=0)
    earlier = set(replicator_threads())
    plan = CrashWhen(lambda detail: detail == "exported-function-completed")
    with Emulator(data, plan) as emu, pytest.raises(CrashSignal):
        emu.worker("w", guest("replicated")).invoke("commit", ["2"])
    assert plan.moment is not None
    assert set(replicator_threads()) - earlier == set()  # the worker object was never closed (it crashed)
