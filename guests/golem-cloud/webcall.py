"""Plain HTTP requests over the guest's wasi:http bindings, for the steps the transactions run."""

from urllib.parse import urlsplit

from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler, streams
from wit_world.imports.wasi_http_types import (
    Fields,
    IncomingBody,
    Method_Delete,
    Method_Get,
    Method_Post,
    OutgoingBody,
    OutgoingRequest,
    Scheme_Http,
)

_METHODS = {"GET": Method_Get, "DELETE": Method_Delete, "POST": Method_Post}


class HttpError(Exception):
    """A wasi:http error-code or stream failure, as text."""


def request(method: str, url: str) -> str:
    """Send a bodiless `method` request to `url`; the response body as text."""
    parts = urlsplit(url)
    req = OutgoingRequest(Fields.from_list([]))
    req.set_method(_METHODS[method]())
    req.set_scheme(Scheme_Http())
    req.set_authority(parts.netloc)
    req.set_path_with_query(parts.path + (f"?{parts.query}" if parts.query else ""))
    body = req.body()
    try:
        future = outgoing_handler.handle(req, None)
    except Err as e:
        raise HttpError(repr(e.value)) from None
    OutgoingBody.finish(body, None)
    while (got := future.get()) is None:
        future.subscribe().block()
    future.__exit__(None, None, None)
    if not (isinstance(got, Ok) and isinstance(got.value, Ok)):
        raise HttpError(repr(got.value.value if isinstance(got, Ok) else got))
    response = got.value.value
    incoming = response.consume()
    stream = incoming.stream()
    chunks = []
    while True:
        try:
            chunks.append(stream.blocking_read(1 << 16))
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                break
            raise HttpError(repr(e.value)) from None
    stream.__exit__(None, None, None)
    IncomingBody.finish(incoming)
    response.__exit__(None, None, None)
    return b"".join(chunks).decode("utf-8")
