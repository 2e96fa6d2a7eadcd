"""The orjson fast path of the codec writes exactly the json module's text, and reads back the same entries."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.oplog import codec
from emulator.oplog.entries import READ_LOCAL, ImportedFunctionInvoked

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
