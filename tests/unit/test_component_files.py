"""Component files are known by path, size and mtime: read and hashed once, kept as a copy, rewrites caught."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from emulator.errors import UsageError
from emulator.runtime import component_files


def _old(path: Path) -> None:
    """Backdate the file so the on-disk index may record it (a just-written file is never recorded)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns - 10**10, st.st_mtime_ns - 10**10))


def test_a_file_is_read_once_then_known_by_its_identity(tmp_path: Path) -> None:
    f = tmp_path / "a.wasm"
    f.write_bytes(b"first")
    _old(f)
    digest, data = component_files.digest(f, tmp_path / "cache")
    assert (digest, data) == (hashlib.sha256(b"first").hexdigest(), b"first")
    assert component_files.digest(f, tmp_path / "cache") == (digest, None)  # not read again
    component_files._digests.clear()  # as a new process: the on-disk index answers
    assert component_files.digest(f, tmp_path / "cache") == (digest, None)


def test_a_rewrite_in_place_is_hashed_again(tmp_path: Path) -> None:
    f = tmp_path / "a.wasm"
    f.write_bytes(b"first")
    _old(f)
    component_files.digest(f, tmp_path / "cache")
    with open(f, "r+b") as out:  # same inode, same size, new mtime
        out.write(b"FIRST")
    digest, data = component_files.digest(f, tmp_path / "cache")
    assert (digest, data) == (hashlib.sha256(b"FIRST").hexdigest(), b"FIRST")


def test_a_just_written_file_is_not_recorded_on_disk(tmp_path: Path) -> None:
    f = tmp_path / "a.wasm"
    f.write_bytes(b"fresh")
    component_files.digest(f, tmp_path / "cache")
    assert not (tmp_path / "cache" / "digests").exists()


def test_share_copies_the_users_file_once_then_links_its_own_copy(tmp_path: Path) -> None:
    source = tmp_path / "a.wasm"
    first, second = tmp_path / "d1" / f"{'a' * 64}.wasm", tmp_path / "d2" / f"{'a' * 64}.wasm"
    source.write_bytes(b"bytes")
    component_files.share(source, first)
    component_files.share(source, second)
    assert first.read_bytes() == second.read_bytes() == b"bytes"
    assert first.stat().st_ino != source.stat().st_ino  # a copy: the user's file is not ours to follow
    assert second.stat().st_ino == first.stat().st_ino  # later keeps link to golem-emu's own copy
    with open(source, "r+b") as out:  # a rebuild that rewrites the file in place (cp onto it, say)
        out.write(b"BYTES")
    assert first.read_bytes() == b"bytes"
    assert not [p for p in first.parent.iterdir() if p.name.endswith(".tmp")]


def test_missing_and_non_file_paths_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist; check the path, or build the component first"):
        component_files.digest(tmp_path / "missing.wasm")
    with pytest.raises(UsageError, match="is not a file"):
        component_files.digest(tmp_path)


def test_a_kept_copy_rewritten_in_place_is_refused(tmp_path: Path, runtime: object) -> None:
    from emulator.runtime.engine import Runtime

    assert isinstance(runtime, Runtime)
    kept = tmp_path / f"{'0' * 64}.wasm"
    kept.write_bytes(b"not what the name says")
    with pytest.raises(UsageError, match="rewritten in place"):
        runtime.load(kept, expect_digest=kept.stem)
