"""A real HTTP server on 127.0.0.1 for the golem-cloud guest, answering as the servers of Golem's own
transaction and custom-durability tests do.

GET /step/<n> answers `true` (the step says "fail") for the first `fails[n]` calls of step n and `false`
after; DELETE /step/<n> undoes a step (answers `false`). Both are logged as "=> n" and "<= n". GET
/callback?payload=p answers "<k>-<p>", k counting the callbacks from 0.

For crash tests the server can play the crash itself: when the request `kill_on` (e.g. "DELETE /step/2")
arrives, it records it as usual, then kills process `victim` with SIGKILL and never answers.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class StepServer(ThreadingHTTPServer):
    """The server and what it saw."""

    daemon_threads = True

    def __init__(self, fails: dict[int, int] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fails = dict(fails or {})
        self.events: list[str] = []
        self.calls: Counter[int] = Counter()
        self.callbacks = 0
        self.lock = threading.Lock()
        self.kill_on: str | None = None
        self.victim: int | None = None
        self.killed = False

    @property
    def base(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def step(self, n: int) -> bool:
        """Log and count a step; whether it says "fail"."""
        with self.lock:
            self.events.append(f"=> {n}")
            seen = self.calls[n]
            self.calls[n] += 1
            return seen < self.fails.get(n, 0)

    def undo(self, n: int) -> None:
        """Log the undoing of a step."""
        with self.lock:
            self.events.append(f"<= {n}")

    def callback(self, payload: str) -> str:
        """The callback's answer; counts it."""
        with self.lock:
            k = self.callbacks
            self.callbacks += 1
        return f"{k}-{payload}"

    def maybe_kill(self, request: str) -> bool:
        """Kill the victim if `request` is the one to kill on (once); whether it did."""
        with self.lock:
            if self.killed or request != self.kill_on or self.victim is None:
                return False
            self.killed = True
        os.kill(self.victim, signal.SIGKILL)
        return True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients killed mid-request are part of the tests: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: StepServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, text: str, status: int = 200) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _step_number(self) -> int | None:
        parts = urlsplit(self.path).path.strip("/").split("/")
        return int(parts[1]) if len(parts) == 2 and parts[0] == "step" and parts[1].isdigit() else None

    def _reply(self, text: str) -> None:
        if self.server.maybe_kill(f"{self.command} {self.path}"):
            self.close_connection = True  # the client is dead: no answer
            return
        self._answer(text)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        n = self._step_number()
        if n is not None:
            self._reply("true" if self.server.step(n) else "false")
        elif url.path == "/callback":
            self._reply(self.server.callback(parse_qs(url.query).get("payload", [""])[0]))
        else:
            self._answer("not found", 404)

    def do_DELETE(self) -> None:  # noqa: N802
        n = self._step_number()
        if n is None:
            self._answer("not found", 404)
            return
        self.server.undo(n)
        self._reply("false")


@contextmanager
def step_server(fails: dict[int, int] | None = None) -> Iterator[StepServer]:
    """A running StepServer, shut down afterwards."""
    server = StepServer(fails)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
