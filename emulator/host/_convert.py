"""WIT <-> Python conversion for host functions: the one place that knows wasmtime-py's value shapes.

wasmtime-py 50 hands records over as `Record` objects with kebab-case attributes, all-unit variants as
`Variant(tag)`, enums as `str`, options as `None`/value and `list<u8>` as `bytes`.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from wasmtime.component import Record, Variant

from emulator.oplog.entries import Json


def record(**fields: Any) -> Record:
    """Build a wasmtime Record; Python keyword names map to kebab-case WIT field names."""
    r = Record()
    for name, value in fields.items():
        setattr(r, name.replace("_", "-"), value)
    return r


def field(value: Any, name: str) -> Any:
    """Read a WIT field by its kebab-case name."""
    return getattr(value, name)


def tag(value: Any) -> str:
    """The case name of a variant value (tagged or plain string enum)."""
    return value.tag if isinstance(value, Variant) else str(value)


def variant(case: str, payload: Any = None) -> Variant:
    """A tagged variant value."""
    return Variant(case, payload) if payload is not None else Variant(case)


# -- golem:api/host shapes ----------------------------------------------------------------------------------


def uuid_record(u: uuid.UUID) -> Record:
    """A golem `uuid` record from a Python UUID."""
    n = u.int
    return record(high_bits=n >> 64, low_bits=n & 0xFFFF_FFFF_FFFF_FFFF)


def uuid_from_record(r: Any) -> uuid.UUID:
    """A Python UUID from a golem `uuid` record."""
    return uuid.UUID(int=(field(r, "high-bits") << 64) | field(r, "low-bits"))


def uuid_json(r: Any) -> Json:
    """The oplog form of a golem `uuid` record."""
    return str(uuid_from_record(r))


def component_id(u: uuid.UUID) -> Record:
    """A `component-id` record."""
    return record(uuid=uuid_record(u))


def worker_id(component: uuid.UUID, name: str) -> Record:
    """A `worker-id` record."""
    return record(component_id=component_id(component), worker_name=name)


def worker_id_parts(r: Any) -> tuple[uuid.UUID, str]:
    """(component uuid, worker name) of a `worker-id` record."""
    return uuid_from_record(field(field(r, "component-id"), "uuid")), field(r, "worker-name")


def promise_id(component: uuid.UUID, name: str, index: int) -> Record:
    """A `promise-id` record."""
    return record(worker_id=worker_id(component, name), oplog_idx=index)


def retry_policy_json(r: Any) -> dict[str, Any]:
    """The oplog form of a `retry-policy` record."""
    return {
        "max_attempts": field(r, "max-attempts"),
        "min_delay_ns": field(r, "min-delay"),
        "max_delay_ns": field(r, "max-delay"),
        "multiplier": field(r, "multiplier"),
        # golem:api@0.2.x has no max-jitter-factor (the record ends at multiplier): no jitter then.
        "max_jitter_factor": getattr(r, "max-jitter-factor", None),
    }


def retry_policy_record(p: dict[str, Any]) -> Record:
    """A `retry-policy` record from its oplog form."""
    return record(
        max_attempts=p["max_attempts"],
        min_delay=p["min_delay_ns"],
        max_delay=p["max_delay_ns"],
        multiplier=float(p["multiplier"]),
        max_jitter_factor=p["max_jitter_factor"],
    )


def b64(data: bytes) -> str:
    """Bytes in the oplog's JSON: base64 text."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    """Inverse of b64."""
    return base64.b64decode(text)
