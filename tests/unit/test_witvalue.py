"""The oplog form of values a guest persists as they are (golem:durability value-and-type): no loss."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from wasmtime.component import Record, Variant

from emulator.host import _witvalue
from emulator.oplog.codec import decode, encode
from emulator.oplog.entries import WRITE_REMOTE, ImportedFunctionInvoked


def _record(fields: dict[str, Any]) -> Record:
    r = Record()
    for name, value in fields.items():
        setattr(r, name, value)
    return r


_leaves = (st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.floats(allow_nan=False)
           | st.text() | st.binary())
_names = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=8)
values = st.recursive(_leaves, lambda inner: (
    st.lists(inner, max_size=4)
    | st.tuples(inner, inner)
    | st.builds(Variant, _names, inner)
    | st.dictionaries(_names, inner, max_size=3).map(_record)
), max_leaves=12)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Record):
        return isinstance(b, Record) and vars(a).keys() == vars(b).keys() and all(
            _same(v, getattr(b, k)) for k, v in vars(a).items())
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, Variant):
        return isinstance(b, Variant) and a.tag == b.tag and _same(a.payload, b.payload)
    return type(a) is type(b) and a == b


@given(values)
def test_round_trip_through_an_oplog_entry(value: Any) -> None:
    entry = ImportedFunctionInvoked(function_name="lib:f", request=None,
                                    response={"ok": {"value-and-type": _witvalue.to_json(value)}},
                                    function_type=WRITE_REMOTE)
    back = decode(encode(entry))
    assert isinstance(back, ImportedFunctionInvoked)
    assert _same(_witvalue.from_json(back.response["ok"]["value-and-type"]), value)  # type: ignore[index,call-overload]
