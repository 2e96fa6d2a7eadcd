"""Host values <-> oplog JSON without loss, for values a guest hands over to be persisted as they are
(golem:durability's value-and-type), and the wit-value a guest reads back from golem:api/oplog.

Host values are in the canonical form of `_shapes` (Record, Variant(tag, payload), None/value options,
lists, tuples, bytes and primitives). JSON keeps each kind apart with a one-key object where plain JSON
would be ambiguous: {"record": {...}}, {"case": tag, "value": ...}, {"tuple": [...]}, {"bytes": base64}.
"""

from __future__ import annotations

import json
from typing import Any

from wasmtime.component import Record, Variant

from emulator.host import _convert as cv
from emulator.oplog.entries import Json


def to_json(value: Any) -> Json:
    """The lossless oplog form of a canonical host value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes | bytearray):
        return {"bytes": cv.b64(bytes(value))}
    if isinstance(value, Variant):
        return {"case": value.tag, "value": to_json(value.payload)}
    if isinstance(value, Record):
        return {"record": {name: to_json(v) for name, v in vars(value).items()}}
    if isinstance(value, tuple):
        return {"tuple": [to_json(v) for v in value]}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    raise TypeError(f"cannot persist a host value of type {type(value).__name__}")


def from_json(data: Json) -> Any:
    """Inverse of to_json."""
    if isinstance(data, list):
        return [from_json(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "record" in data:
        fields = data["record"]
        assert isinstance(fields, dict)
        r = Record()
        for name, v in fields.items():
            setattr(r, name, from_json(v))
        return r
    if "case" in data:
        return Variant(str(data["case"]), from_json(data.get("value")))
    if "tuple" in data:
        items = data["tuple"]
        assert isinstance(items, list)
        return tuple(from_json(v) for v in items)
    if "bytes" in data:
        return cv.unb64(str(data["bytes"]))
    raise ValueError(f"not a persisted host value: {data!r}")


def string_wit_value(data: Json) -> Record:
    """A golem:rpc `wit-value` holding `data` as JSON text (a string node), for entries we journal as JSON."""
    text = data if isinstance(data, str) else json.dumps(data, sort_keys=True)
    return cv.record(nodes=[Variant("prim-string", text)])


def wit_value_of(data: Json) -> Record:
    """The wit-value to show for a persisted request or response: the guest's own value where it gave one
    (a persisted value-and-type), its JSON text otherwise."""
    if isinstance(data, dict) and set(data) == {"value-and-type"}:
        return cv.field(from_json(data["value-and-type"]), "value")  # type: ignore[no-any-return]
    return string_wit_value(data)
