"""wasi:http host functions driven directly (no guest) against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from wasmtime.component import Variant

from emulator.errors import GuestTrap
from emulator.host import _resources as res
from emulator.host._shapes import case
from emulator.host.context import HostContext
from emulator.host.http import errors as wasi_http_errors
from emulator.host.http import interfaces as wasi_http
from emulator.host.http.responses import GET
from emulator.host.io import interfaces as wasi_io
from emulator.oplog.entries import BeginRemoteWrite, EndRemoteWrite, ImportedFunctionInvoked, Jump
from emulator.oplog.store import SqliteStore
from tests.host.hostctx import entries, journaled, make_ctx, ok, stream_error
from tests.http_server import CountingServer

T = wasi_http.TYPES


def outgoing(ctx: HostContext, method: str, url: str, headers: list[tuple[str, bytes]] | None = None) -> Any:
    """An outgoing-request handle for `url`."""
    scheme, _, rest = url.partition("://")
    authority, _, path = rest.partition("/")
    fields = ok(T["[static]fields.from-list"](ctx, headers or []))
    req = T["[constructor]outgoing-request"](ctx, fields)
    ok(T["[method]outgoing-request.set-method"](ctx, req, case(method.lower())))
    ok(T["[method]outgoing-request.set-scheme"](ctx, req, case(scheme.upper())))
    ok(T["[method]outgoing-request.set-authority"](ctx, req, authority))
    ok(T["[method]outgoing-request.set-path-with-query"](ctx, req, "/" + path))
    return req


def send(ctx: HostContext, req: Any, body: bytes | None = None, options: Any = None) -> Variant:
    """handle, write the body after it (as requests-wasi-http does), and wait for the response head: the
    future's result<incoming-response, error-code>."""
    body_handle = ok(T["[method]outgoing-request.body"](ctx, req)) if body is not None else None
    future = ok(wasi_http.handle(ctx, req, options))
    if body_handle is not None:
        out = ok(T["[method]outgoing-body.write"](ctx, body_handle))
        for i in range(0, len(body or b""), 1 << 16):
            ok(wasi_io.blocking_write_and_flush(ctx, out, (body or b"")[i:i + (1 << 16)]))
        ok(T["[static]outgoing-body.finish"](ctx, body_handle, None))
    while (got := T["[method]future-incoming-response.get"](ctx, future)) is None:
        wasi_io.pollable_block(ctx, T["[method]future-incoming-response.subscribe"](ctx, future))
    result = ok(got)
    assert isinstance(result, Variant)
    return result


def read_all(ctx: HostContext, response: Any, chunk: int = 1 << 20) -> bytes:
    """Consume the body with blocking reads until closed."""
    stream = ok(T["[method]incoming-body.stream"](ctx, ok(T["[method]incoming-response.consume"](ctx, response))))
    parts: list[bytes] = []
    while True:
        got = wasi_io.blocking_read(ctx, stream, chunk)
        if got.tag == "err":
            assert stream_error(got).tag == "closed"
            return b"".join(parts)
        parts.append(ok(got))


def test_fields_validate_and_attached_headers_are_immutable(store: SqliteStore) -> None:
    ctx = make_ctx(store)
    assert T["[static]fields.from-list"](ctx, [("host", b"x")]) == Variant("err", case("forbidden"))
    assert T["[static]fields.from-list"](ctx, [("bad name", b"x")]) == Variant("err", case("invalid-syntax"))
    assert T["[static]fields.from-list"](ctx, [("x", b"a\r\nb")]) == Variant("err", case("invalid-syntax"))
    f = T["[constructor]fields"](ctx)
    ok(T["[method]fields.append"](ctx, f, "X-A", b"1"))
    ok(T["[method]fields.append"](ctx, f, "x-a", b"2"))
    assert T["[method]fields.get"](ctx, f, "X-a") == [b"1", b"2"]
    ok(T["[method]fields.set"](ctx, f, "x-b", [b"3"]))
    ok(T["[method]fields.delete"](ctx, f, "x-a"))
    assert T["[method]fields.entries"](ctx, f) == [("x-b", b"3")]
    req = T["[constructor]outgoing-request"](ctx, T["[method]fields.clone"](ctx, f))
    headers = T["[method]outgoing-request.headers"](ctx, req)
    assert T["[method]fields.append"](ctx, headers, "x-c", b"4") == Variant("err", case("immutable"))
    assert T["[method]outgoing-request.set-method"](ctx, req, case("other", "NOT A TOKEN")).tag == "err"


def test_headers_both_ways_and_a_journaled_exchange(store: SqliteStore, http_server: CountingServer) -> None:
    ctx = make_ctx(store)
    response = ok(send(ctx, outgoing(ctx, "GET", f"{http_server.base}/headers", [("x-request", b"yes")])))
    assert T["[method]incoming-response.status"](ctx, response) == 200
    fields = T["[method]incoming-response.headers"](ctx, response)
    assert T["[method]fields.get"](ctx, fields, "x-multi") == [b"one", b"two"]
    seen = json.loads(read_all(ctx, response))
    assert seen["x-request"] == "yes" and "user-agent" not in seen  # nothing added behind the guest's back
    kinds = [type(e).__name__ for e in entries(ctx)]
    assert kinds[0] == "BeginRemoteWrite" and kinds[-1] == "EndRemoteWrite"
    assert set(journaled(ctx)) <= {GET, "golem io::poll::poll", "http::types::incoming_body_stream::blocking_read"}


def test_bodies_stream_both_ways(store: SqliteStore, http_server: CountingServer) -> None:
    ctx = make_ctx(store)
    payload = bytes(range(256)) * 12_000  # 3 MB, written after handle, no content-length: sent chunked
    echoed = read_all(ctx, ok(send(ctx, outgoing(ctx, "POST", f"{http_server.base}/echo"), payload)))
    assert echoed == payload
    big = read_all(ctx, ok(send(ctx, outgoing(ctx, "GET", f"{http_server.base}/bytes/5000000"))), chunk=70_000)
    assert len(big) == 5_000_000 and big[:256] == bytes(range(256))


def test_content_length_mismatch_is_a_body_size_error(store: SqliteStore, http_server: CountingServer) -> None:
    ctx = make_ctx(store)
    req = outgoing(ctx, "POST", f"{http_server.base}/sink", [("content-length", b"10")])
    body = ok(T["[method]outgoing-request.body"](ctx, req))
    future = ok(wasi_http.handle(ctx, req, None))
    ok(wasi_io.write(ctx, ok(T["[method]outgoing-body.write"](ctx, body)), b"short"))
    assert T["[static]outgoing-body.finish"](ctx, body, None) == Variant("err", case("HTTP-request-body-size", 5))
    while (got := T["[method]future-incoming-response.get"](ctx, future)) is None:
        wasi_io.pollable_block(ctx, T["[method]future-incoming-response.subscribe"](ctx, future))
    assert ok(got).tag == "err"
    assert http_server.count("/sink") == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _error_of(ctx: HostContext, url: str, options: Any = None) -> Variant:
    result = send(ctx, outgoing(ctx, "GET", url), options=options)
    assert result.tag == "err", result
    assert isinstance(result.payload, Variant)
    return result.payload


def test_errors_map_to_error_codes(store: SqliteStore, http_server: CountingServer,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = make_ctx(store)
    assert _error_of(ctx, f"http://127.0.0.1:{_free_port()}/x").tag == "connection-refused"
    options = T["[constructor]request-options"](ctx)
    ok(T["[method]request-options.set-first-byte-timeout"](ctx, options, 200_000_000))
    assert T["[method]request-options.first-byte-timeout"](ctx, options) == 200_000_000
    assert _error_of(ctx, f"{http_server.base}/slow/1500", options).tag == "connection-read-timeout"

    def no_dns(*args: object, **kw: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # no real DNS query leaves this machine
    dns = _error_of(ctx, "http://no-such-host.test/x")
    assert dns.tag == "DNS-error" and getattr(dns.payload, "rcode", None) == "Name or service not known"
    # A request that cannot be sent is bracketed and answered at once.
    req = outgoing(ctx, "GET", "http://x/")
    ok(T["[method]outgoing-request.set-authority"](ctx, req, None))
    assert wasi_http.handle(ctx, req, None) == Variant("err", case("HTTP-request-URI-invalid"))
    assert isinstance(entries(ctx)[-1], EndRemoteWrite)


def test_between_bytes_timeout_fails_the_body_with_an_error_code(
    store: SqliteStore, http_server: CountingServer,
) -> None:
    ctx = make_ctx(store)
    options = T["[constructor]request-options"](ctx)
    ok(T["[method]request-options.set-between-bytes-timeout"](ctx, options, 300_000_000))
    response = ok(send(ctx, outgoing(ctx, "GET", f"{http_server.base}/stall"), options=options))
    stream = ok(T["[method]incoming-body.stream"](ctx, ok(T["[method]incoming-response.consume"](ctx, response))))
    assert ok(wasi_io.blocking_read(ctx, stream, 100)) == b"x" * 10
    failed = stream_error(wasi_io.blocking_read(ctx, stream, 100))
    assert failed.tag == "last-operation-failed"
    assert T["http-error-code"](ctx, failed.payload) == case("connection-read-timeout")
    assert "connection-read-timeout" in wasi_io.error_to_debug_string(ctx, failed.payload)


def test_replay_serves_the_recorded_exchange_without_sending(
    store: SqliteStore, http_server: CountingServer,
) -> None:
    live = make_ctx(store)
    body = read_all(live, ok(send(live, outgoing(live, "POST", f"{http_server.base}/effect/1"), b"x")))
    live.oplog.commit()
    assert http_server.count("/effect/1") == 1
    replaying = make_ctx(store)
    assert not replaying.durability.is_live()
    replayed = send(replaying, outgoing(replaying, "POST", f"{http_server.base}/effect/1"), b"x")
    assert read_all(replaying, ok(replayed)) == body
    assert replaying.durability.is_live()  # every recorded entry was consumed, none added
    assert http_server.count("/effect/1") == 1
    assert len(entries(replaying)) == len(entries(live))


def test_unfinished_bracket_is_resent_or_fails(store: SqliteStore, http_server: CountingServer) -> None:
    live = make_ctx(store)
    send(live, outgoing(live, "POST", f"{http_server.base}/effect/1"), b"x")  # response never read: no End
    live.oplog.commit()
    assert sum(isinstance(e, BeginRemoteWrite) for e in entries(live)) == 1
    strict = make_ctx(store)
    strict.durability.assume_idempotence = False
    with pytest.raises(GuestTrap, match="Non-idempotent remote write operation was not completed"):
        wasi_http.handle(strict, outgoing(strict, "POST", f"{http_server.base}/effect/1"), None)
    assert http_server.count("/effect/1") == 1
    again = make_ctx(store)
    read_all(again, ok(send(again, outgoing(again, "POST", f"{http_server.base}/effect/1"), b"x")))
    assert http_server.count("/effect/1") == 2
    # The abandoned attempt is skipped by a Jump; the retry keeps the original BeginRemoteWrite (Golem's `begin`).
    jumps = [e for e in entries(again) if isinstance(e, Jump)]
    assert len(jumps) == 1 and jumps[0].start == 3
    gets = [e for e in entries(again) if isinstance(e, ImportedFunctionInvoked) and e.function_name == GET]
    assert {e.function_type.begin_index for e in gets} == {2}


def test_error_code_json_round_trip() -> None:
    dns = wasi_http_errors.from_json({"case": "DNS-error", "payload": {"rcode": "x", "info-code": 3}})
    assert wasi_http_errors.to_json(dns) == {"case": "DNS-error", "payload": {"rcode": "x", "info-code": 3}}
    size = case("HTTP-request-body-size", 5)
    assert wasi_http_errors.from_json(wasi_http_errors.to_json(size)) == size


def test_dropping_the_future_ends_the_remote_write(store: SqliteStore, http_server: CountingServer) -> None:
    ctx = make_ctx(store)
    future = ok(wasi_http.handle(ctx, outgoing(ctx, "GET", f"{http_server.base}/slow/200"), None))
    rep = future.rep
    obj = ctx.resources.pop(rep)
    obj.drop()  # what the linker's destructor does
    assert isinstance(entries(ctx)[-1], EndRemoteWrite)
    assert res.type_id("headers") == res.type_id("fields") and res.type_id("io-error") == res.type_id("error")


def test_an_unfinished_body_fails_the_request(store: SqliteStore, http_server: CountingServer) -> None:
    ctx = make_ctx(store)
    req = outgoing(ctx, "POST", f"{http_server.base}/sink")
    body = ok(T["[method]outgoing-request.body"](ctx, req))
    future = ok(wasi_http.handle(ctx, req, None))
    ctx.resources.pop(body.rep).drop()  # the guest drops the body without outgoing-body.finish
    while (got := T["[method]future-incoming-response.get"](ctx, future)) is None:
        wasi_io.pollable_block(ctx, T["[method]future-incoming-response.subscribe"](ctx, future))
    assert ok(got).tag == "err" and ok(got).payload.tag == "internal-error"
    assert http_server.count("/sink") == 0


def test_zero_length_reads(store: SqliteStore, http_server: CountingServer) -> None:
    ctx = make_ctx(store)
    response = ok(send(ctx, outgoing(ctx, "GET", f"{http_server.base}/bytes/10")))
    stream = ok(T["[method]incoming-body.stream"](ctx, ok(T["[method]incoming-response.consume"](ctx, response))))
    wasi_io.pollable_block(ctx, wasi_io.input_subscribe(ctx, stream))
    assert ok(wasi_io.read(ctx, stream, 0)) == b""
    assert ok(wasi_io.blocking_read(ctx, stream, 100)) == bytes(range(10))
