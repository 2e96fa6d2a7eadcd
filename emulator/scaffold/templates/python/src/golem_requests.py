"""`requests` over wasi:http: a transport adapter for a componentize-py 0.25 guest (written by `golem-emu new`).

Inside a component there are no sockets: every request goes out through the host's
wasi:http/outgoing-handler, which Golem (and golem-emu) journal in the worker's oplog, so a recovered worker
gets the recorded response instead of sending the request again.

componentize-py names a world's binding modules after their interfaces and qualifies the names that clash
(a world importing golem:api may get `wasi_http_types` instead of `types`), so the modules are found by
what they contain rather than by name.

    import golem_requests
    session = golem_requests.session()
    reply = session.post("http://bank.example/accounts/a/withdraw", json={"amount": 5}, timeout=10)
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import requests
import wit_world.imports
from componentize_py_types import Err, Ok
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers


def _binding(attribute: str) -> ModuleType:
    """The generated module of this world that defines `attribute`."""
    for info in pkgutil.iter_modules(wit_world.imports.__path__):
        module = importlib.import_module(f"wit_world.imports.{info.name}")
        if hasattr(module, attribute):
            return module
    raise ImportError(f"the world imports no interface with {attribute}: import wasi:http/outgoing-handler")


http = _binding("OutgoingRequest")  # wasi:http/types
handler = _binding("handle")  # wasi:http/outgoing-handler
streams = _binding("StreamError_Closed")  # wasi:io/streams

# Connection-level headers belong to the host: wasi:http refuses them (requests sets `connection`).
_HOST_OWNED = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                         "proxy-connection", "te", "transfer-encoding", "upgrade", "host", "http2-settings"})
_METHODS = {"GET": "Method_Get", "HEAD": "Method_Head", "POST": "Method_Post", "PUT": "Method_Put",
            "DELETE": "Method_Delete", "PATCH": "Method_Patch", "OPTIONS": "Method_Options"}


def _outgoing(request: requests.PreparedRequest, timeout: float | None) -> tuple[Any, Any]:
    parts = urlsplit(request.url or "")
    fields = [(name.lower(), value.encode() if isinstance(value, str) else value)
              for name, value in request.headers.items() if name.lower() not in _HOST_OWNED]
    outgoing = http.OutgoingRequest(http.Fields.from_list(fields))
    method = (request.method or "GET").upper()
    outgoing.set_method(getattr(http, _METHODS[method])() if method in _METHODS else http.Method_Other(method))
    outgoing.set_scheme(http.Scheme_Https() if parts.scheme == "https" else http.Scheme_Http())
    outgoing.set_authority(parts.netloc)
    outgoing.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    options = None
    if timeout:
        options = http.RequestOptions()
        nanos = int(timeout * 1e9)
        options.set_connect_timeout(nanos)
        options.set_first_byte_timeout(nanos)
        options.set_between_bytes_timeout(nanos)
    return outgoing, options


def _write(body: Any, data: bytes) -> None:
    out = body.write()
    view = memoryview(data)
    while view:
        permit = out.check_write()
        if permit == 0:
            out.subscribe().block()
            continue
        out.write(bytes(view[:permit]))
        view = view[permit:]
    out.blocking_flush()
    out.__exit__(None, None, None)
    http.OutgoingBody.finish(body, None)


def _read(incoming: Any) -> bytes:
    body = incoming.consume()
    stream = body.stream()
    parts = []
    while True:
        try:
            parts.append(stream.blocking_read(1 << 16))
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                break
            raise requests.ConnectionError(f"reading the response body failed: {e.value!r}") from None
    stream.__exit__(None, None, None)
    http.IncomingBody.finish(body)
    return b"".join(parts)


class WasiHttpAdapter(BaseAdapter):  # type: ignore[misc]
    """Sends each request through wasi:http/outgoing-handler and reads the whole response."""

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        if isinstance(timeout, tuple):
            timeout = max(t for t in timeout if t is not None) if any(timeout) else None
        outgoing, options = _outgoing(request, timeout)
        data = request.body or b""
        if isinstance(data, str):
            data = data.encode()
        body = outgoing.body()
        try:
            future = handler.handle(outgoing, options)
        except Err as e:
            raise requests.ConnectionError(f"{request.method} {request.url}: {e.value!r}") from None
        _write(body, data)
        while (got := future.get()) is None:
            future.subscribe().block()
        future.__exit__(None, None, None)
        if not (isinstance(got, Ok) and isinstance(got.value, Ok)):
            error = got.value.value if isinstance(got, Ok) else got
            raise requests.ConnectionError(f"{request.method} {request.url}: {error!r}")
        incoming = got.value.value
        response = requests.Response()
        response.status_code = incoming.status()
        response.headers = CaseInsensitiveDict(
            {name: value.decode("latin-1") for name, value in incoming.headers().entries()})
        response._content = _read(incoming)
        incoming.__exit__(None, None, None)
        response.encoding = get_encoding_from_headers(response.headers)
        response.url = request.url or ""
        response.request = request
        response.reason = ""
        return response

    def close(self) -> None:
        pass


def session() -> requests.Session:
    """A requests Session whose http:// and https:// requests go through wasi:http."""
    s = requests.Session()
    s.mount("http://", WasiHttpAdapter())
    s.mount("https://", WasiHttpAdapter())
    s.headers["Accept-Encoding"] = "identity"  # bodies arrive exactly as sent: nothing decompresses them
    return s
