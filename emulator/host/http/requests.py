"""wasi:http outgoing-request, request-options and outgoing-body: what the guest builds before and while sending.

Building a request touches nothing outside the instance, so none of this is journaled; the request body goes
into a BodyPipe that the live exchange (if the request is ever sent for real) streams from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from emulator.errors import Unsupported
from emulator.host import _resources as res
from emulator.host._shapes import case, err, ok
from emulator.host.context import HostContext
from emulator.host.http import errors as codes
from emulator.host.http.client import BodyPipe, RequestHead, Timeouts, content_length
from emulator.host.http.fields import Fields
from emulator.host.io.objects import OutputStream, Pollable, StreamClosed, StreamFailed

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+\-.]*$")
_PATH = re.compile(r"^[^\s\x00-\x1f\x7f#]*$")
_AUTHORITY = re.compile(r"^[^\s/?#@\x00-\x1f\x7f]*(:[0-9]*)?$")


class OutgoingRequest:
    """A request being built; its headers became immutable when it was constructed."""

    def __init__(self, headers: Fields) -> None:
        self.headers = headers.frozen_copy()
        self.method: Variant = case("get")
        self.path_with_query: str | None = None
        self.scheme: Variant | None = None
        self.authority: str | None = None
        self.pipe = BodyPipe()
        self.body_taken = False

    def head(self) -> RequestHead | Variant:
        """What will be sent, or the error-code `handle` reports for an unsendable request."""
        method = str(self.method.payload) if self.method.tag == "other" else self.method.tag.upper()
        if self.scheme is None or self.scheme.tag == "HTTP":
            scheme = "http"
        elif self.scheme.tag == "HTTPS":
            scheme = "https"
        else:
            return codes.code("HTTP-protocol-error")  # wasmtime sends only http and https
        if not self.authority:
            return codes.code("HTTP-request-URI-invalid")
        return RequestHead(method, scheme, self.authority, self.path_with_query or "/", tuple(self.headers.entries))


class RequestOptions:
    """Timeouts in nanoseconds, None where unset."""

    def __init__(self) -> None:
        self.connect: int | None = None
        self.first_byte: int | None = None
        self.between_bytes: int | None = None

    def timeouts(self) -> Timeouts:
        """In seconds, for the client."""
        def s(ns: int | None) -> float | None:
            return None if ns is None else ns / 1e9

        return Timeouts(s(self.connect), s(self.first_byte), s(self.between_bytes))


class _CapacityPollable(Pollable):
    def __init__(self, pipe: BodyPipe) -> None:
        self.pipe = pipe

    def ready(self) -> bool:
        return self.pipe.finished or self.pipe.capacity() > 0

    def block(self) -> None:
        self.pipe.wait_capacity()


class BodyStream(OutputStream):
    """The output-stream of an outgoing body."""

    def __init__(self, body: OutgoingBody) -> None:
        self.body = body
        self.pipe = body.pipe

    def check_write(self) -> int:
        if self.pipe.finished:
            raise StreamClosed()
        return self.pipe.capacity()

    def write(self, data: bytes) -> None:
        if self.pipe.finished:
            raise StreamClosed()
        limit = self.body.content_length
        if limit is not None and self.pipe.written + len(data) > limit:
            self.pipe.finish(f"the body is longer than its content-length ({limit})")
            raise StreamFailed(codes.describe(codes.code("HTTP-request-body-size", self.pipe.written + len(data))))
        self.pipe.write(data)

    def blocking_write_and_flush(self, data: bytes) -> None:
        self.pipe.wait_capacity()
        self.write(data)  # one piece: the pipe may run over its soft capacity by one write

    def subscribe(self) -> Pollable:
        return _CapacityPollable(self.pipe)


class OutgoingBody:
    """The body of an outgoing request: one output stream, then finish."""

    def __init__(self, pipe: BodyPipe, content_length: int | None) -> None:
        self.pipe = pipe
        self.content_length = content_length
        self.stream_taken = False

    def drop(self) -> None:
        """Dropped without finish: the request fails rather than send a truncated body."""
        self.pipe.finish("the outgoing-body was dropped without outgoing-body.finish")


def _request(ctx: HostContext, handle: Any) -> OutgoingRequest:
    found: OutgoingRequest = res.get(ctx, handle)
    return found


def _options(ctx: HostContext, handle: Any) -> RequestOptions:
    found: RequestOptions = res.get(ctx, handle)
    return found


def new_request(ctx: HostContext, headers: Any) -> Any:
    return res.own(ctx, "outgoing-request", OutgoingRequest(res.take(ctx, headers)))


def request_body(ctx: HostContext, handle: Any) -> Variant:
    r = _request(ctx, handle)
    if r.body_taken:
        return err()
    r.body_taken = True
    return ok(res.own(ctx, "outgoing-body", OutgoingBody(r.pipe, content_length(r.headers.entries))))


def _setter(attr: str, valid: Callable[[Any], bool]) -> Callable[..., Variant]:
    def set_value(ctx: HostContext, handle: Any, value: Any) -> Variant:
        if not valid(value):
            return err()
        setattr(_request(ctx, handle), attr, value)
        return ok()

    return set_value


def _getter(attr: str) -> Callable[..., Any]:
    return lambda ctx, handle: getattr(_request(ctx, handle), attr)


def _valid_method(m: Variant) -> bool:
    return m.tag != "other" or bool(_TOKEN.match(str(m.payload)))


def _valid_scheme(s: Variant | None) -> bool:
    return s is None or s.tag != "other" or bool(_SCHEME.match(str(s.payload)))


def _valid_path(p: str | None) -> bool:
    return p is None or bool(_PATH.match(p))


def _valid_authority(a: str | None) -> bool:
    return a is None or bool(_AUTHORITY.match(a))


def request_headers(ctx: HostContext, handle: Any) -> Any:
    return res.own(ctx, "fields", _request(ctx, handle).headers.frozen_copy())


def new_options(ctx: HostContext) -> Any:
    return res.own(ctx, "request-options", RequestOptions())


def _option_pair(attr: str) -> dict[str, Callable[..., Any]]:
    def get(ctx: HostContext, handle: Any) -> int | None:
        value: int | None = getattr(_options(ctx, handle), attr)
        return value

    def set_(ctx: HostContext, handle: Any, duration: int | None) -> Variant:
        setattr(_options(ctx, handle), attr, duration)
        return ok()

    wit = attr.replace("_", "-")
    return {f"[method]request-options.{wit}-timeout": get, f"[method]request-options.set-{wit}-timeout": set_}


def body_write(ctx: HostContext, handle: Any) -> Variant:
    body: OutgoingBody = res.get(ctx, handle)
    if body.stream_taken:
        return err()
    body.stream_taken = True
    return ok(res.own(ctx, "output-stream", BodyStream(body)))


def body_finish(ctx: HostContext, handle: Any, trailers: Any) -> Variant:
    body: OutgoingBody = res.take(ctx, handle)
    if trailers is not None and res.take(ctx, trailers).entries:
        raise Unsupported("request trailers (outgoing-body.finish with trailers)")
    if body.pipe.finished:  # already failed (written past its content-length)
        return err(codes.code("HTTP-request-body-size", body.pipe.written))
    if body.content_length is not None and body.pipe.written != body.content_length:
        body.pipe.finish(f"the body has {body.pipe.written} bytes, its content-length says {body.content_length}")
        return err(codes.code("HTTP-request-body-size", body.pipe.written))
    body.pipe.finish()
    return ok()


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "[constructor]outgoing-request": new_request,
    "[method]outgoing-request.body": request_body,
    "[method]outgoing-request.method": _getter("method"),
    "[method]outgoing-request.set-method": _setter("method", _valid_method),
    "[method]outgoing-request.path-with-query": _getter("path_with_query"),
    "[method]outgoing-request.set-path-with-query": _setter("path_with_query", _valid_path),
    "[method]outgoing-request.scheme": _getter("scheme"),
    "[method]outgoing-request.set-scheme": _setter("scheme", _valid_scheme),
    "[method]outgoing-request.authority": _getter("authority"),
    "[method]outgoing-request.set-authority": _setter("authority", _valid_authority),
    "[method]outgoing-request.headers": request_headers,
    "[constructor]request-options": new_options,
    **_option_pair("connect"),
    **_option_pair("first_byte"),
    **_option_pair("between_bytes"),
    "[method]outgoing-body.write": body_write,
    "[static]outgoing-body.finish": body_finish,
}
