"""The network as crash exploration sees it: every request counted, and answered from a recording.

The crash-free run goes out to the real network and records each request (method, URL, body and how many
times that same request was made before) with the response it got. Trials then run against a simulated
network that answers each request with the response the crash-free run got for it, so trials need no
server, do not disturb one, and can run in parallel. Every request a trial makes is logged with where it
came from (the worker, its remote-write bracket, whether it was in a persist-nothing section) so that the
checks can tell a duplicate Golem allows from one it does not. With `live` the trial's requests go out for
real instead (for servers whose state matters) and are only counted.

A fault plan makes the n-th request of the crash-free run fail the first time it is made, as a network
would: refused, timed out, answered 503, or reset after the request has left.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import urllib3

from emulator.host.http import client
from emulator.host.http.client import Body, RequestHead, SendTag, Timeouts
from emulator.oplog.entries import Json
from emulator.replay import durability

REFUSED, TIMEOUT, UNAVAILABLE, RESET = "refused", "timeout", "503", "reset"
FAULTS = (REFUSED, TIMEOUT, UNAVAILABLE, RESET)
_SIMULATED_READS = ("clock::", "random")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class RequestKey:
    """What identifies a request as "the same request": method, URL and a digest of the body."""

    method: str
    url: str
    body_sha: str

    def describe(self) -> str:
        """`POST http://host/path`."""
        return f"{self.method} {self.url}"


@dataclass(frozen=True)
class Recorded:
    """A response as the crash-free run got it, or the error its request failed with."""

    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    error: str | None = None  # the exception's type name, re-raised in a trial


@dataclass(frozen=True)
class Sent:
    """One request a run made."""

    key: RequestKey
    occurrence: int  # 1 for the first time this same request was made in the run
    phase: str  # "crash" (the process that crashes), "recovery", or "dry"
    tag: SendTag | None
    fault: str | None = None  # the fault injected instead of a normal answer
    delivered: bool = True  # whether the server got it (a refused connection delivers nothing)
    idempotent: bool = False  # safe to repeat by HTTP's rules: GET, PUT, DELETE..., or an Idempotency-Key


class _Response:
    """A recorded response, shaped like the urllib3 response the host's exchange reads."""

    def __init__(self, recorded: Recorded) -> None:
        self.status = recorded.status
        self.headers = urllib3.HTTPHeaderDict()
        for name, value in recorded.headers:
            self.headers.add(name, value)
        self._body = io.BytesIO(recorded.body)
        self.connection = None

    def read1(self, amount: int) -> bytes:
        return self._body.read(amount)

    def release_conn(self) -> None:
        pass

    def close(self) -> None:
        pass


def _body_bytes(data: Body) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    return b"".join(data)


def _key(head: RequestHead, body: bytes) -> RequestKey:
    return RequestKey(head.method, head.url, hashlib.sha256(body).hexdigest()[:16])


_ERRORS: dict[str, type[Exception]] = {
    "ConnectionRefusedError": ConnectionRefusedError, "TimeoutError": TimeoutError,
    "ConnectionResetError": ConnectionResetError,
}


@dataclass
class Network:
    """A transport for the host's HTTP client: records, simulates or passes through, and logs every request."""

    recording: dict[RequestKey, list[Recorded]] = field(default_factory=dict)
    local_values: dict[tuple[str, str, int], Json] = field(default_factory=dict)
    simulate: bool = True  # False: the real network (the crash-free run, or --live trials)
    fault: tuple[int, str] | None = None  # (index into the crash-free run's requests, fault kind)
    dry_order: list[tuple[RequestKey, int]] = field(default_factory=list)  # the crash-free run's requests
    phase: str = "dry"
    sent: list[Sent] = field(default_factory=list)
    unexpected: list[RequestKey] = field(default_factory=list)
    _seen: Counter[RequestKey] = field(default_factory=Counter)
    _fault_done: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _log: int | None = None

    def for_trial(self, *, live: bool = False, fault: tuple[int, str] | None = None) -> Network:
        """A fresh network for one trial, answering from this (crash-free) run's recording."""
        return Network(recording=self.recording, local_values=self.local_values, simulate=not live, fault=fault,
                       dry_order=self.dry_order, phase="crash")

    def install(self) -> None:
        """Route this process's outgoing HTTP (and its clock and random reads) through this network."""
        client.transport = self
        durability.local_reads = self.read_local

    @staticmethod
    def uninstall() -> None:
        """Back to the real network."""
        client.transport = None
        durability.local_reads = None

    def read_local(self, worker: str, function: str, occurrence: int, produce: Callable[[], Json]) -> Json:
        """Clocks and random repeat the crash-free run's values, by occurrence, so that a value re-read after a
        crash is the one the crash-free run read (else every result that shows a time would differ)."""
        if not any(part in function for part in _SIMULATED_READS):
            return produce()
        key = (worker, function, occurrence)
        if self.phase == "dry":
            value = produce()
            self.local_values[key] = value
            return value
        return self.local_values[key] if key in self.local_values else produce()

    def __call__(self, head: RequestHead, data: Body, t: Timeouts, tag: SendTag | None) -> urllib3.BaseHTTPResponse:
        body = _body_bytes(data)
        key = _key(head, body)
        with self._lock:
            self._seen[key] += 1
            occurrence = self._seen[key]
            fault = self._planned_fault(key, occurrence)
            if fault is not None:
                self._fault_done = True
            idempotent = head.method in IDEMPOTENT_METHODS or any(n == "idempotency-key" for n, _ in head.headers)
            sent = Sent(key, occurrence, self.phase, tag, fault, fault != REFUSED, idempotent)
            self.sent.append(sent)
            if self.phase == "dry":
                self.dry_order.append((key, occurrence))
            unknown = self.simulate and fault is None and not self.recording.get(key)
            self._write_log(sent, unknown)
        if fault is not None:
            return self._inject(fault)
        if not self.simulate:
            return self._real(head, body, t, tag, key)
        answers = self.recording.get(key)
        if not answers:
            with self._lock:
                self.unexpected.append(key)
            raise ConnectionRefusedError(f"simulated network: the crash-free run never sent {key.describe()}")
        answer = answers[min(occurrence, len(answers)) - 1]
        if answer.error is not None:
            raise _ERRORS.get(answer.error, ConnectionError)(f"as in the crash-free run: {answer.error}")
        return _Response(answer)  # type: ignore[return-value]

    def seen(self, key: RequestKey) -> None:
        """Count `key` as made once more (a trial's requests from before its crash point, made by the crash-free
        run): the next same request is its next occurrence."""
        with self._lock:
            self._seen[key] += 1

    def _planned_fault(self, key: RequestKey, occurrence: int) -> str | None:
        if self.fault is None or self._fault_done:
            return None
        index, kind = self.fault
        return kind if self.dry_order[index] == (key, occurrence) else None

    @staticmethod
    def _inject(fault: str) -> urllib3.BaseHTTPResponse:
        if fault == REFUSED:
            raise ConnectionRefusedError("injected fault: connection refused")
        if fault == TIMEOUT:
            raise TimeoutError("injected fault: timed out")
        if fault == RESET:
            raise ConnectionResetError("injected fault: connection reset after the request was sent")
        return _Response(Recorded(503, (("content-type", "text/plain"),), b"injected fault: 503"))  # type: ignore[return-value]

    def _real(self, head: RequestHead, body: bytes, t: Timeouts, tag: SendTag | None,
              key: RequestKey) -> urllib3.BaseHTTPResponse:
        try:
            response = client._urlopen(head, body or None, t, tag)
            recorded = Recorded(response.status, tuple(response.headers.iteritems()), response.read())
            response.release_conn()
        except Exception as e:  # noqa: BLE001 - the failure is what the guest sees; keep it for the trials
            recorded = Recorded(error=type(e).__name__)
            if self.phase == "dry":
                self._record(key, recorded)
            raise
        if self.phase == "dry":
            self._record(key, recorded)
        return _Response(recorded)  # type: ignore[return-value]

    def _record(self, key: RequestKey, recorded: Recorded) -> None:
        with self._lock:
            self.recording.setdefault(key, []).append(recorded)

    def log_to(self, path: Path) -> None:
        """Also append each request to `path` as it is made (a killed child's requests survive it)."""
        self._log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def load_log(self, path: Path) -> None:
        """Take in the requests a child process logged with log_to."""
        if not path.exists():
            return
        for line in path.read_text().splitlines():
            d = json.loads(line)
            tag = SendTag(*d["tag"]) if d["tag"] else None
            key = RequestKey(*d["key"])
            self.sent.append(Sent(key, d["occurrence"], d["phase"], tag, d["fault"], d["delivered"], d["idempotent"]))
            self._seen[key] = max(self._seen[key], d["occurrence"])
            if d["unexpected"]:
                self.unexpected.append(key)
        path.unlink()

    def _write_log(self, sent: Sent, unexpected: bool) -> None:
        if self._log is None:
            return
        tag = [sent.tag.worker, sent.tag.begin, sent.tag.persist_nothing] if sent.tag else None
        line = json.dumps({"key": [sent.key.method, sent.key.url, sent.key.body_sha], "occurrence": sent.occurrence,
                           "phase": sent.phase, "tag": tag, "fault": sent.fault, "delivered": sent.delivered,
                           "idempotent": sent.idempotent, "unexpected": unexpected})
        os.write(self._log, (line + "\n").encode())

    def counts(self, *, delivered_only: bool = True) -> Counter[RequestKey]:
        """How many times each request was made (and reached the server)."""
        return Counter(s.key for s in self.sent if s.delivered or not delivered_only)

    def requests(self) -> Iterator[Sent]:
        """Every request, in order."""
        return iter(list(self.sent))
