"""Golem's executor tests wasi.rs (v1.2.4) on serving HTTP: wasi_incoming_request_handler, _echo and _state.

Golem invokes a component that exports wasi:http/incoming-handler as `golem:http/incoming-handler.{handle}`
with one record describing the request, and answers with a record describing the response.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.errors import UsageError
from emulator.testing import Emulator
from tests.golem.conftest import component
from tests.golem.harness import cli

HANDLE = "golem:http/incoming-handler.{handle}"
EMPTY_OK = "{status: 200, headers: []}"  # WAVE leaves out a record's option field that is none


def _bytes(text: str) -> str:
    return "[" + ", ".join(str(b) for b in text.encode()) + "]"


def _request(method: str, path: str = "/", headers: str = "[]", body: str = "none") -> str:
    return (f'{{method: {method}, scheme: HTTP, authority: "localhost:8000", path-and-query: "{path}", '
            f"headers: {headers}, body-and-trailers: {body}}}")


def test_wasi_incoming_request_handler(emu: Emulator) -> None:
    """wasi_incoming_request_handler: a GET of / is answered 200 with no headers and no body."""
    w = emu.worker("wasi-http-incoming-request-handler-1", component("wasi-http-incoming-request-handler"))
    assert w.invoke(HANDLE, [_request("GET")]).response == EMPTY_OK


def test_wasi_incoming_request_handler_echo(emu: Emulator) -> None:
    """wasi_incoming_request_handler_echo: a POST with a header, a body and a trailer comes back with the
    header and trailer renamed echo-*, x-location and x-method headers, and the same body."""
    w = emu.worker("wasi-http-incoming-request-handler-echo-1", component("wasi-http-incoming-request-handler-echo"))
    trailers = f'some([("test-trailer", {_bytes("barfoo")})])'
    request = _request("POST", "/foo?bar=baz", f'[("test-header", {_bytes("foobar")})]',
                       f'some({{content: {_bytes("test-body")}, trailers: {trailers}}})')
    assert w.invoke(HANDLE, [request]).response == (
        f'{{status: 200, headers: [("echo-test-header", {_bytes("foobar")}), '
        f'("x-location", {_bytes("http://localhost:8000/foo?bar=baz")}), ("x-method", {_bytes("POST")})], '
        f'body-and-trailers: some({{content: {_bytes("test-body")}, '
        f'trailers: some([("echo-test-trailer", {_bytes("barfoo")})])}})}}'
    )


def test_wasi_incoming_request_handler_state(data_dir: Path) -> None:
    """wasi_incoming_request_handler_state: a PUT of "1" is kept in the guest's memory, a GET returns it, and
    after a restart of the executor (a new process, recovering by replay) a GET still returns it."""
    wasm = component("wasi-http-incoming-request-handler-state")
    get_one = f"{{status: 200, headers: [], body-and-trailers: some({{content: {_bytes('1')}}})}}"
    with Emulator(data_dir) as emu:
        w = emu.worker("wasi-http-incoming-request-handler-state-1", wasm)
        put = _request("PUT", body=f"some({{content: {_bytes('1')}, trailers: none}})")
        assert w.invoke(HANDLE, [put]).response == EMPTY_OK
        assert w.invoke(HANDLE, [_request("GET")]).response == get_one
    again = cli(data_dir, "invoke", str(wasm), "--worker", "wasi-http-incoming-request-handler-state-1", HANDLE,
                _request("GET"))
    assert again.returncode == 0 and again.stdout.strip() == get_one, again.stderr


def test_the_bridge_needs_a_wasi_http_handler_export(emu: Emulator) -> None:
    """A component without wasi:http/incoming-handler has no golem:http/incoming-handler.{handle}: a usage
    error, nothing written."""
    w = emu.worker("no-handler-1", component("shopping-cart"))
    before = emu.oplog("no-handler-1")
    with pytest.raises(UsageError, match="exports no function"):
        w.invoke(HANDLE, [_request("GET")])
    assert emu.oplog("no-handler-1") == before
