"""The orjson fast path of the codec writes exactly the json module's text, and reads back the same entries."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.oplog import batch_codec, codec
from emulator.oplog.entries import (
    READ_LOCAL,
    WRITE_REMOTE,
    DurableFunctionType,
    ImportedFunctionInvoked,
    Log,
    invoked,
    log,
)

pytest.importorskip("orjson")

_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
            | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(request=_values, response=_values)
def test_fast_and_plain_paths_agree(request: Any, response: Any) -> None:
    entry = ImportedFunctionInvoked(function_name="f", request=request, response=response,
                                    function_type=READ_LOCAL, timestamp=1)
    fast = codec.encode(entry)
    saved = codec.orjson
    codec.orjson = None  # type: ignore[assignment]
    try:
        plain = codec.encode(entry)
        plain_read = codec.decode(fast)
    finally:
        codec.orjson = saved
    assert fast == plain
    back = codec.decode(fast)
    assert isinstance(back, ImportedFunctionInvoked) and isinstance(plain_read, ImportedFunctionInvoked)
    assert _same(back.request, plain_read.request) and _same(back.response, plain_read.response)


_function_types = st.sampled_from([READ_LOCAL, WRITE_REMOTE, DurableFunctionType("write-remote-batched", 5)])
_entries = st.builds(
    lambda req, resp, name, ft, ts: ImportedFunctionInvoked(function_name=name, request=req, response=resp,
                                                            function_type=ft, timestamp=ts),
    _values, _values, st.text(max_size=8), _function_types, st.integers(min_value=0, max_value=2**70))


@settings(max_examples=400, deadline=None)
@given(st.lists(_entries | st.builds(lambda m: Log(level="stdout", context="", message=m, timestamp=3),
                                     st.text(max_size=20)), max_size=6))
def test_a_batch_encodes_as_each_entry_alone(entries: list[Any]) -> None:
    """encode_batch (one orjson call for a commit's entries) writes exactly what encode_external writes for
    each entry: strings that hold '"$' or look like an entry's start included."""
    assert batch_codec.encode_batch(entries) == [codec.encode_external(e) for e in entries]


def test_a_batch_with_a_payload_to_move_out_of_line() -> None:
    long = "x" * (codec.EXTERNAL_MIN_CHARS + 1)
    entries = [Log(level="stdout", context="", message="a", timestamp=1),
               ImportedFunctionInvoked(function_name="f", request=None, response={"ok": long},
                                       function_type=READ_LOCAL, timestamp=2),
               Log(level="stdout", context="", message=',{"$type":"log"}', timestamp=3)]
    batch = batch_codec.encode_batch(entries)
    assert batch == [codec.encode_external(e) for e in entries]
    assert batch[1][1] == [long.encode()]


def test_the_fast_constructors_build_the_same_entries() -> None:
    """entries.invoked and entries.log (the host-call hot path) make the dataclass's own entries."""
    fast = invoked("monotonic_clock::now", None, {"ok": 5}, READ_LOCAL)
    slow = ImportedFunctionInvoked(function_name="monotonic_clock::now", request=None, response={"ok": 5},
                                   function_type=READ_LOCAL, timestamp=fast.timestamp)
    assert fast == slow and codec.encode(fast) == codec.encode(slow)
    line = log("stdout", "", "hi")
    assert line == Log(level="stdout", context="", message="hi", timestamp=line.timestamp)
    with pytest.raises(ValueError, match="unknown log level"):
        log("loud", "", "hi")
