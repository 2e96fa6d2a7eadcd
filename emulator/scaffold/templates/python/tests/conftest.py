"""A bank on 127.0.0.1 for the tests: accounts, idempotency keys, and a ledger of what it applied."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

COMPONENT = Path(__file__).resolve().parents[1] / "build" / "@@NAME@@.wasm"


class Bank:
    """Every account opens with 100. A request with an idempotency key already seen is answered again
    without being applied again; one without a key is applied every time it arrives."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.balances: dict[str, int] = {}
        self.replies: dict[str, bytes] = {}  # idempotency key -> the reply it got
        self.ledger: list[tuple[str, str, str, int]] = []  # (transfer, withdraw|deposit, account, amount)
        self.messages: list[str] = []
        self.url = ""

    def reset(self) -> None:
        """Back to a bank that has seen nothing (explore's setup calls it before each trial)."""
        with self.lock:
            self.balances.clear()
            self.replies.clear()
            self.ledger.clear()
            self.messages.clear()

    def moves(self, transfer: str) -> list[tuple[str, str, int]]:
        """What the bank applied for one transfer, in order."""
        with self.lock:
            return [(kind, account, amount) for t, kind, account, amount in self.ledger if t == transfer]

    def apply(self, path: str, body: dict[str, object]) -> tuple[int, dict[str, object]]:
        """POST /accounts/<name>/withdraw|deposit {"transfer", "amount"}."""
        _, _, account, kind = path.split("/")
        amount = int(str(body["amount"]))
        balance = self.balances.setdefault(account, 100)
        if kind == "withdraw" and balance < amount:
            return 409, {"error": f"{account} has only {balance}"}
        self.balances[account] = balance + (amount if kind == "deposit" else -amount)
        self.ledger.append((str(body["transfer"]), kind, account, amount))
        return 200, {"balance": self.balances[account]}


class _Handler(BaseHTTPRequestHandler):
    bank: Bank

    def do_POST(self) -> None:  # noqa: N802 - the name http.server looks for
        data = self.rfile.read(int(self.headers.get("content-length") or 0))
        key = self.headers.get("idempotency-key")
        with self.bank.lock:
            if key and key in self.bank.replies:
                self._reply(200, self.bank.replies[key])
                return
            if self.path == "/stats":
                status, reply = 200, {"ok": True}
            elif self.path == "/messages":
                self.bank.messages.append(data.decode())
                status, reply = 200, {"received": len(self.bank.messages)}
            else:
                status, reply = self.bank.apply(self.path, json.loads(data))
            encoded = json.dumps(reply).encode()
            if key and status == 200:
                self.bank.replies[key] = encoded
        self._reply(status, encoded)

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        pass


@pytest.fixture
def bank() -> Iterator[Bank]:
    """A fresh bank listening on 127.0.0.1, stopped after the test."""
    state = Bank()
    handler = type("Handler", (_Handler,), {"bank": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def component() -> Path:
    """The built component (`make` builds it)."""
    if not COMPONENT.exists():
        pytest.fail(f"{COMPONENT.name} is not built yet: run `make` in {COMPONENT.parents[1]}")
    return COMPONENT
