"""Which host module serves which WIT interface (keyed by name without version)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.host.cli import interfaces as wasi_cli
from emulator.host.clocks import interfaces as wasi_clocks
from emulator.host.filesystem import interfaces as wasi_filesystem
from emulator.host.golem import host as golem_host
from emulator.host.golem import workers as golem_workers
from emulator.host.http import interfaces as wasi_http
from emulator.host.io import interfaces as wasi_io
from emulator.host.logging import interfaces as wasi_logging
from emulator.host.random import interfaces as wasi_random
from emulator.host.sockets import interfaces as wasi_sockets


@dataclass(frozen=True)
class HostInterface:
    """The functions we serve for one WIT interface; the rest trap with `later`'s feature name."""

    functions: dict[str, Callable[..., Any]]
    later: str | None = None


HOST_INTERFACES: dict[str, HostInterface] = {
    "golem:api/host": HostInterface({**golem_host.FUNCTIONS, **golem_workers.FUNCTIONS}),
    "golem:rpc/types": HostInterface({}, later="golem:rpc worker-to-worker calls"),
    "golem:api/oplog": HostInterface({}, later="golem:api/oplog (reading the oplog from a guest)"),
    "golem:api/context": HostInterface({}, later="golem:api/context (invocation context spans)"),
    "golem:durability/durability": HostInterface({}, later="golem:durability (guest-defined durable functions)"),
    # Our own WASI (Runtime(wasi="golem")): wasi:io, clocks, random, cli and logging.
    "wasi:io/poll": HostInterface(wasi_io.POLL_FUNCTIONS),
    "wasi:io/error": HostInterface(wasi_io.ERROR_FUNCTIONS),
    "wasi:io/streams": HostInterface(wasi_io.STREAMS_FUNCTIONS),
    "wasi:clocks/wall-clock": HostInterface(wasi_clocks.WALL_CLOCK),
    "wasi:clocks/monotonic-clock": HostInterface(wasi_clocks.MONOTONIC_CLOCK_FULL),
    "wasi:random/random": HostInterface(wasi_random.RANDOM),
    "wasi:random/insecure": HostInterface(wasi_random.INSECURE),
    "wasi:random/insecure-seed": HostInterface(wasi_random.INSECURE_SEED),
    "wasi:cli/environment": HostInterface(wasi_cli.ENVIRONMENT),
    "wasi:cli/exit": HostInterface(wasi_cli.EXIT),
    "wasi:cli/stdin": HostInterface(wasi_cli.STDIN),
    "wasi:cli/stdout": HostInterface(wasi_cli.STDOUT),
    "wasi:cli/stderr": HostInterface(wasi_cli.STDERR),
    "wasi:cli/terminal-input": HostInterface({}),
    "wasi:cli/terminal-output": HostInterface({}),
    "wasi:cli/terminal-stdin": HostInterface(wasi_cli.TERMINAL_STDIN),
    "wasi:cli/terminal-stdout": HostInterface(wasi_cli.TERMINAL_STDOUT),
    "wasi:cli/terminal-stderr": HostInterface(wasi_cli.TERMINAL_STDERR),
    "wasi:logging/logging": HostInterface(wasi_logging.LOGGING),
    # wasi:filesystem over the worker's sandbox directory; wasi:sockets denied.
    "wasi:filesystem/types": HostInterface(wasi_filesystem.TYPES),
    "wasi:filesystem/preopens": HostInterface(wasi_filesystem.PREOPENS),
    "wasi:sockets/network": HostInterface(wasi_sockets.NETWORK),
    "wasi:sockets/instance-network": HostInterface(wasi_sockets.INSTANCE_NETWORK),
    "wasi:sockets/tcp": HostInterface(wasi_sockets.TCP),
    "wasi:sockets/tcp-create-socket": HostInterface(wasi_sockets.TCP_CREATE_SOCKET),
    "wasi:sockets/udp": HostInterface(wasi_sockets.UDP),
    "wasi:sockets/udp-create-socket": HostInterface(wasi_sockets.UDP_CREATE_SOCKET),
    "wasi:sockets/ip-name-lookup": HostInterface(wasi_sockets.IP_NAME_LOOKUP),
    # wasi:http client side, durable as Golem's (semantics §6.1); serving HTTP traps as not supported.
    "wasi:http/types": HostInterface(wasi_http.TYPES, later=wasi_http.SERVER_SIDE),
    "wasi:http/outgoing-handler": HostInterface(wasi_http.OUTGOING_HANDLER),
}

# With wasmtime's built-in WASI (the benchmark baseline) these functions are shadowed so they are journaled.
WASI_SHADOWS: dict[str, dict[str, Callable[..., Any]]] = {
    "wasi:clocks/wall-clock": wasi_clocks.WALL_CLOCK,
    "wasi:clocks/monotonic-clock": wasi_clocks.MONOTONIC_CLOCK,
    "wasi:random/random": wasi_random.RANDOM,
    "wasi:random/insecure": wasi_random.INSECURE,
    "wasi:random/insecure-seed": wasi_random.INSECURE_SEED,
}
