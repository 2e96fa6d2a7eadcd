"""One durable outgoing request (semantics §6.1): its remote-write bracket, its deferred live exchange, its owner.

`handle` opens the bracket (BeginRemoteWrite, committed before anything leaves). Every later call on the
request's resources is journaled with `write-remote-batched(begin)`; the bracket closes (EndRemoteWrite) when
whoever owns the request last lets go of it: the future, then the response, then the body, then its stream.
While replaying, nothing is sent: the exchange is only started when a journaled call runs live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from emulator.host import _convert as cv
from emulator.host.context import HostContext
from emulator.host.http.client import BodyPipe, Exchange, RequestHead, SendTag, Timeouts
from emulator.host.io.objects import Pollable
from emulator.oplog.entries import WRITE_REMOTE_BATCHED, DurableFunctionType, Json
from emulator.replay.durability import same

T = TypeVar("T")

# Who holds the request now; ownership only ever moves forward along this chain.
FUTURE, RESPONSE, BODY, STREAM = "future", "response", "body", "stream"


class HttpCall:
    """The host-side state shared by a request's future, response, body and body stream."""

    def __init__(
        self, ctx: HostContext, begin: int, head: RequestHead, timeouts: Timeouts, pipe: BodyPipe,
    ) -> None:
        self.ctx = ctx
        self.begin = begin
        self.head = head
        self.timeouts = timeouts
        self.pipe = pipe
        self.function_type = DurableFunctionType("write-remote-batched", begin)
        self.exchange: Exchange | None = None
        self.owner = FUTURE
        self.ended = False
        self._request_json: Json = {
            "uri": head.url, "method": head.method,
            "headers": {name: ", ".join(v.decode("latin-1") for n, v in head.headers if n == name)
                        for name, _ in head.headers},
        }

    def live_exchange(self) -> Exchange:
        """The exchange, sent now if it was deferred (the request was made while replaying)."""
        if self.exchange is None:
            durability = self.ctx.durability
            tag = SendTag(self.ctx.worker.name, self.begin, durability.persist_nothing)
            self.exchange = Exchange(self.head, self.timeouts, self.pipe, tag)
            self.exchange.start()
        return self.exchange

    def journaled(
        self, name: str, request: Json, live: Callable[[], T],
        encode: Callable[[T], Json] = same, decode: Callable[[Json], T] = same,
    ) -> T:
        """Run `live` and journal its result in this request's batch, or serve the recorded one."""
        return self.ctx.durability.call(name, self.function_type, request, live, encode, decode)

    def request_json(self) -> Json:
        """Golem's SerializableHttpRequest: uri, method, headers."""
        return self._request_json

    def move_to(self, owner: str) -> None:
        """Hand the request to the next resource in the chain."""
        self.owner = owner

    def release(self, owner: str) -> None:
        """`owner` is dropped (or finished): if it still owns the request, the remote write is over."""
        if owner == self.owner:
            self.end()

    def end(self) -> None:
        """Close the bracket (EndRemoteWrite) once, and stop any transfer still running."""
        if self.ended:
            return
        self.ended = True
        if self.exchange is not None:
            self.exchange.abandon()
        self.ctx.durability.end_function(WRITE_REMOTE_BATCHED, self.begin)


class CallPollable(Pollable):
    """Ready when the live exchange says so; always ready while replaying, where nothing is awaited.

    Readiness is deterministic, so that identical runs journal identical entries (and crash points): once the
    request body is complete, asking whether the response (or more of its body) is there waits until it is.
    Only while the guest is still writing the body is "not yet" an answer (the server may be waiting for it).
    """

    def __init__(self, call: HttpCall, ready: Callable[[Exchange], bool], wait: Callable[[Exchange], None]) -> None:
        self.call = call
        self._ready = ready
        self._wait = wait

    def ready(self) -> bool:
        if self.call.ended or not self.call.ctx.durability.is_live():
            return True
        exchange = self.call.live_exchange()
        if self._ready(exchange):
            return True
        if not self.call.pipe.finished:
            return False
        self._wait(exchange)
        return True

    def block(self) -> None:
        if not self.ready():
            self._wait(self.call.live_exchange())


def headers_json(headers: list[tuple[str, bytes]]) -> Json:
    """Header entries for the oplog (values base64: they are bytes)."""
    return [[name, cv.b64(value)] for name, value in headers]


def headers_from_json(data: Json) -> list[tuple[str, bytes]]:
    """Inverse of headers_json."""
    assert isinstance(data, list)
    pairs = [pair for pair in data if isinstance(pair, list) and len(pair) == 2]
    return [(str(pair[0]), cv.unb64(str(pair[1]))) for pair in pairs]
