"""Component-level environment: versions by (wasm, env), and how a worker's env is composed over it."""

from __future__ import annotations

from pathlib import Path

from emulator.lifecycle.environment import merge_env
from emulator.oplog.store import SqliteStore


def test_the_same_wasm_with_another_env_is_a_new_version(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "oplog.db") as store:
        assert store.register_component("c", "h1", [("FOO", "bar")]) == 0
        assert store.register_component("c", "h1", [("FOO", "bar")]) == 0  # the same version again
        assert store.register_component("c", "h1", [("BAR", "baz")]) == 1
        assert store.register_component("c", "h1") == 1  # no env given: the latest version of that wasm
        assert store.register_component("c", "h2") == 2
        assert store.component_env("c", 0) == (("FOO", "bar"),)
        assert store.component_env("c", 1) == (("BAR", "baz"),)
        assert store.component_env("c", 2) == ()
        assert store.component_env("c", 9) == ()
        assert store.component_version("c", "h1") == 1


def test_a_workers_own_variables_come_first_and_win() -> None:
    assert merge_env([("FOO", "baz"), ("A", "1")], [("FOO", "bar"), ("B", "2")]) == (
        ("FOO", "baz"), ("A", "1"), ("B", "2"))
    assert merge_env([], [("FOO", "bar")]) == (("FOO", "bar"),)
