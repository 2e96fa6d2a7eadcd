"""wasi:filesystem types and preopens over the worker's sandbox directory, preopened as "/".

As in Golem, only `preopens.get-directories` and `descriptor.stat`/`stat-at` are journaled (stat: the access and
modification times only, the status-change time is always none); every other operation runs again on replay.
The worker gives every new instance an empty sandbox (as Golem gives each a new temporary directory), so the
replayed operations rebuild exactly the files the guest had.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import time
from collections.abc import Callable, Collection
from typing import Any

from emulator.host import _convert as cv
from emulator.host import _resources as res
from emulator.host.context import HostContext
from emulator.host.filesystem.objects import (
    MAX_CHUNK,
    Descriptor,
    DirectoryEntryStream,
    FileInputStream,
    FileOutputStream,
)
from emulator.host.filesystem.preopens import get_directories as get_directories  # served by preopens.py
from emulator.host.filesystem.sandbox import FsError, OpenFd, Target, check_offset, descriptor_type, fs_result, resolve
from emulator.host.io.objects import IoError
from emulator.oplog.entries import READ_LOCAL, Json


def _desc(ctx: HostContext, handle: Any) -> Descriptor:
    obj = res.get(ctx, handle)
    if not isinstance(obj, Descriptor):
        raise FsError("bad-descriptor")
    return obj


def _follow(path_flags: Collection[str]) -> bool:
    return "symlink-follow" in path_flags


def _datetime(ns: int) -> Json:
    return {"seconds": ns // 1_000_000_000, "nanoseconds": ns % 1_000_000_000}


def _ns(ts: Any, current: int) -> int:
    """Nanoseconds for a `new-timestamp`; `current` is kept for no-change."""
    if ts.tag == "no-change":
        return current
    if ts.tag == "now":
        return time.time_ns()
    return int(cv.field(ts.payload, "seconds")) * 1_000_000_000 + int(cv.field(ts.payload, "nanoseconds"))


def _journaled_stat(ctx: HostContext, st: os.stat_result, name: str, request: str,
                    restore: Callable[[tuple[int, int]], None]) -> Any:
    """A descriptor-stat whose times come from the journal on replay (Golem's SerializableFileTimes).

    As in Golem, the times reported are also put back on the file (`restore`): replay re-executes the
    filesystem operations, which stamp new times, and this makes the files look as they did when first seen.
    """
    times = ctx.durability.call(name, READ_LOCAL, request, lambda: {
        "data-access-timestamp": _datetime(st.st_atime_ns),
        "data-modification-timestamp": _datetime(st.st_mtime_ns),
    })

    def ns(j: Any, current: int) -> int:
        return current if j is None else int(j["seconds"]) * 1_000_000_000 + int(j["nanoseconds"])

    try:
        restore((ns(times["data-access-timestamp"], st.st_atime_ns),
                 ns(times["data-modification-timestamp"], st.st_mtime_ns)))
    except OSError:
        pass  # a file the worker may not stamp (a read-only mount): its times just stay as they are

    def stamp(j: Any) -> Any:
        return None if j is None else cv.record(seconds=int(j["seconds"]), nanoseconds=int(j["nanoseconds"]))

    return cv.record(
        type=descriptor_type(st.st_mode), link_count=st.st_nlink, size=st.st_size,
        data_access_timestamp=stamp(times["data-access-timestamp"]),
        data_modification_timestamp=stamp(times["data-modification-timestamp"]),
        status_change_timestamp=None,  # Golem: cannot be the same on replay, so never reported
    )


def _metadata_hash(stat: Any) -> Any:
    """Golem's metadata hash: of the (journaled, restored) modification time and the size, so that it is the
    same on replay although replayed filesystem calls recreate the files (a new inode)."""
    modified: Any = getattr(stat, "data-modification-timestamp")
    seconds, nanos = (0, 0) if modified is None else (modified.seconds, modified.nanoseconds)
    key = f"{seconds}:{nanos}:{stat.size}".encode()
    digest = hashlib.blake2b(key, digest_size=16).digest()
    return cv.record(lower=int.from_bytes(digest[:8], "little"), upper=int.from_bytes(digest[8:], "little"))


# -- descriptor: data ---------------------------------------------------------------------------------------


@fs_result
def read_via_stream(ctx: HostContext, self: Any, offset: int) -> Any:
    d = _desc(ctx, self)
    d.file_fd("read")
    return res.own(ctx, "input-stream", FileInputStream(d.file, check_offset(offset)))


@fs_result
def write_via_stream(ctx: HostContext, self: Any, offset: int) -> Any:
    d = _desc(ctx, self)
    d.file_fd("write")
    return res.own(ctx, "output-stream", FileOutputStream(d.file, check_offset(offset)))


@fs_result
def append_via_stream(ctx: HostContext, self: Any) -> Any:
    d = _desc(ctx, self)
    d.file_fd("write")
    return res.own(ctx, "output-stream", FileOutputStream(d.file, 0, append=True))


_ADVICE = {
    "normal": "POSIX_FADV_NORMAL", "sequential": "POSIX_FADV_SEQUENTIAL", "random": "POSIX_FADV_RANDOM",
    "will-need": "POSIX_FADV_WILLNEED", "dont-need": "POSIX_FADV_DONTNEED", "no-reuse": "POSIX_FADV_NOREUSE",
}


@fs_result
def advise(ctx: HostContext, self: Any, offset: int, length: int, advice: str) -> None:
    fd = _desc(ctx, self).file_fd()
    constant = getattr(os, _ADVICE[advice], None)
    if constant is not None:  # advice only: platforms without posix_fadvise simply ignore it
        os.posix_fadvise(fd, check_offset(offset), check_offset(length), constant)


@fs_result
def sync_data(ctx: HostContext, self: Any) -> None:
    os.fdatasync(_desc(ctx, self).fd)


@fs_result
def sync(ctx: HostContext, self: Any) -> None:
    os.fsync(_desc(ctx, self).fd)


@fs_result
def get_flags(ctx: HostContext, self: Any) -> set[str]:
    d = _desc(ctx, self)
    os.fstat(d.fd)  # a dropped descriptor has no flags
    return set(d.flags)


@fs_result
def get_type(ctx: HostContext, self: Any) -> str:
    d = _desc(ctx, self)
    return "directory" if d.is_dir else descriptor_type(os.fstat(d.fd).st_mode)


@fs_result
def set_size(ctx: HostContext, self: Any, size: int) -> None:
    os.ftruncate(_desc(ctx, self).file_fd(), check_offset(size))  # the OS rejects a file not open for writing


@fs_result
def set_times(ctx: HostContext, self: Any, atime: Any, mtime: Any) -> None:
    d = _desc(ctx, self)
    fd = d.dir_fd(mutate=True) if d.is_dir else d.fd
    st = os.fstat(fd)
    os.utime(fd, ns=(_ns(atime, st.st_atime_ns), _ns(mtime, st.st_mtime_ns)))


@fs_result
def read(ctx: HostContext, self: Any, length: int, offset: int) -> tuple[bytes, bool]:
    fd = _desc(ctx, self).file_fd("read")
    want = min(length, MAX_CHUNK)
    data = os.pread(fd, want, check_offset(offset))
    return data, len(data) < want  # a short read of a regular file means its end


@fs_result
def write(ctx: HostContext, self: Any, buffer: bytes, offset: int) -> int:
    fd = _desc(ctx, self).file_fd("write")
    return os.pwrite(fd, buffer, check_offset(offset))


def is_same_object(ctx: HostContext, self: Any, other: Any) -> bool:
    """Whether two descriptors name the same file (a plain bool: a failure means "not the same")."""
    try:
        a, b = os.fstat(_desc(ctx, self).fd), os.fstat(_desc(ctx, other).fd)
    except (FsError, OSError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _stat(ctx: HostContext, self: Any) -> Any:
    d = _desc(ctx, self)
    return _journaled_stat(ctx, os.fstat(d.fd), "filesystem::types::descriptor::stat", d.path,
                           lambda times: os.utime(d.fd, ns=times))


stat = fs_result(_stat)


@fs_result
def metadata_hash(ctx: HostContext, self: Any) -> Any:
    return _metadata_hash(_stat(ctx, self))


# -- descriptor: paths --------------------------------------------------------------------------------------


def _stat_target(t: Target) -> os.stat_result:
    return os.stat(t.name, dir_fd=t.dir_fd, follow_symlinks=False)


def _stat_at(ctx: HostContext, self: Any, path_flags: Collection[str], path: str) -> Any:
    d = _desc(ctx, self)
    with resolve(d.dir_fd(), path, _follow(path_flags)) as t:
        return _journaled_stat(
            ctx, _stat_target(t), "filesystem::types::descriptor::stat_at", posixpath.join(d.path, path),
            lambda times: os.utime(t.name, ns=times, dir_fd=t.dir_fd, follow_symlinks=False),
        )


stat_at = fs_result(_stat_at)


@fs_result
def metadata_hash_at(ctx: HostContext, self: Any, path_flags: Collection[str], path: str) -> Any:
    return _metadata_hash(_stat_at(ctx, self, path_flags, path))


@fs_result
def set_times_at(ctx: HostContext, self: Any, path_flags: Collection[str], path: str, atime: Any, mtime: Any) -> None:
    with resolve(_desc(ctx, self).dir_fd(mutate=True), path, _follow(path_flags)) as t:
        st = _stat_target(t)
        times = (_ns(atime, st.st_atime_ns), _ns(mtime, st.st_mtime_ns))
        os.utime(t.name, ns=times, dir_fd=t.dir_fd, follow_symlinks=False)


@fs_result
def create_directory_at(ctx: HostContext, self: Any, path: str) -> None:
    with resolve(_desc(ctx, self).dir_fd(mutate=True), path, False) as t:
        os.mkdir(t.name, dir_fd=t.dir_fd)


@fs_result
def remove_directory_at(ctx: HostContext, self: Any, path: str) -> None:
    with resolve(_desc(ctx, self).dir_fd(mutate=True), path, False) as t:
        os.rmdir(t.name, dir_fd=t.dir_fd)


@fs_result
def unlink_file_at(ctx: HostContext, self: Any, path: str) -> None:
    with resolve(_desc(ctx, self).dir_fd(mutate=True), path, False) as t:
        if t.dir_only:
            raise FsError("not-directory")
        os.unlink(t.name, dir_fd=t.dir_fd)


@fs_result
def readlink_at(ctx: HostContext, self: Any, path: str) -> str:
    with resolve(_desc(ctx, self).dir_fd(), path, False) as t:
        return os.readlink(t.name, dir_fd=t.dir_fd)


@fs_result
def symlink_at(ctx: HostContext, self: Any, old_path: str, new_path: str) -> None:
    base = _desc(ctx, self).dir_fd(mutate=True)
    if old_path.startswith("/"):
        raise FsError("not-permitted")  # an absolute link could point other host programs outside the sandbox
    if old_path == "":
        raise FsError("no-entry")
    if "\0" in old_path:
        raise FsError("invalid")
    with resolve(base, new_path, False) as t:
        os.symlink(old_path, t.name, dir_fd=t.dir_fd)


@fs_result
def link_at(
    ctx: HostContext, self: Any, old_flags: Collection[str], old_path: str, new_descriptor: Any, new_path: str,
) -> None:
    if _follow(old_flags):
        raise FsError("invalid")  # as wasmtime: hard links to a symlink's target are not offered
    old_base = _desc(ctx, self).dir_fd(mutate=True)
    new_base = _desc(ctx, new_descriptor).dir_fd(mutate=True)
    with resolve(old_base, old_path, False) as old, resolve(new_base, new_path, False) as new:
        os.link(old.name, new.name, src_dir_fd=old.dir_fd, dst_dir_fd=new.dir_fd, follow_symlinks=False)


@fs_result
def rename_at(ctx: HostContext, self: Any, old_path: str, new_descriptor: Any, new_path: str) -> None:
    old_base = _desc(ctx, self).dir_fd(mutate=True)
    new_base = _desc(ctx, new_descriptor).dir_fd(mutate=True)
    with resolve(old_base, old_path, False) as old, resolve(new_base, new_path, False) as new:
        os.rename(old.name, new.name, src_dir_fd=old.dir_fd, dst_dir_fd=new.dir_fd)


@fs_result
def open_at(
    ctx: HostContext, self: Any, path_flags: Collection[str], path: str, open_flags: Collection[str],
    flags: Collection[str],
) -> Any:
    d = _desc(ctx, self)
    base = d.dir_fd()
    create, truncate = "create" in open_flags, "truncate" in open_flags
    if (create or truncate or "write" in flags) and not d.mutable:
        raise FsError("not-permitted")
    if {"file-integrity-sync", "data-integrity-sync", "requested-write-sync"} & set(flags):
        raise FsError("unsupported")  # as wasmtime
    if "directory" in open_flags and (create or truncate or "exclusive" in open_flags):
        raise FsError("invalid")
    # wasmtime's open modes: creating implies writing, and a descriptor not opened for writing is readable.
    writes = "write" in flags or create
    reads = "read" in flags or "write" not in flags
    mode = os.O_RDWR if reads and (writes or truncate) else os.O_WRONLY if writes or truncate else os.O_RDONLY
    os_flags = mode | os.O_NOFOLLOW | os.O_CLOEXEC  # the resolver already followed whatever may be followed
    for name, bit in (("create", os.O_CREAT), ("exclusive", os.O_EXCL), ("truncate", os.O_TRUNC),
                      ("directory", os.O_DIRECTORY)):
        if name in open_flags:
            os_flags |= bit
    with resolve(base, path, _follow(path_flags)) as t:
        if t.dir_only:
            os_flags |= os.O_DIRECTORY
        if writes or truncate:
            t.refuse_read_only()
        fd = OpenFd(os.open(t.name, os_flags, 0o644, dir_fd=t.dir_fd))
    guest_path = posixpath.normpath(posixpath.join(d.path, path))
    if descriptor_type(os.fstat(fd.fd).st_mode) == "directory":
        dir_flags = frozenset({"read"} | ({"mutate-directory"} if writes else set()))
        return res.own(ctx, "descriptor", Descriptor(fd, True, dir_flags, guest_path, mutable=d.mutable))
    file_flags = frozenset(({"read"} if reads else set()) | ({"write"} if writes else set()))
    return res.own(ctx, "descriptor", Descriptor(fd, False, file_flags, guest_path))


# -- directory listings, errors, preopens -------------------------------------------------------------------


@fs_result
def read_directory(ctx: HostContext, self: Any) -> Any:
    d = _desc(ctx, self)
    d.dir_fd()
    return res.own(ctx, "directory-entry-stream", DirectoryEntryStream(d.file))


@fs_result
def read_directory_entry(ctx: HostContext, self: Any) -> Any:
    stream = res.get(ctx, self)
    if not isinstance(stream, DirectoryEntryStream):
        raise FsError("bad-descriptor")
    entry = stream.next()
    return None if entry is None else cv.record(type=entry[0], name=entry[1])


def filesystem_error_code(ctx: HostContext, error: Any) -> str | None:
    """The error-code behind a wasi:io `error` that a file stream reported, else none."""
    obj = res.get(ctx, error)
    code = getattr(obj, "code", None) if isinstance(obj, IoError) else None
    return code if isinstance(code, str) else None


TYPES: dict[str, Callable[..., Any]] = {
    "[method]descriptor.read-via-stream": read_via_stream,
    "[method]descriptor.write-via-stream": write_via_stream,
    "[method]descriptor.append-via-stream": append_via_stream,
    "[method]descriptor.advise": advise,
    "[method]descriptor.sync-data": sync_data,
    "[method]descriptor.get-flags": get_flags,
    "[method]descriptor.get-type": get_type,
    "[method]descriptor.set-size": set_size,
    "[method]descriptor.set-times": set_times,
    "[method]descriptor.read": read,
    "[method]descriptor.write": write,
    "[method]descriptor.read-directory": read_directory,
    "[method]descriptor.sync": sync,
    "[method]descriptor.create-directory-at": create_directory_at,
    "[method]descriptor.stat": stat,
    "[method]descriptor.stat-at": stat_at,
    "[method]descriptor.set-times-at": set_times_at,
    "[method]descriptor.link-at": link_at,
    "[method]descriptor.open-at": open_at,
    "[method]descriptor.readlink-at": readlink_at,
    "[method]descriptor.remove-directory-at": remove_directory_at,
    "[method]descriptor.rename-at": rename_at,
    "[method]descriptor.symlink-at": symlink_at,
    "[method]descriptor.unlink-file-at": unlink_file_at,
    "[method]descriptor.is-same-object": is_same_object,
    "[method]descriptor.metadata-hash": metadata_hash,
    "[method]descriptor.metadata-hash-at": metadata_hash_at,
    "[method]directory-entry-stream.read-directory-entry": read_directory_entry,
    "filesystem-error-code": filesystem_error_code,
}
