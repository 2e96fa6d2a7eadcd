"""How wasi:http payloads are shown: sizes as people write them, base64 decoded only when it is text."""

from __future__ import annotations

import base64

from emulator.inspect import http_view
from emulator.oplog.entries import Base64Text


def test_sizes() -> None:
    assert [http_view.size_text(n) for n in (0, 15, 1023, 1229, 5 * 1024 * 1024 + 1)] == [
        "0 B", "15 B", "1023 B", "1.2 KiB", "5.0 MiB"]


def test_text_is_decoded_and_binary_is_not() -> None:
    assert http_view.as_text(base64.b64encode(b'{"ok": true}\n').decode()) == '{"ok": true}\n'
    assert http_view.as_text(Base64Text("héllo".encode())) == "héllo"
    assert http_view.as_text(base64.b64encode(bytes(range(256))).decode()) is None  # not UTF-8
    assert http_view.as_text(base64.b64encode(b"a\x00b").decode()) is None  # a control character
    assert http_view.as_text(12) is None


def test_readable_decodes_headers_and_body_reads_of_http_calls_only() -> None:
    b64 = base64.b64encode
    headers = [["content-type", b64(b"text/plain").decode()], ["x-bin", b64(b"\xff\xfe").decode()]]
    response = {"ok": {"kind": "response", "status": 200, "headers": headers}}
    shown = http_view.readable(http_view.GET, response)
    assert shown == {"ok": {"kind": "response", "status": 200,
                            "headers": ["content-type: text/plain", ["x-bin", b64(b"\xff\xfe").decode()]]}}
    read = {"ok": {"data": b64(b"hi").decode()}}
    assert http_view.readable(http_view.READS[1], read) == {"ok": {"data (text)": "hi"}}
    assert http_view.readable("wall_clock::now", read) == read
