"""Which host module serves which WIT interface (keyed by name without version)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.host import golem_host, golem_workers, wasi_clocks, wasi_random


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
}

# With wasmtime's built-in WASI (the benchmark baseline) these functions are shadowed so they are journaled.
WASI_SHADOWS: dict[str, dict[str, Callable[..., Any]]] = {
    "wasi:clocks/wall-clock": wasi_clocks.WALL_CLOCK,
    "wasi:clocks/monotonic-clock": wasi_clocks.MONOTONIC_CLOCK,
    "wasi:random/random": wasi_random.RANDOM,
    "wasi:random/insecure": wasi_random.INSECURE,
    "wasi:random/insecure-seed": wasi_random.INSECURE_SEED,
}
