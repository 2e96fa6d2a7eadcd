"""A toy bank on 127.0.0.1 for the crash-testing examples, the demo and the tests.

    POST <base>/payments       body "order:amount"; applied once per Idempotency-Key (a repeat gets the same
                               receipt), every time when the request has no key
    POST <base>/confirmations  body "order"; under the base /flaky the first confirmation of an order is 503
    GET  /ledger               JSON: payments applied per order, requests received per path

Run it alone with `python examples/bank/server.py [PORT]`; it prints its base URL.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Bank(ThreadingHTTPServer):
    """The server and its books."""

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.lock = threading.Lock()
        self.applied: Counter[str] = Counter()  # payments applied, by order
        self.received: Counter[str] = Counter()  # requests, by path
        self.receipts: dict[str, str] = {}  # idempotency key -> receipt
        self.confirmed: Counter[str] = Counter()

    @property
    def base(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def ledger(self) -> dict[str, dict[str, int]]:
        """What the bank has seen."""
        with self.lock:
            return {"payments": dict(self.applied), "requests": dict(self.received)}

    def start(self) -> Bank:
        """Serve in a daemon thread."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Bank

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, text: str, content_type: str = "text/plain") -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/ledger":
            self._reply(200, json.dumps(self.server.ledger()), "application/json")
        else:
            self._reply(404, "not found")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
        bank = self.server
        flaky = self.path.startswith("/flaky/")
        route = self.path.removeprefix("/flaky")
        key = self.headers.get("idempotency-key")
        with bank.lock:
            bank.received[self.path] += 1
            if route == "/payments":
                order, _, amount = body.partition(":")
                if key is not None and key in bank.receipts:
                    status, text = 200, bank.receipts[key]
                else:
                    bank.applied[order] += 1
                    status, text = 200, f"payment {sum(bank.applied.values())}: {amount} for {order}"
                    if key is not None:
                        bank.receipts[key] = text
            elif route == "/confirmations":
                bank.confirmed[body] += 1
                if flaky and bank.confirmed[body] == 1:
                    status, text = 503, "confirmation service unavailable, try again"
                else:
                    status, text = 200, f"confirmed {body}"
            else:
                status, text = 404, "not found"
        self._reply(status, text)


if __name__ == "__main__":
    server = Bank(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(server.base, flush=True)
    server.serve_forever()
