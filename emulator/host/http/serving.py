"""Serving HTTP: `golem:http/incoming-handler.{handle}`, Golem's invocation of a component that exports
`wasi:http/incoming-handler` (golem-semantics: worker invocation names).

The invocation's one argument is a record describing the request (Golem's IncomingHttpRequest: method,
scheme, authority, path-and-query, headers, body-and-trailers); the host makes it a wasi:http
incoming-request, calls the guest's `handle` with a response-outparam, and returns the response the guest
set, with the body it wrote and its trailers, as Golem's HttpResponse record. The request is the
invocation's input (in its ExportedFunctionInvoked), so replay rebuilds the same one: nothing here is
journaled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from emulator.errors import GuestTrap
from emulator.host import _resources as res
from emulator.host._shapes import case, err, ok
from emulator.host.context import HostContext
from emulator.host.http import requests as client_requests
from emulator.host.http import responses as client_responses
from emulator.host.http.fields import Fields
from emulator.host.http.handler_names import FUNCTION_NAME, HANDLER_INTERFACES
from emulator.host.io.objects import InputStream, OutputStream, Pollable, StreamClosed
from emulator.wave.pyrepr import make_record
from emulator.wave.types import STRING, U8, U16, ListT, OptionT, RecordT, TupleT, VariantT

__all__ = ["FUNCTION_NAME", "HANDLER_INTERFACES", "REQUEST_T", "RESPONSE_T", "serve"]

_FIELDS_T = ListT(TupleT((STRING, ListT(U8))))
_BODY_T = OptionT(RecordT((("content", ListT(U8)), ("trailers", OptionT(_FIELDS_T)))))
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
REQUEST_T = RecordT((
    ("method", VariantT(tuple((m, None) for m in _METHODS) + (("custom", STRING),))),
    ("scheme", VariantT((("HTTP", None), ("HTTPS", None), ("custom", STRING)))),
    ("authority", STRING), ("path-and-query", STRING), ("headers", _FIELDS_T), ("body-and-trailers", _BODY_T),
))
RESPONSE_T = RecordT((("status", U16), ("headers", _FIELDS_T), ("body-and-trailers", _BODY_T)))


# -- the request the guest reads ----------------------------------------------------------------------------


class IncomingRequest:
    def __init__(self, record: Any) -> None:
        method, scheme = record.method, record.scheme
        self.method = case("other", method.payload) if method.tag == "custom" else case(method.tag.lower())
        self.scheme = case("other", scheme.payload) if scheme.tag == "custom" else case(scheme.tag)
        self.authority: str = record.authority
        self.path_with_query: str = getattr(record, "path-and-query")
        self.headers = Fields([(n.lower(), bytes(v)) for n, v in record.headers], mutable=False)
        body = getattr(record, "body-and-trailers")
        self.body = b"" if body is None else bytes(body.content)
        trailers = None if body is None else body.trailers
        self.trailers = None if trailers is None else [(n.lower(), bytes(v)) for n, v in trailers]
        self.consumed = False


class ServedBody:
    """The incoming-body of a served request: its bytes, then its trailers."""

    def __init__(self, request: IncomingRequest) -> None:
        self.request = request
        self.streamed = False


class BytesInput(InputStream):
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, length: int) -> bytes:
        if self.pos >= len(self.data):
            raise StreamClosed()
        out = self.data[self.pos:self.pos + length]
        self.pos += len(out)
        return out


class ServedTrailers:
    def __init__(self, trailers: list[tuple[str, bytes]] | None) -> None:
        self.trailers = trailers
        self.taken = False


def _request(ctx: HostContext, handle: Any) -> IncomingRequest:
    found: IncomingRequest = res.get(ctx, handle)
    return found


def _consume(ctx: HostContext, handle: Any) -> Variant:
    request = _request(ctx, handle)
    if request.consumed:
        return err()
    request.consumed = True
    return ok(res.own(ctx, "incoming-body", ServedBody(request)))


def _body_stream(ctx: HostContext, handle: Any) -> Variant:
    body = res.get(ctx, handle)
    if not isinstance(body, ServedBody):
        return client_responses.body_stream(ctx, handle)
    if body.streamed:
        return err()
    body.streamed = True
    return ok(res.own(ctx, "input-stream", BytesInput(body.request.body)))


def _body_finish(ctx: HostContext, handle: Any) -> Any:
    if not isinstance(res.get(ctx, handle), ServedBody):
        return client_responses.body_finish(ctx, handle)
    body: ServedBody = res.take(ctx, handle)
    return res.own(ctx, "future-trailers", ServedTrailers(body.request.trailers))


def _trailers_get(ctx: HostContext, handle: Any) -> Variant:
    trailers = res.get(ctx, handle)
    if not isinstance(trailers, ServedTrailers):
        return client_responses.trailers_get(ctx, handle)
    if trailers.taken:
        return err()
    trailers.taken = True
    found = None if trailers.trailers is None else res.own(ctx, "fields", Fields(list(trailers.trailers)))
    return ok(ok(found))


def _trailers_subscribe(ctx: HostContext, handle: Any) -> Any:
    return res.own(ctx, "pollable", Pollable())


# -- the response the guest sets ----------------------------------------------------------------------------


class OutgoingResponse:
    def __init__(self, headers: Fields) -> None:
        self.status = 200
        self.headers = headers.frozen_copy()
        self.body: ServedOutgoingBody | None = None


class ServedOutgoingBody:
    """A response body: what the guest wrote, and the trailers it finished with."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.stream_taken = False
        self.finished = False
        self.trailers: list[tuple[str, bytes]] | None = None


class CollectStream(OutputStream):
    def __init__(self, body: ServedOutgoingBody) -> None:
        self.body = body

    def write(self, data: bytes) -> None:
        if self.body.finished:
            raise StreamClosed()
        self.body.data += data

    def blocking_write_and_flush(self, data: bytes) -> None:
        self.write(data)


class ResponseOutparam:
    def __init__(self) -> None:
        self.response: OutgoingResponse | Variant | None = None  # a response, or err(error-code)


def _new_response(ctx: HostContext, headers: Any) -> Any:
    fields: Fields = res.take(ctx, headers)
    return res.own(ctx, "outgoing-response", OutgoingResponse(fields))


def _response(ctx: HostContext, handle: Any) -> OutgoingResponse:
    found: OutgoingResponse = res.get(ctx, handle)
    return found


def _set_status(ctx: HostContext, handle: Any, status: int) -> Variant:
    if not 100 <= status <= 999:
        return err()
    _response(ctx, handle).status = status
    return ok()


def _response_body(ctx: HostContext, handle: Any) -> Variant:
    response = _response(ctx, handle)
    if response.body is not None:
        return err()
    response.body = ServedOutgoingBody()
    return ok(res.own(ctx, "outgoing-body", response.body))


def _outgoing_write(ctx: HostContext, handle: Any) -> Variant:
    body = res.get(ctx, handle)
    if not isinstance(body, ServedOutgoingBody):
        return client_requests.body_write(ctx, handle)
    if body.stream_taken:
        return err()
    body.stream_taken = True
    return ok(res.own(ctx, "output-stream", CollectStream(body)))


def _outgoing_finish(ctx: HostContext, handle: Any, trailers: Any) -> Variant:
    if not isinstance(res.get(ctx, handle), ServedOutgoingBody):
        return client_requests.body_finish(ctx, handle, trailers)
    body: ServedOutgoingBody = res.take(ctx, handle)
    body.finished = True
    if trailers is not None:
        body.trailers = list(res.take(ctx, trailers).entries)
    return ok()


def _outparam_set(ctx: HostContext, param: Any, response: Variant) -> None:
    outparam: ResponseOutparam = res.take(ctx, param)
    outparam.response = res.take(ctx, response.payload) if response.tag == "ok" else response


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "[method]incoming-request.method": lambda ctx, h: _request(ctx, h).method,
    "[method]incoming-request.path-with-query": lambda ctx, h: _request(ctx, h).path_with_query,
    "[method]incoming-request.scheme": lambda ctx, h: _request(ctx, h).scheme,
    "[method]incoming-request.authority": lambda ctx, h: _request(ctx, h).authority,
    "[method]incoming-request.headers": lambda ctx, h: res.own(ctx, "fields", _request(ctx, h).headers.frozen_copy()),
    "[method]incoming-request.consume": _consume,
    "[method]incoming-body.stream": _body_stream,
    "[static]incoming-body.finish": _body_finish,
    "[method]future-trailers.get": _trailers_get,
    "[method]future-trailers.subscribe": _trailers_subscribe,
    "[constructor]outgoing-response": _new_response,
    "[method]outgoing-response.status-code": lambda ctx, h: _response(ctx, h).status,
    "[method]outgoing-response.set-status-code": _set_status,
    "[method]outgoing-response.headers": lambda ctx, h: res.own(ctx, "fields", _response(ctx, h).headers.frozen_copy()),
    "[method]outgoing-response.body": _response_body,
    "[method]outgoing-body.write": _outgoing_write,
    "[static]outgoing-body.finish": _outgoing_finish,
    "[static]response-outparam.set": _outparam_set,
}


# -- the invocation -----------------------------------------------------------------------------------------


def serve(ctx: HostContext, call: Callable[[Any, Any], None], request: Any) -> Any:
    """Run the guest's `handle` (through `call`, given the two handles) on `request` (a REQUEST_T value);
    the response it set, as a RESPONSE_T value."""
    outparam = ResponseOutparam()
    call(res.own(ctx, "incoming-request", IncomingRequest(request)), res.own(ctx, "response-outparam", outparam))
    response = outparam.response
    if response is None:
        raise GuestTrap("the guest's wasi:http handle returned without setting its response-outparam")
    if isinstance(response, Variant):
        raise GuestTrap(f"the guest's wasi:http handle answered with an error: {response.payload!r}")
    body = response.body
    has_body = body is not None and (bool(body.data) or body.trailers is not None)
    return make_record({
        "status": response.status,
        "headers": [(n, v) for n, v in response.headers.entries],
        "body-and-trailers": make_record({
            "content": bytes(body.data),
            "trailers": None if body.trailers is None else [(n, v) for n, v in body.trailers],
        }) if has_body and body is not None else None,
    })

