"""The live side of an outgoing request: urllib3 in a background thread, bodies streamed both ways.

Nothing here knows about the oplog. The guest writes the request body into a `BodyPipe` (possibly after
`handle`, as requests-wasi-http and poll_loop do) and reads the response through an `Exchange`, whose thread
sends the request, waits for the head and then keeps a bounded buffer of body bytes filled.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import urllib3
from urllib3.util import SKIP_HEADER
from wasmtime.component import Variant

from emulator.host.http import errors as codes
from emulator.host.io.objects import notify_ready

# wasmtime's defaults when request-options leave a timeout unset.
DEFAULT_TIMEOUT_S = 600.0
_PIPE_CAPACITY = 4 << 20  # request bytes buffered ahead of the socket before check-write says 0
_RESPONSE_BUFFER = 8 << 20  # response bytes read ahead of the guest
_READ_SIZE = 256 << 10
_IDLE_WAIT_S = 1.0  # how often a blocked background thread re-checks whether its exchange was abandoned

# One pool for the process: connections are reused across requests and workers, as a real executor's are.
_POOL = urllib3.PoolManager(num_pools=32, maxsize=8, retries=False)


@dataclass(frozen=True)
class RequestHead:
    """What `handle` sends: method, target and headers (field names in lower case)."""

    method: str
    scheme: str
    authority: str
    path_with_query: str
    headers: tuple[tuple[str, bytes], ...]

    @property
    def url(self) -> str:
        """The absolute URL."""
        return f"{self.scheme}://{self.authority}{self.path_with_query}"

    def content_length(self) -> int | None:
        """The content-length header the guest set, if any (and valid)."""
        return content_length(self.headers)


def content_length(headers: tuple[tuple[str, bytes], ...] | list[tuple[str, bytes]]) -> int | None:
    """The value of a content-length header, if there is one and it is a number."""
    for name, value in headers:
        if name == "content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class Timeouts:
    """request-options timeouts in seconds (None: wasmtime's default)."""

    connect: float | None = None
    first_byte: float | None = None
    between_bytes: float | None = None


class PipeFailed(Exception):
    """The request body ended abnormally (dropped unfinished, or over its content-length)."""


@dataclass
class BodyPipe:
    """Request body bytes from the guest to the sending thread; unbounded until a consumer exists."""

    chunks: deque[bytes] = field(default_factory=deque)
    buffered: int = 0
    written: int = 0
    finished: bool = False
    failure: str | None = None
    consumer: bool = False  # set once an exchange streams from this pipe: from then on writes are bounded
    cond: threading.Condition = field(default_factory=threading.Condition)

    def capacity(self) -> int:
        """How many bytes the guest may write now."""
        with self.cond:
            return max(0, _PIPE_CAPACITY - self.buffered) if self.consumer else _PIPE_CAPACITY

    def write(self, data: bytes) -> None:
        """Queue `data` for sending."""
        if not data:
            return
        with self.cond:
            self.chunks.append(data)
            self.buffered += len(data)
            self.written += len(data)
            self.cond.notify_all()

    def wait_capacity(self) -> None:
        """Block until check-write would be non-zero (or the pipe can take nothing more)."""
        with self.cond:
            while self.consumer and self.buffered >= _PIPE_CAPACITY and not (self.finished or self.failure):
                self.cond.wait(_IDLE_WAIT_S)

    def finish(self, failure: str | None = None) -> None:
        """No more data; `failure` makes the request fail instead of ending its body."""
        with self.cond:
            if not self.finished:
                self.finished = True
                self.failure = failure
            self.cond.notify_all()

    def wait_started(self) -> None:
        """Block until there is something to send or the body is finished."""
        with self.cond:
            while not (self.chunks or self.finished):
                self.cond.wait(_IDLE_WAIT_S)

    def drain(self) -> Iterator[bytes]:
        """The body as it arrives, for urllib3; PipeFailed if it ends abnormally."""
        while True:
            with self.cond:
                while not (self.chunks or self.finished):
                    self.cond.wait(_IDLE_WAIT_S)
                if self.chunks:
                    data = self.chunks.popleft()
                    self.buffered -= len(data)
                    self.cond.notify_all()
                elif self.failure is not None:
                    raise PipeFailed(self.failure)
                else:
                    return
            notify_ready()  # a guest waiting for check-write may proceed
            yield data


class BodyEnded(Exception):
    """The response body has been read to its end."""


class BodyFailed(Exception):
    """Reading the response body failed; `error` is the wasi:http error-code."""

    def __init__(self, error: Variant) -> None:
        super().__init__(codes.describe(error))
        self.error = error


@dataclass(frozen=True)
class SendTag:
    """Where a request comes from, for a transport that simulates the network (crash exploration)."""

    worker: str
    begin: int  # the BeginRemoteWrite index of its bracket
    persist_nothing: bool  # sent inside a persist-nothing section


Body = bytes | Iterator[bytes] | None
# (head, body, timeouts, tag) -> a response urllib3-shaped (status, headers, read1, release_conn, close).
Transport = Callable[[RequestHead, Body, Timeouts, SendTag | None], urllib3.BaseHTTPResponse]
transport: Transport | None = None  # None: the real network; emulator.chaos installs a simulated one


def _urlopen(head: RequestHead, data: Body, t: Timeouts, tag: SendTag | None) -> urllib3.BaseHTTPResponse:
    return _POOL.urlopen(
        head.method, head.url, body=data, headers=_header_dict(head.headers),
        redirect=False, retries=False, preload_content=False, decode_content=False,
        timeout=urllib3.Timeout(connect=t.connect or DEFAULT_TIMEOUT_S, read=t.first_byte or DEFAULT_TIMEOUT_S),
    )


class Exchange:
    """One live request/response pair, driven by a daemon thread."""

    def __init__(self, head: RequestHead, timeouts: Timeouts, body: BodyPipe, tag: SendTag | None = None) -> None:
        self.tag = tag
        self.head = head
        self.timeouts = timeouts
        self.body = body
        self.cond = threading.Condition()
        self.status: int | None = None
        self.headers: list[tuple[str, bytes]] = []
        self.error: Variant | None = None  # before the head: the request failed; after: the body failed
        self.eof = False
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._abandoned = False
        self._thread = threading.Thread(target=self._run, name=f"http {head.method} {head.url}", daemon=True)

    def start(self) -> None:
        """Send the request (in the background)."""
        self._thread.start()

    # -- guest side -------------------------------------------------------------------------------------

    def head_done(self) -> bool:
        """Whether the response head (or the request's failure) is known."""
        return self.status is not None or self.error is not None

    def wait_head(self) -> None:
        """Block until head_done()."""
        with self.cond:
            while not self.head_done():
                self.cond.wait(_IDLE_WAIT_S)

    def body_ready(self) -> bool:
        """Whether a read would return data, the end, or an error without waiting."""
        return bool(self._chunks) or self.eof or self.error is not None

    def wait_body(self) -> None:
        """Block until body_ready()."""
        with self.cond:
            while not self.body_ready():
                self.cond.wait(_IDLE_WAIT_S)

    def read(self, length: int, block: bool) -> bytes:
        """`length` body bytes, fewer only at the end of the body; BodyEnded at the end.

        Even a non-blocking read waits for the bytes: how a body is cut into reads must not depend on network
        timing, or identical runs would journal different entries (`block` is kept for the callers' sake)."""
        want = min(length, _RESPONSE_BUFFER)
        with self.cond:
            while self._buffered < want and not (self.eof or self.error is not None):
                self.cond.wait(_IDLE_WAIT_S)
            if not self._chunks:
                if self.error is not None:
                    raise BodyFailed(self.error)
                if self.eof:
                    raise BodyEnded()
                return b""
            parts: list[bytes] = []
            taken = 0
            while self._chunks and taken < length:
                chunk = self._chunks.popleft()
                if taken + len(chunk) > length:
                    self._chunks.appendleft(chunk[length - taken:])
                    chunk = chunk[:length - taken]
                parts.append(chunk)
                taken += len(chunk)
            self._buffered -= taken
            self.cond.notify_all()
            if len(parts) == 1:
                return parts[0]  # the common case: no copy
            return b"".join(parts)

    def abandon(self) -> None:
        """The guest no longer wants this exchange: stop reading and drop the connection."""
        with self.cond:
            self._abandoned = True
            self.cond.notify_all()
        self.body.finish("the request was abandoned")

    # -- background thread ------------------------------------------------------------------------------

    def _publish(self, **changes: object) -> None:
        with self.cond:
            for name, value in changes.items():
                setattr(self, name, value)
            self.cond.notify_all()
        notify_ready()

    def _run(self) -> None:
        t = self.timeouts
        self.body.wait_started()
        with self.body.cond:
            if self.body.failure is not None and not self.body.chunks:  # abandoned before any byte was sent
                failure = self.body.failure
            else:
                failure = None
            whole = self.body.finished and self.body.failure is None
            self.body.consumer = not whole
            if whole:  # the body is complete already: send it in one piece, with its length
                data: bytes | Iterator[bytes] | None = b"".join(self.body.chunks) or None
                self.body.chunks.clear()
                self.body.buffered = 0
            else:
                data = self.body.drain()
        if failure is not None:
            self._publish(error=codes.internal(failure))
            return
        try:
            response = (transport or _urlopen)(self.head, data, t, self.tag)
        except PipeFailed as e:
            self._publish(error=codes.internal(str(e)))
            return
        except Exception as e:  # every failure becomes the future's error-code, as wasmtime reports it
            self._publish(error=codes.from_exception(e, head_received=False))
            return
        sock = getattr(response.connection, "sock", None)
        if sock is not None:
            sock.settimeout(t.between_bytes or DEFAULT_TIMEOUT_S)
        self._publish(status=response.status, headers=_response_headers(response))
        self._pump(response)

    def _pump(self, response: urllib3.BaseHTTPResponse) -> None:
        try:
            while True:
                with self.cond:
                    while self._buffered >= _RESPONSE_BUFFER and not self._abandoned:
                        self.cond.wait(_IDLE_WAIT_S)
                    if self._abandoned:
                        response.close()
                        return
                data = response.read1(_READ_SIZE)
                if not data:
                    response.release_conn()
                    self._publish(eof=True)
                    return
                with self.cond:
                    self._chunks.append(data)
                    self._buffered += len(data)
                    self.cond.notify_all()
                notify_ready()
        except Exception as e:  # a failed body read: the guest's next read reports it
            response.close()
            self._publish(error=codes.from_exception(e, head_received=True))


def _header_dict(headers: tuple[tuple[str, bytes], ...]) -> urllib3.HTTPHeaderDict:
    out = urllib3.HTTPHeaderDict()
    for name, value in headers:
        out.add(name, value.decode("latin-1"))
    # Send only what the guest set: no user-agent or accept-encoding of urllib3's own (Host comes from the URL).
    for name in ("user-agent", "accept-encoding"):
        if name not in out:
            out[name] = SKIP_HEADER
    return out


def _response_headers(response: urllib3.BaseHTTPResponse) -> list[tuple[str, bytes]]:
    return [(name.lower(), value.encode("latin-1")) for name, value in response.headers.iteritems()]
