"""Component files, loaded once: a wasm file is known by its path, size and mtime before anything reads it.

Hashing an 18 MB componentize-py component costs tens of milliseconds, and every command used to read and hash
it (some twice). Here a file's sha256 is looked up by its identity (resolved path, device, inode, size, mtime):
first in this process, then in a small on-disk index beside the compiled artifacts; only a file not seen before
is read and hashed, once. As git does with its index, a file modified within the last ``_SETTLE_NS`` is hashed
but not recorded on disk: a rewrite within the same mtime tick could otherwise go unnoticed.
A data dir's kept copy of a component (``components/<sha256>.wasm``) is a real copy of the user's file, so
a rebuild that rewrites that file in place cannot change the code a worker runs; every later kept copy of the
same component in this process (explore's trial data dirs, say) is a hard link to the first one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from emulator.errors import UsageError

_SETTLE_NS = 2_000_000_000
_Key = tuple[str, int, int, int, int]
_digests: dict[_Key, str] = {}  # process-wide: every Runtime (and every exploration restart) shares it
_lock = threading.Lock()


_WASM_MAGIC = b"\0asm"
_CORE_VERSION = b"\x01\x00\x00\x00"  # a core module; a component has version 0x0d and layer 1


def missing(path: Path) -> UsageError:
    """The error for a component file that does not exist, with advice that fits where the user is."""
    here = Path.cwd()
    if "guests/build/" in path.as_posix() and (here / "Makefile.guests").exists():
        advice = "build it first (make guests)"  # inside golem-emu's own repository
    elif (here / "wit" / "app.wit").exists() and (here / "Makefile").exists():
        advice = "build it first (make)"  # inside a project made by `golem-emu new`
    else:
        advice = "check the path, or build the component first"
    return UsageError(f"component file {path} does not exist; {advice}")


def not_a_component(path: Path, data: bytes, detail: str) -> UsageError:
    """The error for a file wasmtime cannot load as a component, saying what the file is instead."""
    if data[:4] == _WASM_MAGIC and data[4:8] == _CORE_VERSION:
        return UsageError(
            f"{path} is a core WebAssembly module; golem-emu runs components: build with cargo-component, "
            "componentize-py, or wrap it with `wasm-tools component new`")
    if data[:4] != _WASM_MAGIC:
        return UsageError(f"{path} is not WebAssembly (it does not start with \\0asm); pass a .wasm component")
    return UsageError(f"{path} is not a valid WebAssembly component ({detail}); rebuild it")


def check_header(path: Path, data: bytes) -> None:
    """A UsageError unless `data` starts as a component does (a core module or other file is named as such)."""
    if data[:4] != _WASM_MAGIC or data[4:8] == _CORE_VERSION:
        raise not_a_component(path, data, "")


def _identity(path: Path) -> tuple[_Key, os.stat_result]:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise missing(path) from None
    except OSError as e:
        raise UsageError(f"cannot read component file {path}: {e.strerror}") from None
    if not path.is_file():
        raise UsageError(f"component file {path} is not a file; pass the path of a .wasm component")
    return (str(path.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), st


def _index_file(index_dir: Path, key: _Key) -> Path:
    name = hashlib.sha256("|".join(map(str, key)).encode()).hexdigest()[:40]
    return index_dir / "digests" / name


def read(path: Path) -> bytes:
    """The bytes of a component file, or a one-line UsageError."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise missing(path) from None
    except OSError as e:
        raise UsageError(f"cannot read component file {path}: {e.strerror}") from None


def digest(path: Path, index_dir: Path | None = None) -> tuple[str, bytes | None]:
    """The sha256 of the file at `path`, and its bytes when they had to be read to learn it (else None)."""
    key, st = _identity(path)
    with _lock:
        known = _digests.get(key)
    if known is not None:
        return known, None
    index = _index_file(index_dir, key) if index_dir is not None else None
    if index is not None:
        try:
            recorded = index.read_text().strip()
        except OSError:
            recorded = ""
        if len(recorded) == 64:
            with _lock:
                _digests[key] = recorded
            return recorded, None
    data = read(path)
    found = hashlib.sha256(data).hexdigest()
    if _identity(path)[0] != key:  # changed while we read it: do not remember anything about it
        return found, data
    with _lock:
        _digests[key] = found
    if index is not None and time.time_ns() - st.st_mtime_ns > _SETTLE_NS:
        _write_atomically(index, found.encode())
    return found, data


def known_digest(path: Path) -> str | None:
    """The sha256 of the file at `path` if this process already knows it as it is now (never reads it)."""
    try:
        key, _ = _identity(path)
    except UsageError:
        return None
    with _lock:
        return _digests.get(key)


def _write_atomically(target: Path, data: bytes) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except OSError:
        pass  # the index only saves time; a read-only cache dir just means hashing again next time


_kept: dict[str, Path] = {}  # a component's digest -> a kept copy this process made (ours: never rewritten)


def share(source: Path, target: Path) -> None:
    """Make `target` (named `<sha256>.wasm`) hold the same bytes as `source`, the user's file.

    A hard link to a kept copy this process already made where there is one, else a copy of `source`: a link
    to the user's file would follow a rebuild that rewrites it in place. Written under a temporary name and
    renamed, so a reader never sees half a file."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # unique per thread
    tmp.unlink(missing_ok=True)
    with _lock:
        origin = _kept.get(target.stem)
    try:
        if origin is None:
            raise FileNotFoundError
        os.link(origin, tmp)
    except OSError:  # none yet, gone, on another file system, or links not allowed: copy
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)
    with _lock:
        _kept[target.stem] = target


def cache_dir() -> Path:
    """Where compiled artifacts and the hash index live, shared by every data dir (GOLEM_EMU_CACHE, else
    $XDG_CACHE_HOME/golem-emu or ~/.cache/golem-emu): compiling a component costs seconds."""
    explicit = os.environ.get("GOLEM_EMU_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "golem-emu"
