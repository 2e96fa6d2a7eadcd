"""Helpers shared by the conformance tests: a routed HTTP server, the real CLI, and oplog-derived facts."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from emulator.cli.common import cache_dir
from emulator.lifecycle.status import summarize
from emulator.oplog.entries import Log
from emulator.oplog.store import SqliteStore

# A route answers (method, path, headers, body) with (status, body, headers); None means 404. A body given as
# a list of chunks is sent one chunk every CHUNK_DELAY_S (a slow stream, like Golem's throttled axum bodies).
Reply = tuple[int, bytes | list[bytes], list[tuple[str, str]]]
CHUNK_DELAY_S = 0.02
Route = Callable[[str, str, dict[str, str], bytes], Reply | None]


class RoutedServer(ThreadingHTTPServer):
    """A real HTTP/1.1 server on 127.0.0.1 whose answers come from a Python function, like the axum
    routers Golem's tests start beside a component."""

    daemon_threads = True

    def __init__(self, route: Route) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.route = route
        self.received: list[tuple[str, str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        """The port to give the component (Golem's tests pass it as env PORT)."""
        return int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that give up mid-body are part of some tests: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: RoutedServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _serve(self) -> None:
        body = self._body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.server.lock:
            self.server.received.append((self.command, self.path, headers, body))
        reply = self.server.route(self.command, self.path, headers, body)
        status, payload, extra = reply if reply is not None else (404, b"", [])
        chunks = [payload] if isinstance(payload, bytes) else payload
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("content-length", str(sum(len(c) for c in chunks)))
        self.end_headers()
        for i, chunk in enumerate(chunks):
            if i:
                time.sleep(CHUNK_DELAY_S)
            self.wfile.write(chunk)
            self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = _serve


@contextmanager
def serve(route: Route) -> Iterator[RoutedServer]:
    """Run a RoutedServer in a thread for the duration of the block."""
    server = RoutedServer(route)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def cli(data_dir: Path, *args: str, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real golem-emu CLI in its own process and wait for it."""
    return subprocess.run(
        [sys.executable, "-m", "emulator", "--data-dir", str(data_dir), *args], capture_output=True, text=True,
        env={**os.environ, "GOLEM_EMU_CACHE": str(cache_dir()), **(env or {})}, timeout=timeout,
    )


def cli_background(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    """Start the real CLI in its own process (the test interrupts or kills it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", "--data-dir", str(data_dir), *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())},
    )


def status(data_dir: Path, worker: str) -> str:
    """The worker's status as Golem derives it, from its oplog alone."""
    store = SqliteStore(data_dir / "oplog.db")
    try:
        return summarize([e for _, e in store.read(worker)]).status
    finally:
        store.close()


def stdout_lines(data_dir: Path, worker: str, level: str = "stdout") -> list[str]:
    """What the worker wrote to stdout (or stderr), from its oplog's Log entries: Golem's output events."""
    store = SqliteStore(data_dir / "oplog.db")
    try:
        return [e.message for _, e in store.read(worker) if isinstance(e, Log) and e.level == level]
    finally:
        store.close()


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll until `predicate` holds (a guest running in another process); fail naming `what`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def has_worker(data_dir: Path, worker: str) -> bool:
    """Whether the worker's Create entry is committed."""
    db = data_dir / "oplog.db"
    if not db.exists():
        return False
    store = SqliteStore(db)
    try:
        return store.has_worker(worker)
    finally:
        store.close()
