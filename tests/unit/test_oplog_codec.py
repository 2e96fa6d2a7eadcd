"""Entries and their codec: round trips, escaping, and clear errors on bad input."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.errors import OplogError
from emulator.oplog import (
    ENTRY_TYPES,
    HINT_KINDS,
    READ_LOCAL,
    WRITE_REMOTE,
    DurableFunctionType,
    OplogRegion,
    decode,
    encode,
    is_hint,
)
from emulator.oplog.entries import ChangeRetryPolicy, Create, ImportedFunctionInvoked, Jump, Log, NoOp, now_ms

ROOT = Path(__file__).resolve().parents[2]

KINDS = """create imported-function-invoked exported-function-invoked exported-function-completed suspend
error no-op jump interrupted exited change-retry-policy begin-atomic-region end-atomic-region
begin-remote-write end-remote-write pending-worker-invocation pending-update successful-update failed-update
log restart revert cancel-invocation change-persistence-level grow-memory create-resource drop-resource
describe-resource""".split()

# Keys that look like our markers are the interesting ones for the escaping.
json_keys = st.sampled_from(["$float", "$$", "$type", "-inf"]) | st.text(max_size=5)
json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_keys, inner, max_size=4),
    max_leaves=20,
)


def test_kinds_match_golem_names() -> None:
    assert sorted(ENTRY_TYPES) == sorted(KINDS)
    assert all(cls.kind == kind for kind, cls in ENTRY_TYPES.items())


def test_hints() -> None:
    assert HINT_KINDS <= set(KINDS)
    assert {"no-op", "jump", "change-persistence-level", "create"}.isdisjoint(HINT_KINDS)
    assert is_hint(Log(level="info", context="", message="x"))
    assert not is_hint(NoOp())
    assert not is_hint(Jump(start=2, end=3))


def test_region_is_inclusive() -> None:
    region = OplogRegion(3, 5)
    assert [i for i in range(1, 8) if region.contains(i)] == [3, 4, 5]


def test_timestamp_defaults_to_now() -> None:
    before = now_ms()
    entry = NoOp()
    assert before <= entry.timestamp <= now_ms()


def test_validation_of_enumerated_fields() -> None:
    with pytest.raises(ValueError, match="log level"):
        Log(level="loud", context="", message="")
    with pytest.raises(ValueError, match="begin_index"):
        DurableFunctionType("read-local", 3)
    with pytest.raises(ValueError, match="durable function type"):
        DurableFunctionType("write-everything")


@given(json_values, json_values)
def test_json_payloads_round_trip(request: Any, response: Any) -> None:
    entry = ImportedFunctionInvoked(
        function_name="f", request=request, response=response, function_type=WRITE_REMOTE
    )
    text = encode(entry)
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    back = decode(text)
    assert encode(back) == text  # NaN != NaN, so compare wire forms as well as values
    if "NaN" not in repr((request, response)) and "nan" not in repr((request, response)):
        assert back == entry


def test_decoded_function_types_are_shared_constants() -> None:
    entry = ImportedFunctionInvoked(function_name="f", request=None, response=None, function_type=READ_LOCAL)
    back = decode(encode(entry))
    assert isinstance(back, ImportedFunctionInvoked)
    assert back.function_type is READ_LOCAL


def test_tuples_come_back_as_tuples() -> None:
    entry = Create(worker_name="w", component="c", component_hash="0", args=("a",), env=(("K", "V"),))
    assert decode(encode(entry)) == entry
    assert decode(encode(entry).encode()) == entry  # bytes (a BLOB column) are accepted too


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"$type":"teleport","timestamp":1}', "unknown oplog entry type 'teleport'"),
        ('{"timestamp":1}', "unknown oplog entry type None"),
        ('{"$type":"jump","timestamp":1,"start":2}', r"missing fields \['end'\]"),
        ('{"$type":"no-op","timestamp":1,"extra":2}', r"unknown fields \['extra'\]"),
        ('{"$type":"log","timestamp":1,"level":"loud","context":"","message":""}', "log level"),
        ('{"$type":"create"', "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"$type":"no-op","timestamp":1,"x":{"$float":"lots"}}', "malformed no-op"),
    ],
)
def test_decode_errors_are_oplog_errors(text: str, message: str) -> None:
    with pytest.raises(OplogError, match=message):
        decode(text)


def test_bytes_are_refused_with_a_hint() -> None:
    entry = ImportedFunctionInvoked(
        function_name="f", request=b"raw", response=None, function_type=READ_LOCAL  # type: ignore[arg-type]
    )
    with pytest.raises(TypeError, match="base64"):
        encode(entry)


def test_non_finite_floats_outside_payloads() -> None:
    entry = ChangeRetryPolicy(
        max_attempts=1, min_delay_ns=1, max_delay_ns=2, multiplier=math.inf, max_jitter_factor=None
    )
    assert decode(encode(entry)) == entry


def test_oplog_imports_neither_wasmtime_nor_textual() -> None:
    code = (
        "import sys, emulator.oplog, emulator.errors\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('wasmtime', 'textual')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
