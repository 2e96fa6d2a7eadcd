"""wasi:random random, insecure and insecure-seed, journaled so replay returns the same numbers."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

from emulator.host import _convert as cv
from emulator.host.context import HostContext
from emulator.oplog.entries import READ_LOCAL

_insecure = random.Random()


def _bytes(ctx: HostContext, name: str, length: int, source: Callable[[int], bytes]) -> bytes:
    return ctx.durability.call(
        name, READ_LOCAL, length, lambda: source(length), encode=cv.b64, decode=lambda j: cv.unb64(str(j)),
    )


def get_random_bytes(ctx: HostContext, length: int) -> bytes:
    return _bytes(ctx, "golem random::get_random_bytes", length, os.urandom)


def get_random_u64(ctx: HostContext) -> int:
    return int(ctx.durability.call(
        "golem random::get_random_u64", READ_LOCAL, None, lambda: int.from_bytes(os.urandom(8), "little"),
    ))


def get_insecure_random_bytes(ctx: HostContext, length: int) -> bytes:
    return _bytes(ctx, "golem random::insecure::get_insecure_random_bytes", length, _insecure.randbytes)


def get_insecure_random_u64(ctx: HostContext) -> int:
    return int(ctx.durability.call(
        "golem random::insecure::get_insecure_random_u64", READ_LOCAL, None, lambda: _insecure.getrandbits(64),
    ))


def insecure_seed(ctx: HostContext) -> tuple[int, int]:
    pair = ctx.durability.call(
        "golem random::insecure_seed::insecure_seed", READ_LOCAL, None,
        lambda: [_insecure.getrandbits(64), _insecure.getrandbits(64)],
    )
    return (int(pair[0]), int(pair[1]))


RANDOM: dict[str, Callable[..., Any]] = {
    "get-random-bytes": get_random_bytes, "get-random-u64": get_random_u64,
}
INSECURE: dict[str, Callable[..., Any]] = {
    "get-insecure-random-bytes": get_insecure_random_bytes,
    "get-insecure-random-u64": get_insecure_random_u64,
}
INSECURE_SEED: dict[str, Callable[..., Any]] = {"insecure-seed": insecure_seed}
