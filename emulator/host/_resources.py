"""Host resources: one type id per resource name, and a per-instance table from handle to Python object.

A resource such as wasi:io `pollable` is re-exported by every interface that `use`s it; wasmtime checks that
each re-export is the same type, so the id depends only on the resource's name.
"""

from __future__ import annotations

import zlib
from typing import Any

from wasmtime.component import ResourceAny, ResourceHost

from emulator.host.context import HostContext

# Names under which an interface re-exports another resource (`use wasi:io/error.{error as io-error}`,
# `type headers = fields`): wasmtime requires them to be the very same type.
_ALIASES = {"io-error": "error", "headers": "fields", "trailers": "fields"}


def type_id(name: str) -> int:
    """The host resource-type id of the resource called `name` (stable across processes)."""
    return zlib.crc32(_ALIASES.get(name, name).encode()) & 0x7FFF_FFFF


def own(ctx: HostContext, name: str, obj: Any) -> ResourceHost:
    """Hand a new `own<name>` handle for `obj` to the guest."""
    return ResourceHost.own(ctx.new_resource(obj), type_id(name))


def get(ctx: HostContext, handle: Any) -> Any:
    """The Python object behind a handle the guest passed in (own or borrow)."""
    rep = handle.to_host(ctx.call_store).rep if isinstance(handle, ResourceAny) else handle.rep
    return ctx.resources[rep]


def take(ctx: HostContext, handle: Any) -> Any:
    """Like get, for an `own` handle whose object the host now consumes (no drop will come for it)."""
    rep = handle.to_host(ctx.call_store).rep if isinstance(handle, ResourceAny) else handle.rep
    return ctx.resources.pop(rep)
