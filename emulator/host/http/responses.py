"""wasi:http future-incoming-response, incoming-response, incoming-body (and its stream), future-trailers.

`future-incoming-response.get` and every body read are journaled in the request's batch, so a replay serves
the recorded response without sending anything; the names are Golem's (semantics §12).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from emulator.host import _convert as cv
from emulator.host import _resources as res
from emulator.host._shapes import err, ok
from emulator.host.context import HostContext
from emulator.host.http import errors as codes
from emulator.host.http.call import BODY, FUTURE, RESPONSE, STREAM, CallPollable, HttpCall, headers_from_json
from emulator.host.http.call import headers_json as _headers_json
from emulator.host.http.client import BodyEnded, BodyFailed, Exchange
from emulator.host.http.fields import Fields
from emulator.host.io.objects import InputStream, IoError, Pollable, StreamClosed, StreamFailed
from emulator.oplog.entries import Base64Text, Json

GET = "http::types::future_incoming_response::get"
READ = "http::types::incoming_body_stream::read"
BLOCKING_READ = "http::types::incoming_body_stream::blocking_read"
TRAILERS = "golem http::types::future_trailers::get"


class HttpIoError(IoError):
    """An io-error that `http-error-code` can turn back into the wasi:http error-code."""

    def __init__(self, error_code: Variant) -> None:
        super().__init__(codes.describe(error_code))
        self.error_code = error_code


class BodyReadFailed(StreamFailed):
    """A response body read failed; `io_error` carries its error-code for http-error-code."""

    def __init__(self, error_code: Variant) -> None:
        super().__init__(codes.describe(error_code))
        self.io_error = HttpIoError(error_code)


class FutureIncomingResponse:
    """The future `handle` returns; `get` hands the response over once."""

    def __init__(self, call: HttpCall) -> None:
        self.call = call
        self.taken = False

    def drop(self) -> None:
        self.call.release(FUTURE)


class IncomingResponse:
    """Status and headers; `consume` hands the body over once."""

    def __init__(self, call: HttpCall, status: int, headers: list[tuple[str, bytes]]) -> None:
        self.call = call
        self.status = status
        self.headers = Fields(headers, mutable=False)
        self.consumed = False

    def drop(self) -> None:
        self.call.release(RESPONSE)


class IncomingBody:
    """A response body; `stream` hands its input-stream over once."""

    def __init__(self, call: HttpCall) -> None:
        self.call = call
        self.streamed = False

    def drop(self) -> None:
        self.call.release(BODY)


class BodyInput(InputStream):
    """The response body's input-stream: every read is journaled; the end of the body ends the remote write."""

    def __init__(self, call: HttpCall) -> None:
        self.call = call
        self.closed = False

    def _read(self, name: str, length: int, block: bool) -> bytes:
        if self.closed:
            raise StreamClosed()
        call = self.call

        def live() -> bytes | Variant | None:
            try:
                return call.live_exchange().read(length, block)
            except BodyEnded:
                return None
            except BodyFailed as e:
                return e.error

        out = call.journaled(name, length, live, _encode_read, _decode_read)
        if isinstance(out, bytes):
            return out
        self.closed = True
        if out is None:
            call.release(STREAM)
            raise StreamClosed()
        raise BodyReadFailed(out)

    def read(self, length: int) -> bytes:
        return self._read(READ, length, block=False)

    def blocking_read(self, length: int) -> bytes:
        return self._read(BLOCKING_READ, length, block=True)

    def subscribe(self) -> Pollable:
        return CallPollable(self.call, Exchange.body_ready, Exchange.wait_body)

    def drop(self) -> None:
        self.call.release(STREAM)


def _encode_read(out: bytes | Variant | None) -> Json:
    """A read's oplog form: its bytes (base64), the end of the body, or the error-code it failed with.

    The text keeps the bytes too, so the store can keep a large chunk as raw bytes (codec.encode_external)."""
    if isinstance(out, bytes):
        return {"data": Base64Text(out)}
    return {"closed": True} if out is None else {"error": codes.to_json(out)}


def _decode_read(data: Json) -> bytes | Variant | None:
    assert isinstance(data, dict)
    if "data" in data:
        text = data["data"]
        return text.raw if isinstance(text, Base64Text) else cv.unb64(str(text))
    return None if data.get("closed") else codes.from_json(data["error"])


class FutureTrailers:
    """Trailers of a response body: urllib3 does not surface trailers, so there are never any."""

    def __init__(self, call: HttpCall) -> None:
        self.call = call
        self.taken = False


# -- future-incoming-response -------------------------------------------------------------------------------


def _get_live(future: FutureIncomingResponse) -> Json:
    if future.taken:
        return {"kind": "taken"}
    ex = future.call.live_exchange()
    if future.call.pipe.finished:
        ex.wait_head()  # deterministic: a complete request's response is awaited, never "pending" by timing
    if ex.status is not None:
        return {"kind": "response", "status": ex.status, "headers": _headers_json(ex.headers)}
    if ex.error is not None:
        return {"kind": "error", "error": codes.to_json(ex.error)}
    return {"kind": "pending"}


def future_get(ctx: HostContext, handle: Any) -> Variant | None:
    future: FutureIncomingResponse = res.get(ctx, handle)
    call = future.call
    state = call.journaled(GET, call.request_json(), lambda: _get_live(future))
    assert isinstance(state, dict)
    kind = state["kind"]
    if kind == "pending":
        return None
    if kind == "taken":
        return err()
    future.taken = True
    if kind == "error":
        call.end()  # nothing more will come of this request
        return ok(err(codes.from_json(state["error"])))
    call.move_to(RESPONSE)
    response = IncomingResponse(call, int(str(state["status"])), headers_from_json(state["headers"]))
    return ok(ok(res.own(ctx, "incoming-response", response)))


def future_subscribe(ctx: HostContext, handle: Any) -> Any:
    future: FutureIncomingResponse = res.get(ctx, handle)
    return res.own(ctx, "pollable", CallPollable(future.call, Exchange.head_done, Exchange.wait_head))


# -- incoming-response, incoming-body -----------------------------------------------------------------------


def response_status(ctx: HostContext, handle: Any) -> int:
    response: IncomingResponse = res.get(ctx, handle)
    return response.status


def response_headers(ctx: HostContext, handle: Any) -> Any:
    response: IncomingResponse = res.get(ctx, handle)
    return res.own(ctx, "fields", response.headers.frozen_copy())


def response_consume(ctx: HostContext, handle: Any) -> Variant:
    response: IncomingResponse = res.get(ctx, handle)
    if response.consumed:
        return err()
    response.consumed = True
    response.call.move_to(BODY)
    return ok(res.own(ctx, "incoming-body", IncomingBody(response.call)))


def body_stream(ctx: HostContext, handle: Any) -> Variant:
    body: IncomingBody = res.get(ctx, handle)
    if body.streamed:
        return err()
    body.streamed = True
    body.call.move_to(STREAM)
    return ok(res.own(ctx, "input-stream", BodyInput(body.call)))


def body_finish(ctx: HostContext, handle: Any) -> Any:
    body: IncomingBody = res.take(ctx, handle)
    body.call.release(BODY)  # a body finished before (or without) its stream ends the remote write here
    return res.own(ctx, "future-trailers", FutureTrailers(body.call))


# -- future-trailers ----------------------------------------------------------------------------------------


def trailers_subscribe(ctx: HostContext, handle: Any) -> Any:
    return res.own(ctx, "pollable", Pollable())


def trailers_get(ctx: HostContext, handle: Any) -> Variant:
    trailers: FutureTrailers = res.get(ctx, handle)
    call = trailers.call

    def live() -> Json:
        return {"kind": "taken" if trailers.taken else "none"}

    state = call.journaled(TRAILERS, call.request_json(), live)
    assert isinstance(state, dict)
    if state["kind"] == "taken":
        return err()
    trailers.taken = True
    return ok(ok(None))


def http_error_code(ctx: HostContext, handle: Any) -> Variant | None:
    error = res.get(ctx, handle)
    found: Variant | None = getattr(error, "error_code", None)
    return found


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "[method]future-incoming-response.get": future_get,
    "[method]future-incoming-response.subscribe": future_subscribe,
    "[method]incoming-response.status": response_status,
    "[method]incoming-response.headers": response_headers,
    "[method]incoming-response.consume": response_consume,
    "[method]incoming-body.stream": body_stream,
    "[static]incoming-body.finish": body_finish,
    "[method]future-trailers.subscribe": trailers_subscribe,
    "[method]future-trailers.get": trailers_get,
    "http-error-code": http_error_code,
}
