"""Golden oplog files: the wire format of every entry kind is pinned by a file that is never edited."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from emulator.oplog import ENTRY_TYPES, OplogEntry, decode, encode
from emulator.oplog.entries import (
    READ_LOCAL,
    BeginAtomicRegion,
    BeginRemoteWrite,
    CancelInvocation,
    ChangePersistenceLevel,
    ChangeRetryPolicy,
    Create,
    CreateResource,
    DescribeResource,
    DropResource,
    DurableFunctionType,
    EndAtomicRegion,
    EndRemoteWrite,
    Error,
    Exited,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    FailedUpdate,
    GrowMemory,
    ImportedFunctionInvoked,
    Interrupted,
    Jump,
    Log,
    NoOp,
    PendingUpdate,
    PendingWorkerInvocation,
    Restart,
    Revert,
    SuccessfulUpdate,
    Suspend,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
TS = 1_717_000_000_123  # fixed: the files must not depend on the clock
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

# One representative entry per kind. The golden files were generated once from these; if a test here fails,
# the wire format changed: fix the code (or add a migration), never the files.
SAMPLES: dict[str, OplogEntry] = {
    e.kind: e
    for e in (
        Create(
            timestamp=TS, worker_name="counter-1", component="guests/build/counter.wasm", component_hash=HASH,
            component_version=2, args=("--verbose", "ünïcode"), env=(("A", "1"), ("LANG", "C")),
            semantics="golem-1.2", parent="parent-worker",
        ),
        ImportedFunctionInvoked(
            timestamp=TS, function_name="wasi:clocks/wall-clock::now", request=None,
            response={"ok": {"seconds": 1717000000, "nanoseconds": 123000000}}, function_type=READ_LOCAL,
        ),
        ExportedFunctionInvoked(
            timestamp=TS, function_name="pkg:counter/api.{add}", request=("5", '"a \\"quoted\\" string"'),
            idempotency_key="5d0c4bb4-8d2e-4bd4-a0c2-2d1d7c3a6f11",
        ),
        ExportedFunctionCompleted(
            timestamp=TS, response="{count: 5, label: some(\"x\")}", consumed_fuel=1234
        ),
        Suspend(timestamp=TS),
        Error(
            timestamp=TS, error="guest trapped: unreachable executed", retriable=True, error_kind="unknown"
        ),
        NoOp(timestamp=TS),
        Jump(timestamp=TS, start=5, end=9),
        Interrupted(timestamp=TS),
        Exited(timestamp=TS),
        ChangeRetryPolicy(
            timestamp=TS, max_attempts=3, min_delay_ns=100_000_000, max_delay_ns=1_000_000_000,
            multiplier=3.0, max_jitter_factor=0.15,
        ),
        BeginAtomicRegion(timestamp=TS),
        EndAtomicRegion(timestamp=TS, begin_index=4),
        BeginRemoteWrite(timestamp=TS),
        EndRemoteWrite(timestamp=TS, begin_index=6),
        PendingWorkerInvocation(
            timestamp=TS, function_name="pkg:counter/api.{get}", request=(), idempotency_key="key-2",
        ),
        PendingUpdate(
            timestamp=TS, target_component="guests/build/counter-v2.wasm", target_hash=HASH, mode="snapshot",
            payload_b64="AAECAw==",
        ),
        SuccessfulUpdate(timestamp=TS, target_component="guests/build/counter-v2.wasm", target_hash=HASH),
        FailedUpdate(timestamp=TS, target_hash=HASH, details="load-snapshot returned err(\"bad\")"),
        Log(timestamp=TS, level="stdout", context="", message="hello\n"),
        Restart(timestamp=TS),
        Revert(timestamp=TS, start=10, end=20),
        CancelInvocation(timestamp=TS, idempotency_key="key-3"),
        ChangePersistenceLevel(timestamp=TS, level="persist-nothing"),
        GrowMemory(timestamp=TS, delta=65536),
        CreateResource(timestamp=TS, id=1),
        DropResource(timestamp=TS, id=1),
        DescribeResource(timestamp=TS, id=1, resource_name="counter", resource_params=('"counter1"',)),
    )
}

# Escaping of values JSON cannot hold, and of payload keys that look like our markers.
SPECIAL = ImportedFunctionInvoked(
    timestamp=TS, function_name="golem:rpc/wasm-rpc.invoke-and-await", request=[1.5, -0.0, {"$type": "user"}],
    response={"ok": {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "$float": "nan", "$$": [True]}},
    function_type=DurableFunctionType("write-remote-batched", 3),
)


def _golden(path: Path) -> str:
    return path.read_text(encoding="utf-8").removesuffix("\n")


def test_every_kind_has_a_sample_and_a_file() -> None:
    assert set(SAMPLES) == set(ENTRY_TYPES)
    files = {p.stem for p in (GOLDEN / "entries").glob("*.json")}
    assert files == set(ENTRY_TYPES)


@pytest.mark.parametrize("kind", sorted(ENTRY_TYPES))
def test_golden_entry(kind: str) -> None:
    text = _golden(GOLDEN / "entries" / f"{kind}.json")
    assert encode(SAMPLES[kind]) == text
    assert decode(text) == SAMPLES[kind]


def test_golden_special_values() -> None:
    text = _golden(GOLDEN / "codec" / "special-values.json")
    assert encode(SPECIAL) == text
    back = decode(text)
    assert isinstance(back, ImportedFunctionInvoked)
    assert back.function_type == DurableFunctionType("write-remote-batched", 3)
    assert encode(back) == text
    assert isinstance(back.response, dict)
    ok = back.response["ok"]
    assert isinstance(ok, dict)
    assert ok["nan"] != ok["nan"] and ok["inf"] == math.inf and ok["-inf"] == -math.inf
    assert ok["$float"] == "nan" and ok["$$"] == [True]
    assert back.request == [1.5, -0.0, {"$type": "user"}]
    assert str(back.request[1]) == "-0.0"
