"""Durable wasi:http (semantics §6.1) against a real server that counts what it receives.

Each scenario first runs the guest once without crashing to learn the crash points (Chaos().points), picks
one by what it is, then crashes a fresh worker at the same point and recovers it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.chaos.points import COMMIT, PERSIST, Chaos, CrashPoint
from emulator.errors import EmulatorError
from emulator.host.http.responses import GET
from emulator.lifecycle.retry import VirtualClock
from emulator.oplog.entries import BeginRemoteWrite, EndRemoteWrite, ImportedFunctionInvoked, Jump
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from emulator.signals import CrashSignal
from tests.conftest import guest
from tests.http_server import CountingServer

WASM = "http-effects"
NOT_COMPLETED = "Non-idempotent remote write operation was not completed, cannot retry"


def effects_args(base: str, client: str = "requests", idempotent: bool = True, atomic: bool = False) -> list[str]:
    """WAVE arguments of post-effects."""
    return [json.dumps(base), client, str(idempotent).lower(), str(atomic).lower()]


def counts(server: CountingServer) -> list[int]:
    """How often the server received effect 1, 2 and 3."""
    return [server.count(f"/effect/{n}") for n in (1, 2, 3)]


def open_worker(runtime: Runtime, store: SqliteStore, name: str, chaos: Chaos | None = None) -> Worker:
    """The http-effects worker `name`, retrying without sleeping."""
    return Worker.open(runtime, store, name, guest(WASM), chaos=chaos, clock=VirtualClock())


def brackets(points: list[CrashPoint]) -> list[list[CrashPoint]]:
    """The crash points of each request: from its BeginRemoteWrite commit to its EndRemoteWrite commit."""
    out: list[list[CrashPoint]] = []
    current: list[CrashPoint] | None = None
    for p in points:
        if p.kind == COMMIT and p.detail == "begin-remote-write":
            current = []
        if current is not None:
            current.append(p)
            if p.kind == COMMIT and p.detail == "end-remote-write":
                out.append(current)
                current = None
    return out


def after_second_response(points: list[CrashPoint]) -> CrashPoint:
    """The commit that makes effect 2's whole response durable (its EndRemoteWrite)."""
    return brackets(points)[1][-1]


def before_second_response_journaled(points: list[CrashPoint]) -> CrashPoint:
    """Effect 2's `get` that returned the response, just before it is journaled: the request has left."""
    return [p for p in brackets(points)[1] if p.kind == PERSIST and p.detail == GET][-1]


def dry_run(runtime: Runtime, tmp_path: Path, server: CountingServer, **kw: Any) -> list[CrashPoint]:
    """Run post-effects once without crashing; its crash points (the server's counts are reset after)."""
    store = SqliteStore(tmp_path / "dry-run.db")
    chaos = Chaos()
    try:
        open_worker(runtime, store, "dry-run", chaos).invoke("post-effects", effects_args(server.base, **kw))
    finally:
        store.close()
    server.reset()
    assert len(brackets(chaos.points)) == 3
    return chaos.points


class SameCrash(Chaos):
    """Crash at the point that is to this run what `target` was to the dry run: the same kind and detail, seen
    as often. Its number may differ, because timing changes how often a read finds nothing yet and polls."""

    def __init__(self, dry: list[CrashPoint], target: CrashPoint) -> None:
        super().__init__()
        self.kind, self.detail = target.kind, target.detail
        self.occurrence = sum((p.kind, p.detail) == (target.kind, target.detail) for p in dry[:target.number])
        self.seen = 0

    def reached(self, kind: str, oplog_index: int, detail: str) -> None:
        super().reached(kind, oplog_index, detail)
        if (kind, detail) == (self.kind, self.detail):
            self.seen += 1
            if self.seen == self.occurrence:
                self.crash(self.points[-1])


def crash_at(
    runtime: Runtime, store: SqliteStore, server: CountingServer, pick: Callable[[list[CrashPoint]], CrashPoint],
    points: list[CrashPoint], **kw: Any,
) -> str:
    """Crash a fresh worker at the point `pick` chooses from the dry run's points; returns the worker's name."""
    chaos = SameCrash(points, pick(points))
    with pytest.raises(CrashSignal):
        open_worker(runtime, store, "w", chaos).invoke("post-effects", effects_args(server.base, **kw))
    return "w"


def test_replay_serves_recorded_responses_and_sends_nothing(
    runtime: Runtime, store: SqliteStore, http_server: CountingServer,
) -> None:
    first = open_worker(runtime, store, "w").invoke("post-effects", effects_args(http_server.base))
    assert first.response == '["1 #1", "2 #1", "3 #1"]'
    again = open_worker(runtime, store, "w")  # a new instance: the first invocation is replayed
    assert again.recover() == {first.idempotency_key: first.response}
    assert counts(http_server) == [1, 1, 1]


@pytest.mark.parametrize("client", ["requests", "poll-loop"])
def test_crash_after_second_response_sends_each_effect_once(
    runtime: Runtime, store: SqliteStore, http_server: CountingServer, tmp_path: Path, client: str,
) -> None:
    points = dry_run(runtime, tmp_path, http_server, client=client)
    name = crash_at(runtime, store, http_server, after_second_response, points, client=client)
    assert counts(http_server) == [1, 1, 0]
    resumed = open_worker(runtime, store, name).resume()
    assert resumed is not None and resumed.response == '["1 #1", "2 #1", "3 #1"]'
    assert counts(http_server) == [1, 1, 1]


def test_crash_before_response_journaled_resends_when_idempotent(
    runtime: Runtime, store: SqliteStore, http_server: CountingServer, tmp_path: Path,
) -> None:
    points = dry_run(runtime, tmp_path, http_server)
    name = crash_at(runtime, store, http_server, before_second_response_journaled, points)
    assert counts(http_server) == [1, 1, 0]
    resumed = open_worker(runtime, store, name).resume()
    assert resumed is not None and resumed.response == '["1 #1", "2 #2", "3 #1"]'
    assert counts(http_server) == [1, 2, 1]
    # The abandoned attempt is skipped by a Jump; a later replay sees only the second attempt.
    entries = [e for _, e in store.read(name)]
    assert sum(isinstance(e, Jump) for e in entries) == 1
    assert open_worker(runtime, store, name).recover()[resumed.idempotency_key] == resumed.response
    assert counts(http_server) == [1, 2, 1]


def test_crash_before_response_journaled_fails_when_not_idempotent(
    runtime: Runtime, store: SqliteStore, http_server: CountingServer, tmp_path: Path,
) -> None:
    points = dry_run(runtime, tmp_path, http_server, idempotent=False)
    name = crash_at(runtime, store, http_server, before_second_response_journaled, points, idempotent=False)
    assert counts(http_server) == [1, 1, 0]
    with pytest.raises(EmulatorError, match=NOT_COMPLETED):
        open_worker(runtime, store, name).resume()
    assert open_worker(runtime, store, name).summary().status == "failed"
    with pytest.raises(EmulatorError):
        open_worker(runtime, store, name).invoke("post-effects", effects_args(http_server.base))
    assert counts(http_server) == [1, 1, 0]  # at most once: effect 2 never again, effect 3 never


def test_non_idempotent_requests_replay_fine_when_complete(
    runtime: Runtime, store: SqliteStore, http_server: CountingServer, tmp_path: Path,
) -> None:
    points = dry_run(runtime, tmp_path, http_server, idempotent=False)
    name = crash_at(runtime, store, http_server, after_second_response, points, idempotent=False)
    resumed = open_worker(runtime, store, name).resume()
    assert resumed is not None and resumed.response == '["1 #1", "2 #1", "3 #1"]'
    assert counts(http_server) == [1, 1, 1]


@pytest.mark.parametrize("client", ["requests", "poll-loop"])
def test_crash_inside_atomic_region_resends_only_the_region(
    runtime: Runtime, store: SqliteStore, http_server: CountingServer, tmp_path: Path, client: str,
) -> None:
    points = dry_run(runtime, tmp_path, http_server, client=client, atomic=True)
    # Effect 2 (the region's first request) is complete and durable; effect 3 has not started.
    name = crash_at(runtime, store, http_server, after_second_response, points, client=client, atomic=True)
    assert counts(http_server) == [1, 1, 0]
    resumed = open_worker(runtime, store, name).resume()
    assert resumed is not None and resumed.response == '["1 #1", "2 #2", "3 #1"]'
    assert counts(http_server) == [1, 2, 1]


def test_oplog_shape_of_one_request(runtime: Runtime, store: SqliteStore, http_server: CountingServer) -> None:
    url = json.dumps(f"{http_server.base}/bytes/3")
    assert open_worker(runtime, store, "w").invoke("download", [url, "65536"]).response == "3"
    entries = [e for _, e in store.read("w")]
    begin = next(i for i, e in enumerate(entries, start=1) if isinstance(e, BeginRemoteWrite))
    batch = [e for e in entries if isinstance(e, ImportedFunctionInvoked) and e.function_name.startswith("http::")]
    assert {e.function_type.begin_index for e in batch} == {begin}
    assert {e.function_type.kind for e in batch} == {"write-remote-batched"}
    assert batch[0].function_name == GET and isinstance(batch[0].request, dict)
    assert batch[0].request["uri"] == f"{http_server.base}/bytes/3"
    assert batch[-1].function_name == "http::types::incoming_body_stream::blocking_read"
    assert batch[-1].response == {"ok": {"closed": True}}
    ends = [e for e in entries if isinstance(e, EndRemoteWrite)]
    assert [e.begin_index for e in ends] == [begin]
