"""wasi:filesystem over a real temporary sandbox: operations, confinement, journaling, and a real guest."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wasmtime.component import Variant

from emulator.host._convert import field, record
from emulator.host._resources import get, own
from emulator.host.context import HostContext, WorkerInfo
from emulator.host.filesystem import interfaces as fs
from emulator.host.filesystem.objects import Descriptor, FileStreamFailed, OpenFd
from emulator.host.io.objects import IoError, StreamClosed
from emulator.oplog.entries import Create, ImportedFunctionInvoked
from emulator.oplog.oplog import Oplog
from emulator.oplog.store import OplogStore, SqliteStore
from emulator.replay.durability import Durability
from emulator.replay.state import ReplayState

FOLLOW = {"symlink-follow"}
NOFOLLOW: set[str] = set()
RW = {"read", "write"}


def make_ctx(store: SqliteStore, sandbox: Path, worker: str = "w") -> HostContext:
    """A host context over the worker's oplog as it is now (live when nothing beyond Create is recorded)."""
    if not store.has_worker(worker):
        Oplog.create(store, Create(worker_name=worker, component="fs", component_hash="0" * 64))
    oplog = Oplog(store, worker)
    replay = ReplayState([e for _, e in oplog.read()])
    info = WorkerInfo(name=worker, component_uuid=uuid.uuid4(), component_version=0, args=(), env=(), created_at=0)
    return HostContext(worker=info, durability=Durability(oplog, replay), store=store, sandbox=sandbox)


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    return tmp_path / "data" / "sandbox" / "w"


@pytest.fixture
def ctx(store: SqliteStore, sandbox: Path) -> HostContext:
    return make_ctx(store, sandbox)


@pytest.fixture
def root(ctx: HostContext) -> Any:
    [(handle, name)] = fs.get_directories(ctx)
    assert name == "/"
    return handle


def ok(v: Variant) -> Any:
    assert isinstance(v, Variant) and v.tag == "ok", v
    return v.payload


def code(v: Variant) -> str:
    assert isinstance(v, Variant) and v.tag == "err", v
    assert isinstance(v.payload, str)
    return v.payload


def open_file(ctx: HostContext, root: Any, path: str, create: bool = False, flags: set[str] | None = None) -> Any:
    return ok(fs.open_at(ctx, root, FOLLOW, path, {"create"} if create else set(), flags or RW))


def imported(store: OplogStore) -> list[ImportedFunctionInvoked]:
    return [e for _, e in Oplog(store, "w").read() if isinstance(e, ImportedFunctionInvoked)]


# -- plain operations ---------------------------------------------------------------------------------------


def test_preopen_is_the_sandbox_and_is_journaled(ctx: HostContext, root: Any, sandbox: Path) -> None:
    assert sandbox.is_dir()
    assert ok(fs.get_flags(ctx, root)) == {"read", "mutate-directory"}
    assert ok(fs.get_type(ctx, root)) == "directory"
    ctx.oplog.commit()
    [entry] = imported(ctx.store)
    assert entry.function_name == "cli::preopens::get_directories" and entry.response == {"ok": ["/"]}


def test_no_sandbox_means_no_preopens(store: SqliteStore) -> None:
    ctx = make_ctx(store, Path("unused"))
    ctx.sandbox = None
    assert fs.get_directories(ctx) == []


def test_write_read_and_descriptor_calls(ctx: HostContext, root: Any, sandbox: Path) -> None:
    f = open_file(ctx, root, "a.txt", create=True)
    assert ok(fs.write(ctx, f, b"hello world", 0)) == 11
    assert ok(fs.read(ctx, f, 5, 6)) == (b"world", False)
    assert ok(fs.read(ctx, f, 100, 6)) == (b"world", True)
    assert ok(fs.get_flags(ctx, f)) == {"read", "write"}
    assert ok(fs.get_type(ctx, f)) == "regular-file"
    ok(fs.set_size(ctx, f, 5))
    ok(fs.advise(ctx, f, 0, 5, "sequential"))
    ok(fs.sync_data(ctx, f))
    ok(fs.sync(ctx, f))
    assert (sandbox / "a.txt").read_bytes() == b"hello"
    ts = Variant("timestamp", record(seconds=1_000_000, nanoseconds=5))
    ok(fs.set_times(ctx, f, Variant("no-change"), ts))
    st = ok(fs.stat(ctx, f))
    assert (st.type, st.size, field(st, "link-count")) == ("regular-file", 5, 1)
    assert field(st, "data-modification-timestamp").__dict__ == {"seconds": 1_000_000, "nanoseconds": 5}
    assert field(st, "status-change-timestamp") is None


def test_streams_read_write_append(ctx: HostContext, root: Any, sandbox: Path) -> None:
    f = open_file(ctx, root, "s.txt", create=True)
    out = get(ctx, ok(fs.write_via_stream(ctx, f, 0)))
    out.write(b"abc")
    out.write(b"def")
    app = get(ctx, ok(fs.append_via_stream(ctx, f)))
    app.write(b"!")
    inp = get(ctx, ok(fs.read_via_stream(ctx, f, 2)))
    fs.Descriptor.drop(get(ctx, f))  # streams outlive the descriptor they came from
    assert inp.blocking_read(100) == b"cdef!"
    with pytest.raises(StreamClosed):
        inp.read(1)
    assert (sandbox / "s.txt").read_bytes() == b"abcdef!"


def test_permissions_and_wrong_kinds(ctx: HostContext, root: Any, sandbox: Path) -> None:
    (sandbox / "r.txt").write_text("x")
    r = open_file(ctx, root, "r.txt", flags={"read"})
    assert ok(fs.get_flags(ctx, r)) == {"read"}
    assert code(fs.write(ctx, r, b"y", 0)) == "bad-descriptor"
    assert code(fs.write_via_stream(ctx, r, 0)) == "bad-descriptor"
    assert code(fs.read(ctx, root, 1, 0)) == "bad-descriptor"
    assert code(fs.stat_at(ctx, r, FOLLOW, "x")) == "not-directory"
    assert code(fs.open_at(ctx, root, FOLLOW, "r.txt", {"directory"}, {"read"})) == "not-directory"
    assert code(fs.open_at(ctx, root, FOLLOW, "d", {"directory", "create"}, {"read"})) == "invalid"
    assert code(fs.open_at(ctx, root, FOLLOW, "r.txt", {"create", "exclusive"}, RW)) == "exist"
    assert code(fs.open_at(ctx, root, FOLLOW, "missing", set(), RW)) == "no-entry"
    assert code(fs.open_at(ctx, root, FOLLOW, "r.txt", set(), {"read", "file-integrity-sync"})) == "unsupported"
    frozen = own(ctx, "descriptor", Descriptor(OpenFd(os.open(sandbox, os.O_RDONLY)), True, frozenset({"read"}), "/"))
    assert code(fs.create_directory_at(ctx, frozen, "d")) == "not-permitted"
    assert code(fs.open_at(ctx, frozen, FOLLOW, "new", {"create"}, RW)) == "not-permitted"
    assert ok(fs.read(ctx, open_file(ctx, frozen, "r.txt", flags={"read"}), 10, 0)) == (b"x", True)


def test_directories_links_and_renames(ctx: HostContext, root: Any, sandbox: Path) -> None:
    ok(fs.create_directory_at(ctx, root, "d"))
    assert code(fs.create_directory_at(ctx, root, "d")) == "exist"
    ok(fs.create_directory_at(ctx, root, "d/e/"))
    (sandbox / "d" / "f.txt").write_text("f")
    d = ok(fs.open_at(ctx, root, NOFOLLOW, "d", {"directory"}, {"read"}))
    assert ok(fs.get_flags(ctx, d)) == {"read"}
    ok(fs.create_directory_at(ctx, d, "made-below"))  # mutation permission comes from the parent
    entries = get(ctx, ok(fs.read_directory(ctx, d)))
    listed = []
    while (item := ok(fs.read_directory_entry(ctx, own(ctx, "directory-entry-stream", entries)))) is not None:
        listed.append((item.name, item.type))
    assert sorted(listed) == [("e", "directory"), ("f.txt", "regular-file"), ("made-below", "directory")]
    ok(fs.link_at(ctx, root, NOFOLLOW, "d/f.txt", d, "hard.txt"))
    assert code(fs.link_at(ctx, root, FOLLOW, "d/f.txt", d, "hard2.txt")) == "invalid"
    a, b = open_file(ctx, root, "d/f.txt"), open_file(ctx, d, "hard.txt")
    assert fs.is_same_object(ctx, a, b) and not fs.is_same_object(ctx, a, root)
    assert ok(fs.metadata_hash(ctx, a)).__dict__ == ok(fs.metadata_hash_at(ctx, d, NOFOLLOW, "hard.txt")).__dict__
    ok(fs.rename_at(ctx, d, "hard.txt", root, "moved.txt"))
    assert (sandbox / "moved.txt").read_text() == "f"
    ok(fs.symlink_at(ctx, root, "d/f.txt", "link"))
    assert ok(fs.readlink_at(ctx, root, "link")) == "d/f.txt"
    assert ok(fs.stat_at(ctx, root, NOFOLLOW, "link")).type == "symbolic-link"
    assert ok(fs.stat_at(ctx, root, FOLLOW, "link")).type == "regular-file"
    assert code(fs.open_at(ctx, root, NOFOLLOW, "link", set(), {"read"})) == "loop"
    ok(fs.unlink_file_at(ctx, root, "link"))
    assert code(fs.unlink_file_at(ctx, root, "d")) in ("is-directory", "not-permitted")
    assert code(fs.remove_directory_at(ctx, root, "d")) == "not-empty"
    ok(fs.remove_directory_at(ctx, d, "e"))
    assert not (sandbox / "d" / "e").exists()


def test_filesystem_error_code(ctx: HostContext) -> None:
    failed = FileStreamFailed(OSError(28, "No space left on device"))
    error = IoError(str(failed))
    error.code = failed.code  # type: ignore[attr-defined]  # what wasi_io must carry over
    assert fs.filesystem_error_code(ctx, own(ctx, "error", error)) == "insufficient-space"
    assert fs.filesystem_error_code(ctx, own(ctx, "error", IoError("other"))) is None


# -- confinement --------------------------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path, sandbox: Path) -> Iterator[Path]:
    """A secret next to the sandbox; every test checks it is neither read nor changed nor joined by new files."""
    secret = tmp_path / "data" / "sandbox" / "secret.txt"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("secret")
    before = sorted(p.name for p in tmp_path.rglob("*") if sandbox not in p.parents and p != sandbox)
    yield secret
    assert secret.read_text() == "secret"
    assert sorted(p.name for p in tmp_path.rglob("*") if sandbox not in p.parents and p != sandbox) == before


ESCAPES = ["../secret.txt", "/secret.txt", "a/../../secret.txt", "./../secret.txt", "/", "..", "a/b/../../.."]


@pytest.mark.parametrize("path", ESCAPES)
def test_paths_cannot_leave_the_sandbox(ctx: HostContext, root: Any, sandbox: Path, outside: Path, path: str) -> None:
    (sandbox / "a" / "b").mkdir(parents=True)
    assert code(fs.open_at(ctx, root, FOLLOW, path, set(), {"read"})) == "not-permitted"
    assert code(fs.open_at(ctx, root, FOLLOW, path, {"create"}, RW)) == "not-permitted"
    assert code(fs.stat_at(ctx, root, FOLLOW, path)) == "not-permitted"
    assert code(fs.create_directory_at(ctx, root, path + "/dir")) == "not-permitted"
    assert code(fs.unlink_file_at(ctx, root, path)) == "not-permitted"
    assert code(fs.rename_at(ctx, root, "a", root, path + "/moved")) == "not-permitted"
    assert code(fs.symlink_at(ctx, root, "a", path + "/link")) == "not-permitted"
    assert code(fs.link_at(ctx, root, NOFOLLOW, path, root, "hard")) == "not-permitted"


def test_a_subdirectory_descriptor_cannot_climb_above_itself(ctx: HostContext, root: Any, sandbox: Path) -> None:
    (sandbox / "sub").mkdir()
    (sandbox / "top.txt").write_text("t")
    sub = ok(fs.open_at(ctx, root, NOFOLLOW, "sub", {"directory"}, {"read"}))
    assert code(fs.open_at(ctx, sub, FOLLOW, "../top.txt", set(), {"read"})) == "not-permitted"
    assert code(fs.stat_at(ctx, sub, FOLLOW, "..")) == "not-permitted"
    assert ok(fs.stat_at(ctx, sub, FOLLOW, ".")).type == "directory"


def test_symlinks_cannot_leave_the_sandbox(ctx: HostContext, root: Any, sandbox: Path, outside: Path) -> None:
    assert code(fs.symlink_at(ctx, root, str(outside), "abs")) == "not-permitted"
    assert code(fs.symlink_at(ctx, root, "", "empty")) == "no-entry"
    os.symlink(outside, sandbox / "host-made-abs")  # e.g. left by some other program: still never followed
    ok(fs.symlink_at(ctx, root, "../secret.txt", "up"))
    ok(fs.create_directory_at(ctx, root, "d"))
    ok(fs.symlink_at(ctx, root, "../up", "d/chain"))  # d/chain -> up -> ../secret.txt
    ok(fs.symlink_at(ctx, root, "..", "d/parent"))  # fine as long as it ends inside
    ok(fs.symlink_at(ctx, root, "../..", "d/grandparent"))
    ok(fs.symlink_at(ctx, root, "self", "self"))
    for link in ("host-made-abs", "up", "d/chain", "d/grandparent/secret.txt", "d/parent/up"):
        assert code(fs.open_at(ctx, root, FOLLOW, link, set(), {"read"})) == "not-permitted", link
        assert code(fs.open_at(ctx, root, FOLLOW, link, {"create"}, RW)) == "not-permitted", link
        assert code(fs.stat_at(ctx, root, FOLLOW, link)) == "not-permitted", link
    assert code(fs.create_directory_at(ctx, root, "d/grandparent/escaped")) == "not-permitted"
    assert code(fs.open_at(ctx, root, FOLLOW, "self", set(), {"read"})) == "loop"
    assert ok(fs.stat_at(ctx, root, FOLLOW, "d/parent")).type == "directory"
    assert ok(fs.readlink_at(ctx, root, "up")) == "../secret.txt"  # reading a link's text is harmless


def test_dangling_symlink_created_inside_does_not_create_outside(
    ctx: HostContext, root: Any, sandbox: Path, outside: Path,
) -> None:
    ok(fs.symlink_at(ctx, root, "../new-outside.txt", "dangling"))
    assert code(fs.open_at(ctx, root, FOLLOW, "dangling", {"create"}, RW)) == "not-permitted"
    ok(fs.symlink_at(ctx, root, "inside.txt", "dangling-in"))
    ok(fs.open_at(ctx, root, FOLLOW, "dangling-in", {"create"}, RW))
    assert (sandbox / "inside.txt").exists()


# -- journaling ---------------------------------------------------------------------------------------------


def test_only_preopens_and_stat_are_journaled_and_replay_serves_recorded_times(
    store: SqliteStore, sandbox: Path,
) -> None:
    live = make_ctx(store, sandbox)
    [(root, _)] = fs.get_directories(live)
    f = open_file(live, root, "t.txt", create=True)
    ok(fs.write(live, f, b"1234", 0))
    ok(fs.create_directory_at(live, root, "dir"))
    first = ok(fs.stat(live, f))
    first_at = ok(fs.stat_at(live, root, FOLLOW, "t.txt"))
    live.oplog.commit()
    names = [(e.function_name, e.request) for e in imported(store)]
    assert names == [
        ("cli::preopens::get_directories", None),
        ("filesystem::types::descriptor::stat", "/t.txt"),
        ("filesystem::types::descriptor::stat_at", "/t.txt"),
    ]
    assert set(imported(store)[1].response["ok"]) == {"data-access-timestamp", "data-modification-timestamp"}

    os.utime(sandbox / "t.txt", ns=(1, 1))  # what replay re-reads now differs from what was recorded
    replay = make_ctx(store, sandbox)
    assert not replay.replay.is_live()
    [(root2, _)] = fs.get_directories(replay)
    f2 = open_file(replay, root2, "t.txt")
    again, again_at = ok(fs.stat(replay, f2)), ok(fs.stat_at(replay, root2, FOLLOW, "t.txt"))
    for a, b in ((first, again), (first_at, again_at)):
        for name in ("data-modification-timestamp", "data-access-timestamp"):
            assert field(a, name).__dict__ == field(b, name).__dict__
        assert b.size == 4 and field(b, "status-change-timestamp") is None
    assert replay.replay.is_live()


def test_a_failed_stat_is_not_journaled(ctx: HostContext, root: Any) -> None:
    assert code(fs.stat_at(ctx, root, FOLLOW, "missing")) == "no-entry"
    ctx.oplog.commit()
    assert [e.function_name for e in imported(ctx.store)] == ["cli::preopens::get_directories"]
