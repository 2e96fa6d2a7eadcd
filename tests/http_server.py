"""A real HTTP/1.1 server on 127.0.0.1 for the wasi:http tests and bench: it counts what it receives per path.

Routes: POST /effect/<n> (a side effect: counted, answered "<n> #<count>" after 20 ms), GET /bytes/<n> (n bytes),
POST /echo (the body back), POST /sink (the body's length), GET /headers (request headers as JSON, and
repeated response headers), GET /slow/<ms> (answers after a delay), GET /stall (half a body, then silence).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_BLOCK = bytes(range(256)) * 4096  # 1 MiB of a recognisable pattern
EFFECT_DELAY_S = 0.02


class CountingServer(ThreadingHTTPServer):
    """The server, plus what it received."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.counts: Counter[str] = Counter()
        self.bodies: dict[str, list[bytes]] = {}
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self, path: str) -> int:
        """How many requests for `path` (any method) arrived."""
        with self.lock:
            return self.counts[path]

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that give up (timeouts, abandoned bodies) are part of the tests: stay quiet."""

    def reset(self) -> None:
        """Forget what was received."""
        with self.lock:
            self.counts.clear()
            self.bodies.clear()

    def record(self, path: str, body: bytes) -> int:
        """Count a request; returns how many for `path` so far."""
        with self.lock:
            self.counts[path] += 1
            self.bodies.setdefault(path, []).append(body)
            return self.counts[path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers: the client's connection pool gets exercised
    disable_nagle_algorithm = True  # headers and body are separate writes: Nagle plus delayed ACKs cost 40 ms
    server: CountingServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _body(self) -> bytes:
        """The request body; a request whose body is cut short is not counted (ConnectionAbortedError)."""
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                line = self.rfile.readline()
                if not line:
                    raise ConnectionAbortedError("chunked body cut short")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self._exactly(size))
                self.rfile.readline()
        return self._exactly(int(self.headers.get("content-length") or 0))

    def _exactly(self, n: int) -> bytes:
        data = self.rfile.read(n)
        if len(data) < n:
            raise ConnectionAbortedError("body cut short")
        return data

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> None:
        self.send_response(status)
        headers = headers or [("content-type", "application/octet-stream")]
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self._body()
        path = self.path
        n = self.server.record(path, body)
        if "/effect/" in path:  # /effect/N, or /PREFIX/effect/N for a test that keeps its runs apart
            # Answer a little late, so that the guest's first future.get always finds nothing yet: the crash
            # points of a run then do not depend on how fast this machine happens to be.
            time.sleep(EFFECT_DELAY_S)
            self._send(200, f"{path.rsplit('/', 1)[1]} #{n}".encode(), [("content-type", "text/plain")])
        elif path == "/echo":
            self._send(200, body)
        elif path == "/sink":
            self._send(200, str(len(body)).encode(), [("content-type", "text/plain")])
        else:
            self._send(404, b"no such path")

    def do_GET(self) -> None:
        self._body()
        path = self.path
        self.server.record(path, b"")
        if path.startswith("/bytes/"):
            self._send_bytes(int(path.rsplit("/", 1)[1]))
        elif path == "/headers":
            seen = {name.lower(): value for name, value in self.headers.items()}
            self._send(200, json.dumps(seen, sort_keys=True).encode(),
                       [("content-type", "application/json"), ("x-multi", "one"), ("x-multi", "two")])
        elif path.startswith("/slow/"):
            time.sleep(int(path.rsplit("/", 1)[1]) / 1000)
            self._send(200, b"slow")
        elif path == "/stall":
            self.send_response(200)
            self.send_header("content-length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            time.sleep(3)
        else:
            self._send(404, b"no such path")

    def _send_bytes(self, n: int) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/octet-stream")
        self.send_header("content-length", str(n))
        self.end_headers()
        while n > 0:
            chunk = _BLOCK[:n]
            self.wfile.write(chunk)
            n -= len(chunk)


@contextmanager
def serve() -> Iterator[CountingServer]:
    """Run a CountingServer in a thread for the duration of the block."""
    server = CountingServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
