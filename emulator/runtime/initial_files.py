"""Initial component files, as Golem's: files given when a component version is added, each read-only or
read-write, placed in every worker's filesystem when its instance is created; and reading a worker's files.

`component add WASM --file SOURCE:TARGET[:read-only|read-write]` copies each SOURCE into the data directory
under its content hash (`component-files/<sha256>`); the version keeps the list of (target, permissions,
hash). A worker's sandbox, emptied for each new instance (worker.py), gets the files before the replay: a
read-only one without write permission bits, which the filesystem host honours even for root (open_at).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator.errors import UsageError
from emulator.oplog import dbfile, names

if TYPE_CHECKING:
    from emulator.oplog.store import Store

READ_ONLY, READ_WRITE = "read-only", "read-write"
_PERMISSIONS = {"ro": READ_ONLY, READ_ONLY: READ_ONLY, "rw": READ_WRITE, READ_WRITE: READ_WRITE}


@dataclass(frozen=True)
class InitialFile:
    """One file of a component version: where the guest sees it, whether it may write it, its content hash."""

    path: str  # absolute guest path, normalized ("/bar/baz.txt")
    permissions: str  # READ_ONLY or READ_WRITE
    sha256: str

    def to_json(self) -> list[str]:
        return [self.path, self.permissions, self.sha256]

    @classmethod
    def from_json(cls, data: Any) -> InitialFile:
        path, permissions, digest = data
        return cls(str(path), str(permissions), str(digest))


def guest_path(text: str, what: str = "file path") -> str:
    """`text` as a normalized absolute guest path; UsageError if it could leave the worker's filesystem."""
    if not text or "\x00" in text or "\\" in text:
        raise UsageError(f"invalid {what} {text!r}: give a path like /dir/name.txt (no NUL, no backslash)")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UsageError(f"invalid {what} {text!r}: '..' is not allowed; give a path inside the worker's filesystem")
    return "/" + "/".join(parts)


def parse_spec(spec: str) -> tuple[Path, str, str]:
    """`SOURCE:TARGET[:read-only|read-write]` (also `ro`/`rw`; read-only by default, as Golem's)."""
    head, sep, last = spec.rpartition(":")
    permissions = READ_ONLY
    if sep and last in _PERMISSIONS and ":" in head:
        permissions, spec = _PERMISSIONS[last], head
    source, sep, target = spec.rpartition(":")
    if not sep or not source:
        raise UsageError(f"--file {spec!r}: expected SOURCE:TARGET[:read-only|read-write], e.g. files/a.txt:/a.txt")
    path = guest_path(target, "--file target")
    if path == "/":
        raise UsageError(f"--file {spec!r}: the target must name a file, not the root directory")
    src = Path(source)
    if not src.is_file():
        raise UsageError(f"--file {spec!r}: {source} is not a readable file")
    return src, path, permissions


def store_files(data_dir: Path, specs: list[tuple[Path, str, str]]) -> tuple[InitialFile, ...]:
    """Copy each source into the data dir by content hash; the version's file list, by target path."""
    files: dict[str, InitialFile] = {}
    blobs = data_dir / "component-files"
    blobs.mkdir(parents=True, exist_ok=True)
    for src, path, permissions in specs:
        if path in files:
            raise UsageError(f"--file: two files for {path}; give each target once")
        data = src.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        target = blobs / digest
        if not target.exists():
            fd, tmp = tempfile.mkstemp(dir=blobs, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        files[path] = InitialFile(path, permissions, digest)
    for a in files:
        for b in files:
            if b.startswith(a + "/"):
                raise UsageError(f"--file: {a} is a file and cannot also be the directory of {b}")
    return tuple(sorted(files.values(), key=lambda f: f.path))


def place(sandbox: Path, data_dir: Path, files: tuple[InitialFile, ...]) -> None:
    """Put a version's files into a fresh sandbox (read-only ones without write permission bits)."""
    for f in files:
        target = sandbox / f.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_dir / "component-files" / f.sha256, target)
        target.chmod(0o444 if f.permissions == READ_ONLY else 0o644)


def _inside(sandbox: Path, path: str) -> Path:
    """The host path of guest path `path`, refusing anything (a symlink too) that resolves out of `sandbox`."""
    root = sandbox.resolve()
    host = (root / guest_path(path).lstrip("/")).resolve()
    if host != root and root not in host.parents:
        raise UsageError(f"{path} is outside the worker's filesystem")
    return host


def list_directory(sandbox: Path, path: str) -> list[dict[str, Any]]:
    """Golem's list-directory: each entry's name, kind, last-modified time (ms) and, for a file, its size and
    permissions, in name order. UsageError if `path` is not a directory of the worker."""
    host = _inside(sandbox, path)
    if not host.is_dir():
        raise UsageError(f"{guest_path(path)} is not a directory of the worker" + ("" if host.exists() else
                         " (it does not exist)"))
    nodes = []
    for entry in sorted(os.scandir(host), key=lambda e: e.name):
        st = entry.stat(follow_symlinks=False)
        node: dict[str, Any] = {"name": entry.name, "last_modified": st.st_mtime_ns // 1_000_000}
        if stat.S_ISDIR(st.st_mode):
            node["kind"] = "directory"
        elif stat.S_ISREG(st.st_mode):
            node.update(kind="file", size=st.st_size,
                        permissions=READ_WRITE if st.st_mode & 0o222 else READ_ONLY)
        else:
            node["kind"] = "other"
        nodes.append(node)
    return nodes


def read_file(sandbox: Path, path: str) -> bytes:
    """Golem's get-file-contents: the bytes of a regular file of the worker."""
    host = _inside(sandbox, path)
    if not host.is_file():
        raise UsageError(f"{guest_path(path)} is not a file of the worker" + ("" if host.exists() else
                         " (it does not exist)"))
    return host.read_bytes()


def encode(files: tuple[InitialFile, ...]) -> str:
    """A version's file list as stored (JSON, in path order)."""
    return json.dumps([f.to_json() for f in files], separators=(",", ":"))


def of_version(store: Store, component: str, version: int) -> tuple[InitialFile, ...]:
    """The initial files of a component version (none for a version added without files)."""
    text = store.component_files(component, version)
    return () if text is None else tuple(InitialFile.from_json(item) for item in json.loads(text))


def add_version(store: Store, data_dir: Path, component: str, digest: str, specs: list[tuple[Path, str, str]],
                env: Sequence[tuple[str, str]] | None = None, *, ephemeral: bool = False) -> int:
    """Register a version of `component` with initial files (sources given as parse_spec returns them), its
    component-level env and its type."""
    return store.register_component_files(component, digest, encode(store_files(data_dir, specs)), env,
                                          ephemeral=ephemeral)


def fresh_sandbox(store: Store, worker: str, component: str, version: int) -> Path:
    """Worker `worker`'s private directory in the data dir, emptied, with its component version's files."""
    sandbox = names.sandbox_dir(store.data_dir, worker)
    try:
        if sandbox.exists():
            shutil.rmtree(sandbox)
        sandbox.mkdir(parents=True)
        place(sandbox, store.data_dir, of_version(store, component, version))
    except OSError as e:
        raise dbfile.os_error(e, sandbox) from e
    return sandbox
