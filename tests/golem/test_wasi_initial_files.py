"""Golem's executor tests wasi.rs (v1.2.4) on initial component files: initial_file_read_write,
initial_file_listing_through_api and initial_file_reading_through_api, with the same component, files and
expectations. The files' contents are those of Golem's test ("foo\\n" and "baz\\n"), written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.errors import UsageError
from emulator.oplog.store import SqliteStore
from emulator.testing import Emulator
from tests.golem.conftest import component
from tests.golem.harness import cli


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    files = tmp_path / "files"
    files.mkdir()
    (files / "foo.txt").write_text("foo\n")
    (files / "baz.txt").write_text("baz\n")
    return files


def _add(emu: Emulator, sources: Path, *files: tuple[str, str, str]) -> None:
    emu.add_component(component("initial-file-read-write"),
                      files=[(sources / src, target, permissions) for src, target, permissions in files])


def test_initial_file_read_write(emu: Emulator, sources: Path) -> None:
    """initial_file_read_write: the read-only foo.txt reads "foo\\n" and refuses a write (and a permission
    change); the read-write /bar/baz.txt reads "baz\\n", takes "hello world" and reads it back."""
    _add(emu, sources, ("foo.txt", "foo.txt", "read-only"), ("baz.txt", "/bar/baz.txt", "read-write"))
    w = emu.worker("initial-file-read-write-1", component("initial-file-read-write"), env=[("RUST_BACKTRACE", "full")])
    assert w.invoke("run", []).response == '(some("foo\\n"), none, none, some("baz\\n"), some("hello world"))'


def test_initial_file_listing_through_api(emu: Emulator, sources: Path) -> None:
    """initial_file_listing_through_api: before any invocation, / holds the directory bar and the files
    baz.txt (read-write, 4 bytes) and foo.txt (read-only, 4 bytes)."""
    _add(emu, sources, ("foo.txt", "/foo.txt", "read-only"), ("baz.txt", "/bar/baz.txt", "read-write"),
         ("baz.txt", "/baz.txt", "read-write"))
    emu.worker("initial-file-read-write-2", component("initial-file-read-write"), env=[("RUST_BACKTRACE", "full")])
    listed = [{k: v for k, v in n.items() if k != "last_modified"} for n in emu.list_files("initial-file-read-write-2")]
    assert listed == [
        {"name": "bar", "kind": "directory"},
        {"name": "baz.txt", "kind": "file", "size": 4, "permissions": "read-write"},
        {"name": "foo.txt", "kind": "file", "size": 4, "permissions": "read-only"},
    ]


def test_initial_file_reading_through_api(emu: Emulator, sources: Path) -> None:
    """initial_file_reading_through_api: after `run`, /foo.txt still reads "foo\\n" and /bar/baz.txt reads
    "hello world"."""
    _add(emu, sources, ("foo.txt", "/foo.txt", "read-only"), ("baz.txt", "/bar/baz.txt", "read-write"))
    w = emu.worker("initial-file-read-write-3", component("initial-file-read-write"), env=[("RUST_BACKTRACE", "full")])
    w.invoke("run", [])
    assert emu.read_file("initial-file-read-write-3", "/foo.txt") == b"foo\n"
    assert emu.read_file("initial-file-read-write-3", "/bar/baz.txt") == b"hello world"


# -- golem-emu's own checks: the CLI in other processes, replay, bad input --------------------------------


def test_initial_files_through_the_cli_survive_replay(data_dir: Path, sources: Path) -> None:
    """`component add --file`, then the worker in another process: its files are there, `run` changes
    baz.txt, and after recovery by replay in yet another process `file` shows the same contents."""
    wasm = str(component("initial-file-read-write"))
    added = cli(data_dir, "component", "add", wasm, "--file", f"{sources / 'foo.txt'}:/foo.txt:read-only",
                "--file", f"{sources / 'baz.txt'}:/bar/baz.txt:rw")
    assert added.returncode == 0, added.stderr
    ran = cli(data_dir, "invoke", wasm, "--worker", "files-1", "run")
    assert ran.stdout.strip() == '(some("foo\\n"), none, none, some("baz\\n"), some("hello world"))', ran.stderr
    again = cli(data_dir, "invoke", wasm, "--worker", "files-1", "run")  # a new process replays the first run
    assert again.stdout.strip() == '(some("foo\\n"), none, none, some("hello world"), some("hello world"))'
    assert cli(data_dir, "file", "files-1", "/bar/baz.txt").stdout == "hello world"
    listed = json.loads(cli(data_dir, "files", "files-1", "/bar", "--format", "json").stdout)
    assert [(n["name"], n["permissions"]) for n in listed] == [("baz.txt", "read-write")]


@pytest.mark.parametrize("spec, message", [
    ("{src}:/../etc/passwd", "'..' is not allowed"),
    ("{src}:/", "not the root directory"),
    ("{src}", "expected SOURCE:TARGET"),
    ("{src}.missing:/a.txt", "is not a readable file"),
])
def test_a_bad_file_spec_is_refused_before_anything_is_written(data_dir: Path, sources: Path, spec: str,
                                                              message: str) -> None:
    """A target that would leave the worker's filesystem, no target, or no source: exit 2, one line saying
    what to give, and no component version registered."""
    given = spec.format(src=sources / "foo.txt")
    added = cli(data_dir, "component", "add", str(component("initial-file-read-write")), "--file", given)
    assert added.returncode == 2 and message in added.stderr, added.stderr
    assert not (data_dir / "component-files").exists()
    if (data_dir / "oplog.db").exists():
        with SqliteStore(data_dir / "oplog.db") as store:
            assert store.component_hash("initial-file-read-write", 0) is None


def test_reading_outside_the_worker_is_refused(emu: Emulator, sources: Path) -> None:
    """list/read take guest paths: '..' and a missing file are usage errors, not host files."""
    _add(emu, sources, ("foo.txt", "/foo.txt", "read-only"))
    emu.worker("files-2", component("initial-file-read-write"))
    with pytest.raises(UsageError, match="not allowed"):
        emu.read_file("files-2", "/../oplog.db")
    with pytest.raises(UsageError, match="does not exist"):
        emu.read_file("files-2", "/nope.txt")
