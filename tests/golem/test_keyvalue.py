"""Golem's executor tests keyvalue.rs and blobstore.rs (v1.2.4): wasi:keyvalue 0.1.0 and wasi:blobstore.

As in Golem, bucket and container names are made unique per test from the component id and worker name.
Beside Golem's cases, a restart checks that the operations are journaled: the replay answers from the
oplog, not from the storage.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.oplog.entries import ImportedFunctionInvoked
from emulator.runtime.worker import Worker
from emulator.testing import Emulator
from tests.golem.conftest import component

API = "golem:it/api"
V123, V456, V789 = "[1, 2, 3]", "[4, 5, 6]", "[7, 8, 9]"


def _kv(emu: Emulator, worker: str) -> tuple[Worker, str]:
    w = emu.worker(worker, component("key-value-service"))
    return w, f'"{w.info.component_uuid}-{worker}-bucket"'


def _call(w: Worker, func: str, *args: str) -> str | None:
    return w.invoke(f"{API}.{{{func}}}", list(args)).response


# (golem test, calls after which the last result is checked, the expected last result)
READWRITE: list[tuple[str, list[tuple[str, list[str]]], str]] = [
    ("readwrite_get_returns_the_value_that_was_set",
     [("set", ['"key"', V123]), ("get", ['"key"'])], f"some({V123})"),
    ("readwrite_get_fails_if_the_value_was_not_set", [("get", ['"key"'])], "none"),
    ("readwrite_set_replaces_the_value_if_it_was_already_set",
     [("set", ['"key"', V123]), ("set", ['"key"', V456]), ("get", ['"key"'])], f"some({V456})"),
    ("readwrite_delete_removes_the_value_if_it_was_already_set",
     [("set", ['"key"', V123]), ("delete", ['"key"']), ("get", ['"key"'])], "none"),
    ("readwrite_exists_returns_true_if_the_value_was_set",
     [("set", ['"key"', V123]), ("exists", ['"key"'])], "true"),
    ("readwrite_exists_returns_false_if_the_value_was_not_set", [("exists", ['"key"'])], "false"),
    ("batch_get_many_gets_multiple_values",
     [("set", ['"key1"', V123]), ("set", ['"key2"', V456]), ("set", ['"key3"', V789]),
      ("get-many", ['["key1", "key2", "key3"]'])], f"some([{V123}, {V456}, {V789}])"),
    ("batch_get_many_fails_if_any_value_was_not_set",
     [("set", ['"key1"', V123]), ("set", ['"key2"', V456]), ("get-many", ['["key1", "key2", "key3"]'])], "none"),
    ("batch_set_many_sets_multiple_values",
     [("set-many", [f'[("key1", {V123}), ("key2", {V456}), ("key3", {V789})]']),
      ("get-many", ['["key1", "key2", "key3"]'])],
     f"some([{V123}, {V456}, {V789}])"),
    ("batch_delete_many_deletes_multiple_values",
     [("set", ['"key1"', V123]), ("set", ['"key2"', V456]), ("set", ['"key3"', V789]),
      ("delete-many", ['["key1", "key2", "key3"]']), ("get", ['"key1"'])], "none"),
    ("batch_get_keys_returns_multiple_keys",
     [("set", ['"key1"', V123]), ("set", ['"key2"', V456]), ("set", ['"key3"', V789]), ("get-keys", [])],
     '["key1", "key2", "key3"]'),
]


@pytest.mark.parametrize(("golem_test", "calls", "expected"), READWRITE, ids=[c[0] for c in READWRITE])
def test_keyvalue(emu: Emulator, golem_test: str, calls: list[tuple[str, list[str]]], expected: str) -> None:
    w, bucket = _kv(emu, "key-value-service-1")
    results = [_call(w, func, bucket, *args) for func, args in calls]
    assert results[-1] == expected


def test_batch_delete_many_deletes_every_key(emu: Emulator) -> None:
    """batch_delete_many_deletes_multiple_values checks all three keys are gone."""
    w, bucket = _kv(emu, "key-value-service-12")
    for key, value in (("key1", V123), ("key2", V456), ("key3", V789)):
        _call(w, "set", bucket, f'"{key}"', value)
    _call(w, "delete-many", bucket, '["key1", "key2", "key3"]')
    assert [_call(w, "get", bucket, f'"{k}"') for k in ("key1", "key2", "key3")] == ["none"] * 3


def test_readwrite_buckets_can_be_shared_between_workers(emu: Emulator) -> None:
    """readwrite_buckets_can_be_shared_between_workers: one worker sets, another gets."""
    first, _ = _kv(emu, "key-value-service-7")
    second, _ = _kv(emu, "key-value-service-8")
    bucket = f'"{first.info.component_uuid}-bucket"'
    _call(first, "set", bucket, '"key"', V123)
    assert _call(second, "get", bucket, '"key"') == f"some({V123})"


def test_keyvalue_operations_replay_from_the_oplog(data_dir: Path) -> None:
    """Durable as Golem: set is a journaled WriteRemote, get a ReadRemote; after another worker changes the
    value, recovering the first worker replays the recorded answer instead of reading the new one."""
    with Emulator(data_dir) as emu:
        w, bucket = _kv(emu, "kv-replay")
        _call(w, "set", bucket, '"key"', V123)
        assert _call(w, "get", bucket, '"key"') == f"some({V123})"
        other, _ = _kv(emu, "kv-other")
        _call(other, "set", bucket, '"key"', V456)
        names = [e.function_name for _, e in emu.oplog("kv-replay") if isinstance(e, ImportedFunctionInvoked)]
        assert "golem keyvalue::eventual::set" in names and "golem keyvalue::eventual::get" in names
    with Emulator(data_dir) as emu:
        w, bucket = _kv(emu, "kv-replay")
        assert w.recover() != {}  # replayed: the recorded get answered [1, 2, 3]; nothing diverged
        assert _call(w, "get", bucket, '"key"') == f"some({V456})"  # live again: the current value


# -- blobstore.rs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("golem_test", "create", "expected"), [
    ("blobstore_exists_return_true_if_the_container_was_created", True, "true"),
    ("blobstore_exists_return_false_if_the_container_was_not_created", False, "false"),
])
def test_blobstore_container_exists(emu: Emulator, golem_test: str, create: bool, expected: str) -> None:
    w = emu.worker("blob-store-service-1", component("blob-store-service"))
    container = f'"{w.info.component_uuid}-blob-store-service-1-container"'
    if create:
        _call(w, "create-container", container)
    assert _call(w, "container-exists", container) == expected
