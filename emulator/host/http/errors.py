"""wasi:http `error-code` values: built from urllib3 and socket failures, and stored in the oplog as JSON.

Canonical values are `Variant(case, payload)`; the three record payloads (DNS, TLS alert, field size) are
Records with kebab-case fields. The JSON form is `{"case": ..., "payload": ...}` with records as dicts.
"""

from __future__ import annotations

import errno
import socket
import ssl
from typing import Any

import urllib3.exceptions as u3
from wasmtime.component import Variant

from emulator.host import _convert as cv
from emulator.host._shapes import case
from emulator.oplog.entries import Json

# Cases whose payload is a record, and that record's fields (all options).
_RECORD_FIELDS = {
    "DNS-error": ("rcode", "info-code"),
    "TLS-alert-received": ("alert-id", "alert-message"),
    "HTTP-request-header-size": ("field-name", "field-size"),
    "HTTP-request-trailer-size": ("field-name", "field-size"),
    "HTTP-response-header-size": ("field-name", "field-size"),
    "HTTP-response-trailer-size": ("field-name", "field-size"),
}


def code(name: str, payload: Any = None) -> Variant:
    """An error-code value."""
    return case(name, payload)


def internal(message: str) -> Variant:
    """`internal-error(some(message))`."""
    return code("internal-error", message)


def to_json(value: Variant) -> Json:
    """The oplog form of an error-code."""
    payload = value.payload
    fields = _RECORD_FIELDS.get(value.tag)
    if fields is not None and payload is not None:
        payload = {f: getattr(payload, f) for f in fields}
    return {"case": value.tag, "payload": payload}


def from_json(data: Json) -> Variant:
    """Inverse of to_json."""
    assert isinstance(data, dict)
    name, payload = str(data["case"]), data.get("payload")
    if name in _RECORD_FIELDS and isinstance(payload, dict):
        r = cv.record()
        for f in _RECORD_FIELDS[name]:
            setattr(r, f, payload.get(f))
        return code(name, r)
    return code(name, payload)


def describe(value: Variant) -> str:
    """Readable text, for io-error debug strings."""
    payload = value.payload
    if payload is None:
        return value.tag
    if value.tag in _RECORD_FIELDS:
        payload = ", ".join(f"{f}={getattr(payload, f)!r}" for f in _RECORD_FIELDS[value.tag])
    return f"{value.tag}({payload})"


def _dns(e: BaseException) -> Variant:
    r = cv.record(rcode=str(e) or "name resolution failed", info_code=None)
    if isinstance(e, socket.gaierror) and e.errno is not None:
        r = cv.record(rcode=e.strerror or str(e), info_code=abs(e.errno) & 0xFFFF)
    return code("DNS-error", r)


def _os_error(e: OSError) -> Variant:
    if isinstance(e, socket.gaierror):
        return _dns(e)
    if isinstance(e, ConnectionRefusedError):
        return code("connection-refused")
    if isinstance(e, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return code("connection-terminated")
    if isinstance(e, TimeoutError | socket.timeout):
        return code("connection-timeout")
    if e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return code("destination-IP-unroutable")
    if e.errno == errno.EADDRNOTAVAIL:
        return code("destination-unavailable")
    return internal(f"{type(e).__name__}: {e}")


def _root(e: BaseException) -> BaseException:
    """The innermost useful cause of a urllib3 error."""
    if isinstance(e, u3.MaxRetryError) and e.reason is not None:
        return _root(e.reason)
    if isinstance(e, u3.ProtocolError) and e.args and isinstance(e.args[-1], BaseException):
        return e.args[-1]
    return e


def from_exception(e: BaseException, *, head_received: bool) -> Variant:
    """The error-code a failed request (or response body read, when `head_received`) reports."""
    e = _root(e)
    if isinstance(e, u3.NameResolutionError):
        return _dns(e.__cause__ or e)
    if isinstance(e, u3.NewConnectionError):  # before ConnectTimeoutError: urllib3 2 derives it from that
        cause = e.__cause__ or e.__context__
        return _os_error(cause) if isinstance(cause, OSError) else code("destination-unavailable")
    if isinstance(e, u3.ConnectTimeoutError):
        return code("connection-timeout")
    if isinstance(e, u3.ReadTimeoutError | TimeoutError | socket.timeout):
        return code("connection-read-timeout")  # first-byte and between-bytes timeouts, as wasmtime reports them
    if isinstance(e, u3.SSLError | ssl.SSLError):
        text = str(e)
        return code("TLS-certificate-error" if "CERTIFICATE" in text.upper() else "TLS-protocol-error")
    if isinstance(e, u3.IncompleteRead | u3.InvalidChunkLength):
        return code("HTTP-response-incomplete")
    if isinstance(e, u3.LocationParseError | u3.LocationValueError):
        return code("HTTP-request-URI-invalid")
    if isinstance(e, u3.ProtocolError | u3.InvalidHeader | u3.HeaderParsingError):
        return code("HTTP-response-incomplete" if head_received else "HTTP-protocol-error")
    if isinstance(e, OSError):
        if head_received and isinstance(e, ConnectionError):
            return code("HTTP-response-incomplete")
        return _os_error(e)
    return internal(f"{type(e).__name__}: {e}")
