"""wasi:sockets, denied: a worker gets a network handle but can neither create sockets nor resolve names.

Golem lets workers open sockets without journaling them; the emulator keeps workers off the network except
through durable wasi:http. Socket creation and name lookup answer `access-denied`; the socket methods, which a
guest cannot reach without a socket, still answer as an unbound, unconnected socket would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from emulator.host import _resources as res
from emulator.host._shapes import err, ok
from emulator.host.context import HostContext
from emulator.host.io.objects import ReadyPollable


class Network:
    """A wasi:sockets `network`: the capability every socket operation is checked against."""


class Socket:
    """A tcp-socket or udp-socket that never binds or connects (none can be created; kept for completeness)."""

    def __init__(self, family: str) -> None:
        self.family = family


def _answer(value: Variant) -> Callable[..., Variant]:
    def method(ctx: HostContext, *args: Any) -> Variant:
        return value

    return method


def _pollable(ctx: HostContext, self: Any) -> Any:
    # Nothing will ever happen on these sockets, but a guest polling one must not hang.
    return res.own(ctx, "pollable", ReadyPollable())


def instance_network(ctx: HostContext) -> Any:
    """The worker's network handle (every use of it is denied)."""
    return res.own(ctx, "network", Network())


def network_error_code(ctx: HostContext, error: Any) -> str | None:
    """No wasi:io error comes from a socket here."""
    return None


def _address_family(ctx: HostContext, self: Any) -> str:
    sock = res.get(ctx, self)
    return sock.family if isinstance(sock, Socket) else "ipv4"


DENIED = err("access-denied")
UNSUPPORTED = err("not-supported")
NOT_IN_PROGRESS = err("not-in-progress")  # a finish-* without its start-*
INVALID_STATE = err("invalid-state")  # unbound, unconnected, not listening

# Socket options: a socket that cannot exist has no options to read or set.
_OPTIONS = ("receive-buffer-size", "send-buffer-size")
_TCP_OPTIONS = (*_OPTIONS, "keep-alive-enabled", "keep-alive-idle-time", "keep-alive-interval",
                "keep-alive-count", "hop-limit")


def _options(resource: str, names: tuple[str, ...]) -> dict[str, Callable[..., Any]]:
    table: dict[str, Callable[..., Any]] = {}
    for name in names:
        table[f"[method]{resource}.{name}"] = _answer(UNSUPPORTED)
        table[f"[method]{resource}.set-{name}"] = _answer(UNSUPPORTED)
    return table


NETWORK: dict[str, Callable[..., Any]] = {"network-error-code": network_error_code}
INSTANCE_NETWORK: dict[str, Callable[..., Any]] = {"instance-network": instance_network}
TCP_CREATE_SOCKET: dict[str, Callable[..., Any]] = {"create-tcp-socket": _answer(DENIED)}
UDP_CREATE_SOCKET: dict[str, Callable[..., Any]] = {"create-udp-socket": _answer(DENIED)}

TCP: dict[str, Callable[..., Any]] = {
    "[method]tcp-socket.start-bind": _answer(DENIED),
    "[method]tcp-socket.finish-bind": _answer(NOT_IN_PROGRESS),
    "[method]tcp-socket.start-connect": _answer(DENIED),
    "[method]tcp-socket.finish-connect": _answer(NOT_IN_PROGRESS),
    "[method]tcp-socket.start-listen": _answer(DENIED),
    "[method]tcp-socket.finish-listen": _answer(NOT_IN_PROGRESS),
    "[method]tcp-socket.accept": _answer(INVALID_STATE),
    "[method]tcp-socket.local-address": _answer(INVALID_STATE),
    "[method]tcp-socket.remote-address": _answer(INVALID_STATE),
    "[method]tcp-socket.is-listening": lambda ctx, self: False,
    "[method]tcp-socket.address-family": _address_family,
    "[method]tcp-socket.set-listen-backlog-size": _answer(UNSUPPORTED),
    **_options("tcp-socket", _TCP_OPTIONS),
    "[method]tcp-socket.subscribe": _pollable,
    "[method]tcp-socket.shutdown": _answer(INVALID_STATE),
}

UDP: dict[str, Callable[..., Any]] = {
    "[method]udp-socket.start-bind": _answer(DENIED),
    "[method]udp-socket.finish-bind": _answer(NOT_IN_PROGRESS),
    "[method]udp-socket.stream": _answer(INVALID_STATE),
    "[method]udp-socket.local-address": _answer(INVALID_STATE),
    "[method]udp-socket.remote-address": _answer(INVALID_STATE),
    "[method]udp-socket.address-family": _address_family,
    **_options("udp-socket", (*_OPTIONS, "unicast-hop-limit")),
    "[method]udp-socket.subscribe": _pollable,
    "[method]incoming-datagram-stream.receive": _answer(INVALID_STATE),
    "[method]incoming-datagram-stream.subscribe": _pollable,
    "[method]outgoing-datagram-stream.check-send": _answer(INVALID_STATE),
    "[method]outgoing-datagram-stream.send": _answer(INVALID_STATE),
    "[method]outgoing-datagram-stream.subscribe": _pollable,
}

IP_NAME_LOOKUP: dict[str, Callable[..., Any]] = {
    "resolve-addresses": _answer(DENIED),
    "[method]resolve-address-stream.resolve-next-address": lambda ctx, self: ok(None),
    "[method]resolve-address-stream.subscribe": _pollable,
}
