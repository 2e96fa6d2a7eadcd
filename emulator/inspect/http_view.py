"""wasi:http entries as a person reads them: `POST http://host/path -> 200 (1.2 KiB)`, bodies and headers as text.

The oplog keeps header values and body bytes as base64 (they are bytes). For display they are decoded when
they are text (valid UTF-8 without control characters other than whitespace) and kept as base64 otherwise,
so a binary body is never shown as mojibake.
"""

from __future__ import annotations

import binascii
from typing import Any

from emulator.oplog.entries import Base64Text, ImportedFunctionInvoked, OplogEntry

GET = "http::types::future_incoming_response::get"
READS = ("http::types::incoming_body_stream::read", "http::types::incoming_body_stream::blocking_read")


def size_text(n: int) -> str:
    """A byte count as people write it: 15 B, 1.2 KiB, 3.4 MiB."""
    if n < 1024:
        return f"{n} B"
    for unit in ("KiB", "MiB", "GiB"):
        n_f = n / 1024
        if n_f < 1024 or unit == "GiB":
            return f"{n_f:.1f} {unit}"
        n = int(n_f)
    return f"{n} B"


def _bytes_of(value: Any) -> bytes | None:
    if isinstance(value, Base64Text):
        return value.raw
    if not isinstance(value, str):
        return None
    try:
        return binascii.a2b_base64(value)
    except (binascii.Error, ValueError):
        return None


def as_text(value: Any) -> str | None:
    """The text a base64 value encodes, or None when it is not base64 of readable text."""
    raw = _bytes_of(value)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return None
    return text


def _ok(response: Any) -> Any:
    if isinstance(response, dict) and len(response) == 1 and "ok" in response:
        return response["ok"]
    return response


def _header(headers: Any, name: str) -> str | None:
    for pair in headers if isinstance(headers, list) else []:
        if isinstance(pair, list | tuple) and len(pair) == 2 and str(pair[0]).lower() == name:
            return as_text(pair[1])
    return None


def summary(entry: OplogEntry) -> str | None:
    """A one-line summary of a wasi:http entry, or None for any other entry."""
    if not isinstance(entry, ImportedFunctionInvoked):
        return None
    if entry.function_name == GET:
        req = entry.request if isinstance(entry.request, dict) else {}
        head = f"{req.get('method', '?')} {req.get('uri', '?')}"
        resp = _ok(entry.response)
        if not isinstance(resp, dict):
            return f"{head} -> {resp}"
        if resp.get("kind") == "response":
            length = _header(resp.get("headers"), "content-length")
            size = f" ({size_text(int(length))})" if length and length.isdigit() else ""
            return f"{head} -> {resp.get('status')}{size}"
        if resp.get("kind") == "pending":
            return f"{head} -> (waiting for the response)"
        return f"{head} -> {resp}"
    if entry.function_name in READS:
        resp = _ok(entry.response)
        if isinstance(resp, dict) and "data" in resp:
            raw = _bytes_of(resp["data"]) or b""
            text = as_text(resp["data"])
            shown = text.replace("\n", "⏎") if text is not None else "binary"
            return f"body {size_text(len(raw))}: {shown}"
        if isinstance(resp, dict) and resp.get("closed"):
            return "end of body"
    return None


def _header_line(pair: Any) -> Any:
    """`name: value` for a header whose value is text; the pair as recorded (base64) otherwise."""
    if isinstance(pair, list | tuple) and len(pair) == 2:
        text = as_text(pair[1])
        if text is not None:
            return f"{pair[0]}: {text}"
    return pair


def readable(function_name: str, value: Any) -> Any:
    """A request or response payload with base64 header values and body bytes decoded where they are text."""
    if not function_name.startswith("http::") or not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "headers" and isinstance(item, list):
            out[key] = [_header_line(pair) for pair in item]
        elif key == "data":
            text = as_text(item)
            if text is None:
                out["data (base64)"] = item
            else:
                out["data (text)"] = text
        else:
            out[key] = readable(function_name, item)
    return out
