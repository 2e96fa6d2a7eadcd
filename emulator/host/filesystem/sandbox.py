"""Path resolution confined to a directory, and errno -> wasi:filesystem `error-code`.

Every path a guest passes is resolved one component at a time from the descriptor's directory file
descriptor (openat-style, never through the host's own path lookup), so `..` above the base directory,
absolute paths and symlinks whose target is absolute or climbs out all fail with `not-permitted`, as the
WASI spec and wasmtime's cap-std sandbox do.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from wasmtime.component import Variant

from emulator.host._shapes import err, ok

# Same limit as Linux (MAXSYMLINKS): a longer chain is reported as a loop.
MAX_SYMLINKS = 40

_ERRNO_CODES: dict[int, str] = {
    errno.EACCES: "access", errno.EAGAIN: "would-block", errno.EALREADY: "already", errno.EBADF: "bad-descriptor",
    errno.EBUSY: "busy", errno.EDEADLK: "deadlock", errno.EDQUOT: "quota", errno.EEXIST: "exist",
    errno.EFBIG: "file-too-large", errno.EILSEQ: "illegal-byte-sequence", errno.EINPROGRESS: "in-progress",
    errno.EINTR: "interrupted", errno.EINVAL: "invalid", errno.EIO: "io", errno.EISDIR: "is-directory",
    errno.ELOOP: "loop", errno.EMLINK: "too-many-links", errno.EMSGSIZE: "message-size",
    errno.ENAMETOOLONG: "name-too-long", errno.ENODEV: "no-device", errno.ENOENT: "no-entry",
    errno.ENOLCK: "no-lock", errno.ENOMEM: "insufficient-memory", errno.ENOSPC: "insufficient-space",
    errno.ENOTDIR: "not-directory", errno.ENOTEMPTY: "not-empty", errno.ENOTRECOVERABLE: "not-recoverable",
    errno.ENOTSUP: "unsupported", errno.EOPNOTSUPP: "unsupported", errno.ENOSYS: "unsupported",
    errno.ENOTTY: "no-tty", errno.ENXIO: "no-such-device", errno.EOVERFLOW: "overflow",
    errno.EPERM: "not-permitted", errno.EPIPE: "pipe", errno.EROFS: "read-only", errno.ESPIPE: "invalid-seek",
    errno.ETXTBSY: "text-file-busy", errno.EXDEV: "cross-device",
}


class FsError(Exception):
    """A wasi:filesystem operation failed with `code` (an `error-code` case)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def code_of(e: OSError) -> str:
    """The `error-code` case for an OSError (`io` when nothing closer exists)."""
    return _ERRNO_CODES.get(e.errno or 0, "io")


def fs_result(fn: Callable[..., Any]) -> Callable[..., Variant]:
    """Turn a host function's value into ok(value) and its FsError/OSError into err(error-code)."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Variant:
        try:
            return ok(fn(*args))
        except FsError as e:
            return err(e.code)
        except OSError as e:
            return err(code_of(e))

    return wrapper


_MAX_OFFSET = (1 << 63) - 1  # off_t: a larger offset cannot name a byte of any host file


def check_offset(value: int) -> int:
    """`value` as a file offset or length; invalid if the host cannot represent it."""
    if value > _MAX_OFFSET:
        raise FsError("invalid")
    return value


def descriptor_type(mode: int) -> str:
    """The `descriptor-type` case for an st_mode."""
    if stat.S_ISREG(mode):
        return "regular-file"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symbolic-link"
    if stat.S_ISCHR(mode):
        return "character-device"
    if stat.S_ISBLK(mode):
        return "block-device"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "unknown"


class OpenFd:
    """An OS file descriptor shared by a descriptor and the streams made from it; closed by the last owner."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def close(self) -> None:
        """Close now (idempotent)."""
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)

    def __del__(self) -> None:
        # Instances are discarded without dropping every guest handle; refcounting still frees the fd.
        self.close()


class Target(NamedTuple):
    """Where a path ends: the directory (fd) holding the last component, its name, and whether a dir is required."""

    dir_fd: int
    name: str
    dir_only: bool

    def refuse_read_only(self) -> None:
        """A file without write permission bits (a read-only initial component file) cannot be opened for
        writing: `access`, as the host's permission check tells a non-root process, even when we run as root."""
        try:
            st = os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISREG(st.st_mode) and not st.st_mode & 0o222:
            raise FsError("access")


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@contextmanager
def resolve(base: int, path: str, follow: bool) -> Iterator[Target]:
    """Resolve `path` below the directory `base`; the yielded dir_fd is valid inside the `with` block.

    The final component is a symlink only when `follow` is false (then the link itself is the target);
    operations on the target must therefore never follow symlinks themselves.
    """
    stack: list[int] = []  # directories entered below `base`, each opened by us
    try:
        yield _walk(base, path, follow, stack)
    finally:
        for fd in stack:
            os.close(fd)


def _walk(base: int, path: str, follow: bool, stack: list[int]) -> Target:
    if path == "":
        raise FsError("no-entry")
    if path.startswith("/"):
        raise FsError("not-permitted")
    if "\0" in path:
        raise FsError("invalid")
    dir_only = path.endswith("/")
    parts = deque(path.rstrip("/").split("/"))
    follow = follow or dir_only  # POSIX: a trailing slash resolves a final symlink
    links = 0
    while parts:
        part = parts.popleft()
        last = not parts
        top = stack[-1] if stack else base
        if part in ("", "."):
            if last:
                return Target(top, ".", dir_only)
            continue
        if part == "..":
            if not stack:
                raise FsError("not-permitted")  # would leave the base directory
            os.close(stack.pop())
            if last:
                return Target(stack[-1] if stack else base, ".", dir_only)
            continue
        if last and not follow:
            return Target(top, part, dir_only)
        try:
            st = os.stat(part, dir_fd=top, follow_symlinks=False)
        except FileNotFoundError:
            if last:
                return Target(top, part, dir_only)  # may be about to be created
            raise
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > MAX_SYMLINKS:
                raise FsError("loop")
            target = os.readlink(part, dir_fd=top)
            if target.startswith("/"):
                raise FsError("not-permitted")
            if target == "":
                raise FsError("no-entry")
            parts.extendleft(reversed(target.split("/")))
            continue
        if last:
            return Target(top, part, dir_only)
        if not stat.S_ISDIR(st.st_mode):
            raise FsError("not-directory")
        stack.append(os.open(part, _DIR_FLAGS, dir_fd=top))
    raise AssertionError("unreachable: the loop returns at the last component")
