"""wasi:http through the generated bindings alone: what poll_loop does, without an event loop."""

from urllib.parse import urlsplit

import wasi_alias  # noqa: F401  (before the wit_world.imports.types import below)
from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler, streams
from wit_world.imports.types import (
    Fields,
    FutureIncomingResponse,
    IncomingBody,
    IncomingResponse,
    Method_Get,
    Method_Other,
    Method_Post,
    OutgoingBody,
    OutgoingRequest,
    RequestOptions,
    Scheme_Http,
    Scheme_Https,
)

_METHODS = {"GET": Method_Get, "POST": Method_Post}


class HttpError(Exception):
    """A wasi:http error-code (or a stream failure), as text."""


def request(method: str, url: str, headers: list[tuple[str, bytes]]) -> tuple[OutgoingRequest, OutgoingBody]:
    """An outgoing-request for `url` and its body, not yet sent."""
    parts = urlsplit(url)
    req = OutgoingRequest(Fields.from_list(headers))
    req.set_method(_METHODS[method]() if method in _METHODS else Method_Other(method))
    req.set_scheme(Scheme_Https() if parts.scheme == "https" else Scheme_Http())
    req.set_authority(parts.netloc)
    req.set_path_with_query(parts.path + (f"?{parts.query}" if parts.query else "") or "/")
    return req, req.body()


def options(timeout_ms: int) -> RequestOptions | None:
    """Request options with every timeout set to `timeout_ms` (None for 0)."""
    if not timeout_ms:
        return None
    opts = RequestOptions()
    ns = timeout_ms * 1_000_000
    opts.set_connect_timeout(ns)
    opts.set_first_byte_timeout(ns)
    opts.set_between_bytes_timeout(ns)
    return opts


def write_all(body: OutgoingBody, data: bytes, chunk: int = 1 << 16) -> None:
    """Write `data` to the request body (respecting check-write), then finish it."""
    out = body.write()
    offset = 0
    while offset < len(data):
        permit = out.check_write()
        if permit == 0:
            out.subscribe().block()
            continue
        n = min(permit, chunk, len(data) - offset)
        out.write(data[offset:offset + n])
        offset += n
    out.blocking_flush()
    out.__exit__(None, None, None)
    OutgoingBody.finish(body, None)


def await_response(future: FutureIncomingResponse) -> IncomingResponse:
    """Wait for the response head; HttpError for an error-code."""
    while True:
        got = future.get()
        if got is None:
            future.subscribe().block()
            continue
        future.__exit__(None, None, None)
        if isinstance(got, Ok) and isinstance(got.value, Ok):
            return got.value.value
        raise HttpError(repr(got.value.value if isinstance(got, Ok) else got))


def read_body(response: IncomingResponse, chunk: int, keep: bool = True) -> bytes | int:
    """The whole body (or only its length when `keep` is False), read with blocking-read."""
    body = response.consume()
    stream = body.stream()
    parts: list[bytes] = []
    total = 0
    while True:
        try:
            data = stream.blocking_read(chunk)
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                break
            raise HttpError(repr(e.value)) from None
        total += len(data)
        if keep:
            parts.append(data)
    stream.__exit__(None, None, None)
    IncomingBody.finish(body)
    response.__exit__(None, None, None)
    return b"".join(parts) if keep else total


def send(method: str, url: str, data: bytes = b"", timeout_ms: int = 0) -> IncomingResponse:
    """Send a request with `data` as its body and wait for the response head."""
    req, body = request(method, url, [("content-length", str(len(data)).encode())] if data else [])
    try:
        future = outgoing_handler.handle(req, options(timeout_ms))
    except Err as e:
        raise HttpError(repr(e.value)) from None
    write_all(body, data)
    return await_response(future)
