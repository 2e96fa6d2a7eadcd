"""Python guests doing HTTP the way Golem users write it: `requests` over requests-wasi-http, and poll_loop."""

from __future__ import annotations

import hashlib
import json
import socket

import pytest

from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.conftest import guest
from tests.http_server import CountingServer

CLIENTS = ["requests", "poll-loop"]


def fetch(worker: Worker, method: str, url: str, body: bytes = b"", client: str = "requests",
          timeout_ms: int = 0) -> str:
    """The guest's fetch result as WAVE text: ok("status content-type length sha256") or err("...")."""
    args = [json.dumps(method), json.dumps(url), json.dumps(list(body)), client, str(timeout_ms)]
    response = worker.invoke("fetch", args).response
    assert response is not None
    return response


@pytest.fixture
def worker(runtime: Runtime, store: SqliteStore) -> Worker:
    return Worker.open(runtime, store, "w", guest("http-effects"))


@pytest.mark.parametrize("client", CLIENTS)
def test_get_and_post_with_bodies(worker: Worker, http_server: CountingServer, client: str) -> None:
    got = fetch(worker, "GET", f"{http_server.base}/bytes/100000", client=client)
    expected = hashlib.sha256((bytes(range(256)) * 400)[:100000]).hexdigest()
    assert got == f'ok("200 application/octet-stream 100000 {expected}")'
    payload = bytes(range(256)) * 256  # 64 KiB up and back (a bigger one would mostly time WAVE parsing)
    echoed = fetch(worker, "POST", f"{http_server.base}/echo", payload, client=client)
    assert echoed == f'ok("200 application/octet-stream {len(payload)} {hashlib.sha256(payload).hexdigest()}")'
    assert http_server.bodies["/echo"] == [payload]
    assert fetch(worker, "GET", f"{http_server.base}/headers", client=client).startswith('ok("200 application/json ')


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.mark.parametrize("client", CLIENTS)
def test_errors_reach_the_guest_as_error_codes(worker: Worker, http_server: CountingServer, client: str) -> None:
    assert "ErrorCode_ConnectionRefused" in fetch(worker, "GET", _refused_url(), client=client)
    slow = fetch(worker, "GET", f"{http_server.base}/slow/1500", client=client, timeout_ms=200)
    assert slow.startswith("err(") and "ErrorCode_ConnectionReadTimeout" in slow
    stalled = fetch(worker, "GET", f"{http_server.base}/stall", client=client, timeout_ms=300)
    assert stalled.startswith("err(") and "LastOperationFailed" in stalled


def test_low_level_download_and_upload(worker: Worker, http_server: CountingServer) -> None:
    assert worker.invoke("download", [json.dumps(f"{http_server.base}/bytes/3000000"), "1048576"]).response == "3000000"
    assert worker.invoke("upload", [json.dumps(f"{http_server.base}/sink"), "3000000", "65536"]).response == "7"
    assert http_server.bodies["/sink"] == [bytes(3_000_000)]


def test_large_bodies_are_journaled_out_of_line_and_replayed(
    runtime: Runtime, store: SqliteStore, http_server: CountingServer,
) -> None:
    worker = Worker.open(runtime, store, "w", guest("http-effects"))
    url = f"{http_server.base}/bytes/300000"
    first = worker.invoke("download", [json.dumps(url), "65536"])
    assert first.response == "300000"
    sent = sum(http_server.counts.values())
    parts = store._db.execute("SELECT COUNT(*), SUM(length(data)) FROM payloads WHERE worker = 'w'").fetchone()
    assert parts[0] >= 1 and parts[1] <= 300000  # raw bytes, not base64
    again = Worker.open(runtime, store, "w", guest("http-effects"))
    assert again.recover() == {first.idempotency_key: first.response}
    assert sum(http_server.counts.values()) == sent  # replayed from the oplog, nothing sent again
