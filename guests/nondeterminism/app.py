"""Nondeterminism guest (golem:api/host@1.1.7): reads every nondeterministic source a Python guest has.

On replay each value must come back from the oplog, so a replayed `sample` equals the original one.
The `divergent` guest exports the same functions but makes the host calls in another order.
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


def tour() -> list[str]:
    """Call a round of host functions in a fixed order; one "name=value" line per call."""
    lines = [f"get-oplog-index={host.get_oplog_index()}"]
    meta = host.get_self_metadata()
    lines.append(f"get-self-metadata={meta.worker_id.worker_name} {meta.status.name.lower()}")
    policy = host.get_retry_policy()
    lines.append(f"get-retry-policy={policy.max_attempts} {policy.min_delay} {policy.max_delay}")
    host.set_retry_policy(
        host.RetryPolicy(
            max_attempts=policy.max_attempts + 1,
            min_delay=policy.min_delay,
            max_delay=policy.max_delay,
            multiplier=policy.multiplier,
            max_jitter_factor=policy.max_jitter_factor,
        )
    )
    lines.append(f"set-retry-policy={host.get_retry_policy().max_attempts}")
    host.set_retry_policy(policy)
    level = type(host.get_oplog_persistence_level()).__name__.removeprefix("PersistenceLevel_")
    lines.append(f"get-oplog-persistence-level={level}")
    lines.append(f"get-idempotence-mode={host.get_idempotence_mode()}")
    promise = host.create_promise()
    lines.append(f"create-promise={promise.oplog_idx}")
    lines.append(f"complete-promise={host.complete_promise(promise, b'tour')}")
    lines.append(f"poll-promise={host.poll_promise(promise)!r}")
    host.delete_promise(promise)
    begin = host.mark_begin_operation()
    host.mark_end_operation(begin)
    lines.append(f"mark-begin-operation={begin}")
    lines.append(f"generate-idempotency-key={uuid_text(host.generate_idempotency_key())}")
    return lines


class Api(exports.Api):
    """emu:nondeterminism/api."""

    def sample(self) -> Reading:
        """Random float, wall-clock time, a uuid4, then a host idempotency key, in that order."""
        rnd = random.random()
        now = time.time()
        fresh = str(uuid.uuid4())
        key = uuid_text(host.generate_idempotency_key())
        return Reading(random=rnd, time=now, uuid=fresh, idempotency_key=key)

    def host_tour(self) -> str:
        """Run the tour and return its lines."""
        return "\n".join(tour())
