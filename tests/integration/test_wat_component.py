"""A hand-written WAT component (no toolchain needed) runs as a durable worker and replays in a new process."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import golem_emu, wat_component


def test_oplog_index_calls_replay_across_processes(tmp_path: Path) -> None:
    wasm = wat_component("oplog_index", tmp_path)
    data = tmp_path / "data"
    first = golem_emu(data, "invoke", str(wasm), "--worker", "w", "twice")
    second = golem_emu(data, "invoke", str(wasm), "--worker", "w", "emu:wat/api.{twice}")
    assert (first.returncode, first.stdout.strip()) == (0, "4"), first.stderr
    # The second process replays the first invocation (consuming its two NoOps) before running live.
    assert (second.returncode, second.stdout.strip()) == (0, "8"), second.stderr
    log = golem_emu(data, "oplog", "w", "--json", check=True)
    kinds = [json.loads(line)["$type"] for line in log.stdout.splitlines()]
    assert kinds == ["create"] + ["exported-function-invoked", "no-op", "no-op", "exported-function-completed"] * 2
