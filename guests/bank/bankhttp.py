"""POST through wasi:http with the generated bindings alone (no event loop, no requests library)."""

from urllib.parse import urlsplit

from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler, streams

try:
    from wit_world.imports.types import Fields, IncomingBody, Method_Post, OutgoingBody, OutgoingRequest, Scheme_Http
except ImportError:  # beside golem:api/host, componentize-py qualifies the clashing wasi:http module name
    from wit_world.imports.wasi_http_types import (
        Fields,
        IncomingBody,
        Method_Post,
        OutgoingBody,
        OutgoingRequest,
        Scheme_Http,
    )


class HttpError(Exception):
    """The request failed (a wasi:http error-code, as text)."""


def post(url: str, body: bytes, headers: list[tuple[str, bytes]]) -> tuple[int, str]:
    """POST `body` to `url`; the status and the response body as text."""
    parts = urlsplit(url)
    req = OutgoingRequest(Fields.from_list([("content-length", str(len(body)).encode()), *headers]))
    req.set_method(Method_Post())
    req.set_scheme(Scheme_Http())
    req.set_authority(parts.netloc)
    req.set_path_with_query(parts.path or "/")
    outgoing = req.body()
    try:
        future = outgoing_handler.handle(req, None)
    except Err as e:
        raise HttpError(repr(e.value)) from None
    out = outgoing.write()
    out.blocking_write_and_flush(body)
    out.__exit__(None, None, None)
    OutgoingBody.finish(outgoing, None)
    while (got := future.get()) is None:
        future.subscribe().block()
    future.__exit__(None, None, None)
    if not (isinstance(got, Ok) and isinstance(got.value, Ok)):
        raise HttpError(repr(got.value.value if isinstance(got, Ok) else got))
    response = got.value.value
    status = response.status()
    incoming = response.consume()
    stream = incoming.stream()
    data = []
    while True:
        try:
            data.append(stream.blocking_read(1 << 16))
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                break
            raise HttpError(repr(e.value)) from None
    stream.__exit__(None, None, None)
    IncomingBody.finish(incoming)
    response.__exit__(None, None, None)
    return status, b"".join(data).decode("utf-8", errors="replace")
