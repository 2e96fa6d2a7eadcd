"""wasi:http `fields` (headers and trailers): validated, case-insensitive, immutable once attached."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from emulator.host import _resources as res
from emulator.host._shapes import case, err, ok
from emulator.host.context import HostContext

# RFC 9110 token characters for names; values may not contain CR, LF or NUL.
_TOKEN = re.compile(rb"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(rb"[\r\n\x00]")

# wasmtime's DEFAULT_FORBIDDEN_HEADERS: connection-level headers the host owns.
FORBIDDEN = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
    "transfer-encoding", "upgrade", "host", "http2-settings",
})


class Fields:
    """An ordered multimap of lower-case names to byte values."""

    def __init__(self, entries: list[tuple[str, bytes]] | None = None, *, mutable: bool = True) -> None:
        self.entries: list[tuple[str, bytes]] = entries if entries is not None else []
        self.mutable = mutable

    def frozen_copy(self) -> Fields:
        """An immutable copy (what a request or response hands out as its headers)."""
        return Fields(list(self.entries), mutable=False)

    def get(self, name: str) -> list[bytes]:
        """Every value of `name`."""
        key = name.lower()
        return [v for n, v in self.entries if n == key]


def check(name: str, value: bytes | None = None) -> str | None:
    """The header-error case for a name (and value) the guest may not set, or None."""
    if not _TOKEN.match(name.encode("utf-8", errors="replace")):
        return "invalid-syntax"
    if value is not None and _BAD_VALUE.search(value):
        return "invalid-syntax"
    if name.lower() in FORBIDDEN:
        return "forbidden"
    return None


def _fields(ctx: HostContext, handle: Any) -> Fields:
    found: Fields = res.get(ctx, handle)
    return found


def _mutate(ctx: HostContext, handle: Any, name: str, values: list[bytes], change: Callable[[Fields, str], None]
            ) -> Variant:
    f = _fields(ctx, handle)
    if not f.mutable:
        return err(case("immutable"))
    problem = check(name) or next((p for v in values if (p := check(name, v)) is not None), None)
    if problem is not None:
        return err(case(problem))
    change(f, name.lower())
    return ok()


def constructor(ctx: HostContext) -> Any:
    return res.own(ctx, "fields", Fields())


def from_list(ctx: HostContext, entries: list[tuple[str, bytes]]) -> Variant:
    for name, value in entries:
        problem = check(name, bytes(value))
        if problem is not None:
            return err(case(problem))
    return ok(res.own(ctx, "fields", Fields([(n.lower(), bytes(v)) for n, v in entries])))


def get(ctx: HostContext, handle: Any, name: str) -> list[bytes]:
    return _fields(ctx, handle).get(name)


def has(ctx: HostContext, handle: Any, name: str) -> bool:
    return bool(_fields(ctx, handle).get(name))


def set_(ctx: HostContext, handle: Any, name: str, values: list[bytes]) -> Variant:
    def replace(f: Fields, key: str) -> None:
        f.entries = [(n, v) for n, v in f.entries if n != key] + [(key, bytes(v)) for v in values]

    return _mutate(ctx, handle, name, [bytes(v) for v in values], replace)


def delete(ctx: HostContext, handle: Any, name: str) -> Variant:
    def remove(f: Fields, key: str) -> None:
        f.entries = [(n, v) for n, v in f.entries if n != key]

    return _mutate(ctx, handle, name, [], remove)


def append(ctx: HostContext, handle: Any, name: str, value: bytes) -> Variant:
    return _mutate(ctx, handle, name, [bytes(value)], lambda f, key: f.entries.append((key, bytes(value))))


def entries(ctx: HostContext, handle: Any) -> list[tuple[str, bytes]]:
    return list(_fields(ctx, handle).entries)


def clone(ctx: HostContext, handle: Any) -> Any:
    return res.own(ctx, "fields", Fields(list(_fields(ctx, handle).entries)))  # a clone is always mutable


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "[constructor]fields": constructor,
    "[static]fields.from-list": from_list,
    "[method]fields.get": get,
    "[method]fields.has": has,
    "[method]fields.set": set_,
    "[method]fields.delete": delete,
    "[method]fields.append": append,
    "[method]fields.entries": entries,
    "[method]fields.clone": clone,
}
