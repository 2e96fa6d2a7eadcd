"""Divergent guest: the nondeterminism guest's exports with the host calls in another order.

Replaying a `nondeterminism` worker's oplog with this component must fail with a nondeterminism
error: here the idempotency key is generated first, where the oplog recorded a clock read.
"""

import random
import time
import uuid

from wit_world import exports
from wit_world.exports.api import Reading
from wit_world.imports import host
from wit_world.imports.types import Uuid


def uuid_text(value: Uuid) -> str:
    """Format a golem uuid record the way Python prints a UUID."""
    return str(uuid.UUID(int=(value.high_bits << 64) | value.low_bits))


class Api(exports.Api):
    """emu:nondeterminism/api, reordered."""

    def sample(self) -> Reading:
        """Idempotency key first, then uuid4, time and random."""
        key = uuid_text(host.generate_idempotency_key())
        fresh = str(uuid.uuid4())
        now = time.time()
        rnd = random.random()
        return Reading(random=rnd, time=now, uuid=fresh, idempotency_key=key)

    def host_tour(self) -> str:
        """A shorter tour that starts with the call the original makes last."""
        lines = [f"generate-idempotency-key={uuid_text(host.generate_idempotency_key())}"]
        promise = host.create_promise()
        lines.append(f"create-promise={promise.oplog_idx}")
        host.delete_promise(promise)
        lines.append(f"get-oplog-index={host.get_oplog_index()}")
        return "\n".join(lines)
