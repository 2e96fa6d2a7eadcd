"""A real Python guest (guests/fs-probe) cannot read or write outside its sandbox directory."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wasmtime.component import Variant

from emulator.cli.common import cache_dir
from emulator.host.context import HostContext, WorkerInfo
from emulator.oplog.entries import Create
from emulator.oplog.names import sandbox_dir
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import SqliteStore
from emulator.replay.durability import Durability
from emulator.replay.state import ReplayState
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Instance, Worker
from tests.conftest import guest

DENIED = "PermissionError: Operation not permitted"
MISSING = "FileNotFoundError: No such file or directory"


@pytest.fixture(scope="module")
def golem_runtime() -> Runtime:
    return Runtime(cache_dir(), wasi="golem")


@pytest.fixture
def secret(tmp_path: Path) -> Iterator[Path]:
    """A file beside the sandboxes; it must stay unread and unchanged, and nothing may appear beside it."""
    path = tmp_path / "sandbox" / "secret.txt"
    path.parent.mkdir(parents=True)
    path.write_text("secret")
    before = _outside(tmp_path)
    yield path
    assert path.read_text() == "secret"
    assert _outside(tmp_path) == before


def _outside(tmp_path: Path) -> list[Path]:
    # the probe's directory, and the one a Worker named "w" gets in the data dir <tmp>
    sandboxes = (tmp_path / "sandbox" / "w", sandbox_dir(tmp_path, "w"))
    return sorted(p for p in tmp_path.rglob("*")
                  if all(p != s and s not in p.parents for s in sandboxes) and not p.name.startswith("oplog.db"))


class Probe:
    """The fs-probe guest in one instance over `<tmp>/sandbox/w`, called directly (no worker around it)."""

    def __init__(self, runtime: Runtime, store: SqliteStore, sandbox: Path) -> None:
        oplog = Oplog.create(store, Create(worker_name="w", component="fs-probe", component_hash="0" * 64))
        info = WorkerInfo(name="w", component_uuid=uuid.uuid4(), component_version=0, args=(), env=(), created_at=0)
        durability = Durability(oplog, ReplayState([e for _, e in oplog.read()]))
        self.ctx = HostContext(worker=info, durability=durability, store=store, sandbox=sandbox)
        self.loaded = runtime.load(guest("fs-probe"))
        self.inst = Instance(runtime, self.loaded, self.ctx, info)

    def __call__(self, name: str, *args: str) -> Any:
        """The export's result as ("ok", value) or ("err", message)."""
        func = self.inst.func(self.loaded.find_export(name))
        result = func(self.inst.store, *args)
        func.post_return(self.inst.store)
        if isinstance(result, Variant):  # result<T, string> with a string T stays tagged
            return result.tag, result.payload
        return ("err", result) if isinstance(result, str) else ("ok", result)


def test_guest_is_confined_to_its_sandbox(golem_runtime: Runtime, store: SqliteStore, tmp_path: Path,
                                          secret: Path) -> None:
    sandbox = tmp_path / "sandbox" / "w"
    probe = Probe(golem_runtime, store, sandbox)
    assert probe("make-dir", "notes") == ("ok", None)
    assert probe("write-file", "notes/a.txt", "inside") == ("ok", None)
    assert probe("read-file", "/notes/a.txt") == ("ok", "inside")
    assert (sandbox / "notes" / "a.txt").read_text() == "inside"
    assert probe("list-dir", "/") == ("ok", ["notes"])

    # `..` and absolute paths: absolute paths are the sandbox's own, `..` above it is refused.
    for path in ("../secret.txt", "/../secret.txt", "notes/../../secret.txt", "../../secret.txt"):
        assert probe("read-file", path) == ("err", DENIED), path
        assert probe("write-file", path, "stolen") == ("err", DENIED), path
        assert probe("write-file", path + ".new", "planted") == ("err", DENIED), path
    assert probe("list-dir", "..") == ("err", DENIED)
    assert probe("make-dir", "../planted") == ("err", DENIED)
    assert probe("read-file", str(secret)) == ("err", MISSING)  # the host's absolute path names nothing inside
    assert probe("write-file", str(tmp_path / "planted.txt"), "x") == ("err", MISSING)

    # Symlinks: absolute targets cannot be created; relative ones that climb out are never followed.
    assert probe("symlink", str(secret), "abs-link") == ("err", DENIED)
    assert probe("symlink", "../secret.txt", "up") == ("ok", None)
    assert probe("symlink", "../up", "notes/chain") == ("ok", None)
    for link in ("up", "notes/chain"):
        assert probe("read-file", link) == ("err", DENIED), link
        assert probe("write-file", link, "x") == ("err", DENIED), link
        assert probe("stat", link) == ("err", DENIED), link
    assert probe("stat", "notes/a.txt")[1][0] == 6


def test_worker_sandbox_survives_replay_and_stays_confined(
    golem_runtime: Runtime, store: SqliteStore, tmp_path: Path, secret: Path,
) -> None:
    # The store lives at <tmp>/oplog.db, so the data directory is <tmp> and the sandbox <tmp>/sandbox/w.
    worker = Worker.open(golem_runtime, store, "w", guest("fs-probe"))
    assert worker.invoke("write-file", ['"a.txt"', '"one"']).response == "ok"
    assert worker.invoke("write-file", ['"../secret.txt"', '"x"']).response == f'err("{DENIED}")'
    assert worker.invoke("read-file", ['"../secret.txt"']).response == f'err("{DENIED}")'
    worker.close()
    assert (sandbox_dir(tmp_path, "w") / "a.txt").read_text() == "one"

    again = Worker.open(golem_runtime, store, "w", guest("fs-probe"))  # replays the writes into a fresh sandbox
    assert again.invoke("read-file", ['"a.txt"']).response == 'ok("one")'
    again.close()
