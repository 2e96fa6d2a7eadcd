"""A small, deterministic oplog that exercises every bracket and highlight the TUI draws (shared with CLI tests)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from emulator.oplog.entries import (
    READ_LOCAL,
    WRITE_REMOTE,
    BeginAtomicRegion,
    BeginRemoteWrite,
    ChangePersistenceLevel,
    ChangeRetryPolicy,
    Create,
    DurableFunctionType,
    EndAtomicRegion,
    EndRemoteWrite,
    Error,
    ExportedFunctionCompleted,
    ExportedFunctionInvoked,
    ImportedFunctionInvoked,
    Jump,
    Log,
    NoOp,
    OplogEntry,
)
from emulator.oplog.store import SqliteStore

BASE_MS = 1_700_000_000_000
FROZEN_NOW = BASE_MS / 1000 + 90.0  # 90 s after the first entry


def _now(n: int) -> ImportedFunctionInvoked:
    return ImportedFunctionInvoked(function_name="wasi:clocks/wall-clock::now", request=None,
                                   response={"ok": {"seconds": 1_700_000_000 + n, "nanoseconds": 5}},
                                   function_type=READ_LOCAL)


def sample_entries() -> list[OplogEntry]:
    """Index 2 onwards of worker ``shop``: three invocations, every region kind, a Jump, trailing errors."""
    body: list[OplogEntry] = [
        ExportedFunctionInvoked(function_name="shop:cart/api.{add}", request=('"sku-1"', "5"), idempotency_key="k1"),
        _now(3),                                                                         # 3
        Log(level="stdout", context="", message="adding [bold]5[/bold] items\n"),       # 4
        BeginAtomicRegion(),                                                             # 5
        ImportedFunctionInvoked(function_name="golem:kv/store::set", request=["carts", "u1", 5],
                                response={"ok": None}, function_type=WRITE_REMOTE),      # 6
        EndAtomicRegion(begin_index=5),                                                  # 7
        BeginRemoteWrite(),                                                              # 8
        ImportedFunctionInvoked(function_name="wasi:http/outgoing-handler::handle",
                                request={"method": "POST", "uri": "https://pay.example/charge"},
                                response={"ok": {"status": 200}},
                                function_type=DurableFunctionType("write-remote-batched")),  # 9
        ImportedFunctionInvoked(function_name="wasi:http/types::incoming-body-read", request=[4096],
                                response={"ok": "eyJwYWlkIjp0cnVlfQ=="},
                                function_type=DurableFunctionType("write-remote-batched", 8)),  # 10
        EndRemoteWrite(begin_index=8),                                                   # 11
        ExportedFunctionCompleted(response='{items: ["sku-1"], total: 5}'),             # 12
        ExportedFunctionInvoked(function_name="shop:cart/api.{wait}", request=(), idempotency_key="k2"),  # 13
        NoOp(),                                                                          # 14 (a promise)
        ChangePersistenceLevel(level="persist-nothing"),                                 # 15
        _now(16),                                                                        # 16
        ChangePersistenceLevel(level="smart"),                                           # 17
        Jump(start=16, end=18),                                                          # 18
        _now(19),                                                                        # 19
        ExportedFunctionCompleted(response="14"),                                        # 20
        ExportedFunctionInvoked(function_name="shop:cart/api.{pay}", request=("100",), idempotency_key="k3"),
        ChangeRetryPolicy(max_attempts=3, min_delay_ns=100_000_000, max_delay_ns=2_000_000_000, multiplier=2.0,
                          max_jitter_factor=None),                                       # 22
        Error(error="guest trapped: payment service timed out"),                         # 23
        Log(level="stderr", context="pay", message="retrying\n"),                       # 24
        Error(error="guest trapped: payment service timed out again"),                   # 25
    ]
    return [dataclasses.replace(e, timestamp=BASE_MS + 137 * (n + 1)) for n, e in enumerate(body)]


def build_sample(path: Path) -> None:
    """Workers ``shop`` (the sample above, promise #14 pending) and ``idle`` (one finished call)."""
    with SqliteStore(path) as store:
        store.create_worker("shop", Create(worker_name="shop", component="shop", component_hash="cd" * 32,
                                           env=(("REGION", "eu"),), args=("--fast",), timestamp=BASE_MS))
        store.append("shop", 2, sample_entries())
        store.create_promise("shop", 14)
        store.create_worker("idle", Create(worker_name="idle", component="counter", component_hash="ef" * 32,
                                           timestamp=BASE_MS + 5000))
        store.append("idle", 2, [
            ExportedFunctionInvoked(function_name="emu:counter/api.{increment}", request=(), idempotency_key="i1",
                                    timestamp=BASE_MS + 5001),
            ExportedFunctionCompleted(response="1", timestamp=BASE_MS + 5002),
        ])
