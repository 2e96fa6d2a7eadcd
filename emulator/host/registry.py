"""Which host module serves which WIT interface (keyed by name without version)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

SERVER_SIDE = "wasi:http server-side resources (incoming-request, outgoing-response, response-outparam)"


@dataclass(frozen=True)
class HostInterface:
    """The functions we serve for one WIT interface; the rest trap with `later`'s feature name."""

    functions: dict[str, Callable[..., Any]]
    later: str | None = None


# Each interface: the (module under emulator.host, table) pairs that serve it and its `later` feature name.
# Modules are imported when a component first needs the interface: a command that runs no guest, or a guest
# without wasi:http, never imports the HTTP stack (urllib3 and friends).
_SOURCES: dict[str, tuple[tuple[tuple[str, str], ...], str | None]] = {
    "golem:api/host": ((("golem.host", "FUNCTIONS"), ("golem.workers", "FUNCTIONS")), None),
    "golem:rpc/types": ((), "golem:rpc worker-to-worker calls"),
    "golem:api/oplog": ((("golem.oplog", "FUNCTIONS"),), None),
    "golem:api/context": ((), "golem:api/context (invocation context spans)"),
    "golem:durability/durability": ((("golem.durability", "FUNCTIONS"),), None),
    # Our own WASI (Runtime(wasi="golem")): wasi:io, clocks, random, cli and logging.
    "wasi:io/poll": ((("io.interfaces", "POLL_FUNCTIONS"),), None),
    "wasi:io/error": ((("io.interfaces", "ERROR_FUNCTIONS"),), None),
    "wasi:io/streams": ((("io.interfaces", "STREAMS_FUNCTIONS"),), None),
    "wasi:clocks/wall-clock": ((("clocks.interfaces", "WALL_CLOCK"),), None),
    "wasi:clocks/monotonic-clock": ((("clocks.interfaces", "MONOTONIC_CLOCK_FULL"),), None),
    "wasi:random/random": ((("random.interfaces", "RANDOM"),), None),
    "wasi:random/insecure": ((("random.interfaces", "INSECURE"),), None),
    "wasi:random/insecure-seed": ((("random.interfaces", "INSECURE_SEED"),), None),
    "wasi:cli/environment": ((("cli.interfaces", "ENVIRONMENT"),), None),
    "wasi:cli/exit": ((("cli.interfaces", "EXIT"),), None),
    "wasi:cli/stdin": ((("cli.interfaces", "STDIN"),), None),
    "wasi:cli/stdout": ((("cli.interfaces", "STDOUT"),), None),
    "wasi:cli/stderr": ((("cli.interfaces", "STDERR"),), None),
    "wasi:cli/terminal-input": ((), None),
    "wasi:cli/terminal-output": ((), None),
    "wasi:cli/terminal-stdin": ((("cli.interfaces", "TERMINAL_STDIN"),), None),
    "wasi:cli/terminal-stdout": ((("cli.interfaces", "TERMINAL_STDOUT"),), None),
    "wasi:cli/terminal-stderr": ((("cli.interfaces", "TERMINAL_STDERR"),), None),
    "wasi:logging/logging": ((("logging.interfaces", "LOGGING"),), None),
    # wasi:filesystem over the worker's sandbox directory; wasi:sockets denied.
    "wasi:filesystem/types": ((("filesystem.interfaces", "TYPES"),), None),
    "wasi:filesystem/preopens": ((("filesystem.preopens", "PREOPENS"),), None),
    "wasi:sockets/network": ((("sockets.interfaces", "NETWORK"),), None),
    "wasi:sockets/instance-network": ((("sockets.interfaces", "INSTANCE_NETWORK"),), None),
    "wasi:sockets/tcp": ((("sockets.interfaces", "TCP"),), None),
    "wasi:sockets/tcp-create-socket": ((("sockets.interfaces", "TCP_CREATE_SOCKET"),), None),
    "wasi:sockets/udp": ((("sockets.interfaces", "UDP"),), None),
    "wasi:sockets/udp-create-socket": ((("sockets.interfaces", "UDP_CREATE_SOCKET"),), None),
    "wasi:sockets/ip-name-lookup": ((("sockets.interfaces", "IP_NAME_LOOKUP"),), None),
    # wasi:keyvalue 0.1.0 and wasi:blobstore over the data directory's shared storage, journaled as Golem does.
    "wasi:keyvalue/types": ((("keyvalue.interfaces", "TYPES"),), "wasi:keyvalue asynchronous value bodies"),
    "wasi:keyvalue/wasi-keyvalue-error": ((("keyvalue.interfaces", "ERROR"),), None),
    "wasi:keyvalue/eventual": ((("keyvalue.interfaces", "EVENTUAL_FUNCTIONS"),), None),
    "wasi:keyvalue/eventual-batch": ((("keyvalue.interfaces", "BATCH_FUNCTIONS"),), None),
    "wasi:blobstore/types": ((("blobstore.interfaces", "TYPES"),), "wasi:blobstore object data streams"),
    "wasi:blobstore/blobstore": ((("blobstore.interfaces", "BLOBSTORE_FUNCTIONS"),), None),
    "wasi:blobstore/container": ((("blobstore.interfaces", "CONTAINER_FUNCTIONS"),),
                                 "wasi:blobstore object name streams"),
    # wasi:http client side, durable as Golem's (semantics §6.1); the server side serves golem:http/incoming-handler.
    "wasi:http/types": ((("http.interfaces", "TYPES"),), SERVER_SIDE),
    "wasi:http/outgoing-handler": ((("http.interfaces", "OUTGOING_HANDLER"),), None),
}


class _LazyInterfaces(Mapping[str, HostInterface]):
    """HOST_INTERFACES: every interface name is known at once, its functions are imported on first use."""

    def __init__(self) -> None:
        self._built: dict[str, HostInterface] = {}

    def __getitem__(self, name: str) -> HostInterface:
        built = self._built.get(name)
        if built is None:
            sources, later = _SOURCES[name]
            functions: dict[str, Callable[..., Any]] = {}
            for module, table in sources:
                functions.update(getattr(importlib.import_module(f"emulator.host.{module}"), table))
            built = self._built[name] = HostInterface(functions, later)
        return built

    def __contains__(self, name: object) -> bool:
        return name in _SOURCES

    def __iter__(self) -> Iterator[str]:
        return iter(_SOURCES)

    def __len__(self) -> int:
        return len(_SOURCES)


HOST_INTERFACES: Mapping[str, HostInterface] = _LazyInterfaces()

# With wasmtime's built-in WASI (the benchmark baseline) these functions are shadowed so they are journaled.
_SHADOWS = {
    "wasi:clocks/wall-clock": ("clocks.interfaces", "WALL_CLOCK"),
    "wasi:clocks/monotonic-clock": ("clocks.interfaces", "MONOTONIC_CLOCK"),
    "wasi:random/random": ("random.interfaces", "RANDOM"),
    "wasi:random/insecure": ("random.interfaces", "INSECURE"),
    "wasi:random/insecure-seed": ("random.interfaces", "INSECURE_SEED"),
}


def wasi_shadows() -> dict[str, dict[str, Callable[..., Any]]]:
    """The functions shadowed over wasmtime's built-in WASI, by interface name."""
    return {name: getattr(importlib.import_module(f"emulator.host.{module}"), table)
            for name, (module, table) in _SHADOWS.items()}
