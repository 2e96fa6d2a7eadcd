"""The oplog database as a file: created whole or not at all, opened read-only where nothing may be written,
and SQLite's failures told as what they mean for the user (a full disk, a foreign file, a lock).

The rules (docs/storage-faults.md lists what the user sees for each):
- A database is created only where there is none, complete, and published under its name in one step.
  An existing file is never started over: empty, truncated or foreign, it is refused.
- Read-only commands open it read-only, also on a read-only filesystem.
- A full disk (or a file-size limit) is named as such, with the directory it happened in; the transaction
  that hit it is rolled back by SQLite, so nothing is half-written.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import uuid
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from urllib.parse import quote

from emulator.errors import OplogConflict, OplogError

_BUSY_SECONDS = 5.0
_LOW_SPACE = 1 << 20  # below this many free bytes a write error is taken for a full disk


def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """A connection to the existing database at `path` (never creating one)."""
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves instead of Python's deferred BEGIN,
    # which could fail with SQLITE_BUSY on upgrade from reader to writer without waiting.
    def open_with(query: str) -> sqlite3.Connection:
        uri = f"file:{quote(str(path.absolute()))}?{query}"
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=_BUSY_SECONDS)

    if not readonly:
        return open_with("mode=rw")
    db = open_with("mode=ro")
    try:
        db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        return db
    except sqlite3.OperationalError:
        db.close()
        if not _readonly_without_wal(path):
            raise
    # A read-only directory (a mounted backup, a read-only volume) and no WAL: SQLite cannot set up its WAL
    # reader's shared memory there, but nothing can be writing either, so the file is read as it is.
    return open_with("mode=ro&immutable=1")


def _not_writable(path: Path) -> bool:
    return _on_readonly_fs(path) or not os.access(path.parent, os.W_OK) or \
        (path.exists() and not os.access(path, os.W_OK))


def _readonly_without_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    has_wal = wal.exists() and wal.stat().st_size > 0
    return not has_wal and not os.access(path.parent, os.W_OK) or not has_wal and _on_readonly_fs(path)


def _on_readonly_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def create(path: Path, statements: Iterable[str]) -> None:
    """Create the database at `path` with `statements` run in one transaction, unless one exists already.

    It is built under a temporary name and hard-linked into place (which fails if the name exists), so no
    process ever opens a half-initialised file, and of two processes creating it at once the first wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise OplogError(f"{path} is missing but its write-ahead log {wal.name} is there; restore {path.name} "
                         f"from a backup, or move {wal.name} away to start with no workers")
    tmp = str(path.with_name(f".{path.name}.{uuid.uuid4().hex}.new"))
    try:
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # the umask applies, as for SQLite's
    except OSError as e:
        raise os_error(e, path.parent) from e
    try:
        try:
            db = sqlite3.connect(tmp, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("BEGIN IMMEDIATE")
                for statement in statements:
                    db.execute(statement)
                db.execute("COMMIT")
            finally:
                db.close()  # the only connection: SQLite checkpoints and removes the temporary WAL
        except sqlite3.Error as e:
            raise sqlite_error(e, path) from e
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first: use that one
        except OSError:  # a filesystem without hard links: a rename is atomic, though not exclusive
            if not path.exists():
                os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
            with suppress(FileNotFoundError):
                os.unlink(leftover)


def foreign(path: Path, why: str) -> OplogError:
    return OplogError(f"{path} is not a golem-emu database ({why}); move it away or pass another --data-dir")


def full_disk(where: Path, why: str | None = None) -> OplogError:
    why = why or f"the disk is full: {_free(where)}"
    return OplogError(f"{why}, writing {where}; nothing was half-written: free some space and run the "
                      "command again")


def sqlite_error(e: sqlite3.Error, path: Path, *, readonly: bool = False) -> OplogError:
    """What an SQLite failure on the database at `path` means, in one line."""
    code = getattr(e, "sqlite_errorname", "")
    if code in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
        return foreign(path, str(e))
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return OplogConflict(f"{path} stayed locked by another process for 5 s; stop it or retry")
    if not readonly and (code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN"))) and _not_writable(path):
        return OplogError(f"{path} cannot be written (a read-only filesystem or no write permission on "
                          f"{path.parent}); inspecting works there (workers, oplog, show, result, tui), running "
                          "a worker needs a writable data dir")
    if code.startswith("SQLITE_READONLY") or (readonly and "readonly" in str(e)):
        return OplogError(f"{path} is read-only ({e}); open it writable or check file permissions")
    if code.startswith("SQLITE_CANTOPEN"):
        return OplogError(f"cannot open {path} ({e}); check the path and its permissions")
    if code.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        why = _full_reason(path)
        if why is not None or code.startswith("SQLITE_FULL"):
            return full_disk(path, why)
    return OplogError(f"{path}: {e}")


def os_error(e: OSError, where: Path | str | None = None) -> OSError | OplogError:
    """A full disk as a clear OplogError; any other OSError as it is."""
    target = Path(e.filename or where or ".")
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return full_disk(target)
    if e.errno == errno.EFBIG:
        return full_disk(target, "the file-size limit of this process (ulimit -f) is reached")
    return e


def _full_reason(path: Path) -> str | None:
    """After an I/O error: is the filesystem out of space, or the file at this process's size limit?"""
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return None
    if st.f_bavail * st.f_frsize < _LOW_SPACE:
        return f"the disk is full: {_free(path)}"
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit == resource.RLIM_INFINITY:
        return None
    sizes = [p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
    if any(size + 65536 >= limit for size in sizes):
        return "the file-size limit of this process (ulimit -f) is reached"
    return None


def _free(where: Path) -> str:
    folder = where if where.is_dir() else where.parent
    try:
        st = os.statvfs(folder)
    except OSError:
        return f"no space left in {folder}"
    return f"{st.f_bavail * st.f_frsize // 1024} KiB left in {folder}"
