"""HTTP side effects guest: the same requests through `requests` (requests-wasi-http) or poll_loop.

`post-effects` is what the durability tests crash: three POSTs, optionally the last two in an atomic region
and with idempotence mode off. `download`, `upload` and `get-many` use the bindings directly for the bench.
"""

import asyncio
import hashlib

import wasi_alias  # noqa: F401  (must precede poll_loop and wasi_http_adapter)
import lowlevel
import poll_loop
import requests
import wit_world
from componentize_py_types import Err
from wasi_http_adapter import WasiHttpAdapter
from wit_world import exports
from wit_world.exports.api import Client
from wit_world.imports import host
from wit_world.imports.types import Fields, OutgoingRequest

_session = requests.Session()
_abandoned: list[object] = []  # requests abandon-request left unfinished
_adapter = WasiHttpAdapter(wit_world)
_session.mount("http://", _adapter)
_session.mount("https://", _adapter)


def _summary(status: int, content_type: str, body: bytes) -> str:
    return f"{status} {content_type or '-'} {len(body)} {hashlib.sha256(body).hexdigest()}"


def _via_requests(method: str, url: str, body: bytes, timeout_ms: int) -> tuple[int, str, bytes]:
    timeout = timeout_ms / 1000 if timeout_ms else None
    resp = _session.request(method, url, data=body or None, timeout=timeout)
    return resp.status_code, resp.headers.get("content-type", ""), resp.content


async def _poll_loop_request(method: str, url: str, body: bytes) -> tuple[int, str, bytes]:
    headers = [("content-length", str(len(body)).encode())] if body else []
    request: OutgoingRequest
    request, outgoing = lowlevel.request(method, url, headers)
    response_future = asyncio.ensure_future(poll_loop.send(request))
    sink = poll_loop.Sink(outgoing)
    if body:
        await sink.send(body)
    sink.close()
    response = await response_future
    status = response.status()
    fields: Fields = response.headers()
    content_type = b", ".join(fields.get("content-type")).decode("latin-1")
    stream = poll_loop.Stream(response.consume())
    parts = []
    while (chunk := await stream.next()) is not None:
        parts.append(chunk)
    return status, content_type, b"".join(parts)


def _via_poll_loop(method: str, url: str, body: bytes) -> tuple[int, str, bytes]:
    return poll_loop.PollLoop().run_until_complete(_poll_loop_request(method, url, body))


def _request(client: Client, method: str, url: str, body: bytes = b"", timeout_ms: int = 0) -> tuple[int, str, bytes]:
    if client == Client.REQUESTS:
        return _via_requests(method, url, body, timeout_ms)
    if timeout_ms:
        resp = lowlevel.send(method, url, body, timeout_ms)
        status = resp.status()
        content_type = b", ".join(resp.headers().get("content-type")).decode("latin-1")
        data = lowlevel.read_body(resp, 1 << 16)
        assert isinstance(data, bytes)
        return status, content_type, data
    return _via_poll_loop(method, url, body)


class Api(exports.Api):
    """emu:http-effects/api."""

    def post_effects(self, base: str, client: Client, idempotent: bool, atomic: bool) -> list[str]:
        """POST effects 1..3; effects 2 and 3 share an atomic region when `atomic`."""
        if not idempotent:
            host.set_idempotence_mode(False)
        bodies = []
        region = None
        for n in (1, 2, 3):
            if atomic and n == 2:
                region = host.mark_begin_operation()
            _, _, body = _request(client, "POST", f"{base}/effect/{n}", f"effect {n}".encode())
            bodies.append(body.decode("utf-8", errors="replace"))
        if region is not None:
            host.mark_end_operation(region)
        return bodies

    def saga(self, base: str) -> str:
        """POST `before`; an atomic region POSTing `in-1` and `in-2` that fails until the server has seen
        `in-2` three times; then POST `after`."""
        _request(Client.REQUESTS, "POST", f"{base}/effect/before")
        begin = host.mark_begin_operation()
        _request(Client.REQUESTS, "POST", f"{base}/effect/in-1")
        _, _, body = _request(Client.REQUESTS, "POST", f"{base}/effect/in-2")
        attempt = int(body.decode().rsplit("#", 1)[1])
        if attempt <= 2:
            raise RuntimeError(f"in-2 was refused on attempt {attempt}")
        host.mark_end_operation(begin)
        _request(Client.REQUESTS, "POST", f"{base}/effect/after")
        return f"in-2 accepted on attempt {attempt}"

    def persist_nothing_post(self, base: str) -> str:
        """POST `pn` inside a persist-nothing section, then `journaled` outside it."""
        host.set_oplog_persistence_level(host.PersistenceLevel_PersistNothing())
        _request(Client.REQUESTS, "POST", f"{base}/effect/pn")
        host.set_oplog_persistence_level(host.PersistenceLevel_Smart())
        _request(Client.REQUESTS, "POST", f"{base}/effect/journaled")
        return "posted"

    def fetch(self, method: str, url: str, body: bytes, client: Client, timeout_ms: int) -> str:
        """One request; its summary, or Err with the error's text."""
        try:
            return _summary(*_request(client, method, url, body, timeout_ms))
        except (requests.RequestException, lowlevel.HttpError) as e:
            raise Err(f"{type(e).__name__}: {e}") from None
        except Err as e:
            raise Err(f"{type(e.value).__name__}: {e.value!r}") from None

    def download(self, url: str, chunk: int) -> int:
        """GET `url`, reading `chunk` bytes at a time; the body's length."""
        return int(lowlevel.read_body(lowlevel.send("GET", url), chunk, keep=False))

    def upload(self, url: str, size: int, chunk: int) -> int:
        """POST `size` zero bytes in `chunk`-byte writes; the response body's length."""
        headers = [("content-length", str(size).encode())]
        req, body = lowlevel.request("POST", url, headers)
        future = lowlevel.outgoing_handler.handle(req, None)
        lowlevel.write_all(body, bytes(size), chunk)
        return int(lowlevel.read_body(lowlevel.await_response(future), 1 << 16, keep=False))

    def get_many(self, url: str, count: int, journaled: bool) -> int:
        """`count` GETs of `url`; outside the oplog (persist-nothing) unless `journaled`."""
        if not journaled:
            host.set_oplog_persistence_level(host.PersistenceLevel_PersistNothing())
        total = 0
        for _ in range(count):
            total += int(lowlevel.read_body(lowlevel.send("GET", url), 1 << 16, keep=False))
        if not journaled:
            host.set_oplog_persistence_level(host.PersistenceLevel_Smart())
        return total

    def abandon_request(self, url: str) -> str:
        """Send a GET of `url` and fail before waiting for its response."""
        req, body = lowlevel.request("POST", url, [])
        future = lowlevel.outgoing_handler.handle(req, None)
        out = body.write()
        out.blocking_write_and_flush(b"part of a body")  # never finished: the answer cannot be there yet
        assert future.get() is None
        _abandoned.extend([future, body, out])  # kept alive: unwinding the exception must not end the request
        raise RuntimeError(f"giving up on {url} before its answer")
