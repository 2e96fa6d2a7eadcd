"""The Python objects behind wasi:filesystem resources: descriptors, file streams, directory listings."""

from __future__ import annotations

import os
from pathlib import Path

from emulator.host.filesystem.sandbox import FsError, OpenFd, code_of, descriptor_type
from emulator.host.io.objects import InputStream, OutputStream, StreamClosed, StreamFailed

# One read or write moves at most this much, so a guest asking for 2**64 bytes cannot exhaust the host.
MAX_CHUNK = 1 << 22
PREOPEN = "/"  # the guest's name for the sandbox root


class Descriptor:
    """A wasi:filesystem `descriptor`: an open directory or file inside the sandbox.

    As in wasmtime, `flags` is what get-flags reports (the open mode), while `mutable` is the permission that
    directory operations check; a directory opened below another inherits its permission.
    """

    def __init__(self, file: OpenFd, is_dir: bool, flags: frozenset[str], path: str, mutable: bool = False) -> None:
        self.file = file
        self.is_dir = is_dir
        self.flags = flags
        self.mutable = mutable
        self.path = path  # as the guest sees it; names the journaled stat requests

    @property
    def fd(self) -> int:
        """The open OS file descriptor."""
        if self.file.fd < 0:
            raise FsError("bad-descriptor")
        return self.file.fd

    def dir_fd(self, mutate: bool = False) -> int:
        """The fd of a directory descriptor; not-directory for files, not-permitted for a read-only directory."""
        if not self.is_dir:
            raise FsError("not-directory")
        if mutate and not self.mutable:
            raise FsError("not-permitted")
        return self.fd

    def file_fd(self, need: str | None = None) -> int:
        """The fd of a file descriptor opened with `need` ("read"/"write"); bad-descriptor otherwise."""
        if self.is_dir or (need is not None and need not in self.flags):
            raise FsError("bad-descriptor")
        return self.fd

    def drop(self) -> None:
        """The guest dropped the descriptor; streams made from it keep the file open until they are dropped."""
        self.file = OpenFd(-1)


def open_preopen(sandbox: Path) -> Descriptor:
    """A read/mutate descriptor for the sandbox root, created on first use."""
    sandbox.mkdir(parents=True, exist_ok=True)
    fd = os.open(sandbox, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    return Descriptor(OpenFd(fd), True, frozenset({"read", "mutate-directory"}), PREOPEN, mutable=True)


class FileStreamFailed(StreamFailed):
    """A file stream operation failed; `code` is what `filesystem-error-code` reports for the error."""

    def __init__(self, e: OSError) -> None:
        super().__init__(e.strerror or str(e))
        self.code = code_of(e)


class FileInputStream(InputStream):
    """Reads a file from an offset on; files are always ready, so blocking and non-blocking reads agree."""

    def __init__(self, file: OpenFd, offset: int) -> None:
        self.file: OpenFd | None = file
        self.offset = offset

    def read(self, length: int) -> bytes:
        if self.file is None:
            raise StreamClosed()
        if length == 0:
            return b""
        try:
            data = os.pread(self.file.fd, min(length, MAX_CHUNK), self.offset)
        except OSError as e:
            raise FileStreamFailed(e) from None
        if not data:
            raise StreamClosed()
        self.offset += len(data)
        return data

    def blocking_read(self, length: int) -> bytes:
        return self.read(length)

    def drop(self) -> None:
        self.file = None


class FileOutputStream(OutputStream):
    """Writes a file from an offset on, or always at its end when appending."""

    def __init__(self, file: OpenFd, offset: int, append: bool = False) -> None:
        self.file: OpenFd | None = file
        self.offset = offset
        self.append = append

    def check_write(self) -> int:
        if self.file is None:
            raise StreamClosed()
        return MAX_CHUNK

    def write(self, data: bytes) -> None:
        if self.file is None:
            raise StreamClosed()
        try:
            fd = self.file.fd
            offset = os.fstat(fd).st_size if self.append else self.offset
            view = memoryview(data)
            while view:  # pwrite may write less than asked (signals, quotas): finish the job or fail
                n = os.pwrite(fd, view, offset)
                view, offset = view[n:], offset + n
            self.offset = offset
        except OSError as e:
            raise FileStreamFailed(e) from None

    def drop(self) -> None:
        self.file = None


class DirectoryEntryStream:
    """A wasi:filesystem `directory-entry-stream`: the directory's entries, read when the stream was made."""

    def __init__(self, directory: OpenFd) -> None:
        # os.scandir(fd) would close a dup of fd only at the end; listing eagerly keeps the fd's lifetime simple.
        self.entries: list[tuple[str, str]] = []
        with os.scandir(directory.fd) as it:
            for entry in it:
                try:
                    kind = descriptor_type(entry.stat(follow_symlinks=False).st_mode)
                except OSError:
                    kind = "unknown"  # removed while listing
                self.entries.append((kind, entry.name))
        # Golem lists a directory in name order, so that a replayed listing cannot differ from the first
        self.entries.sort(key=lambda entry: entry[1], reverse=True)  # pop() from the end: a, b, c

    def next(self) -> tuple[str, str] | None:
        """(descriptor-type, name) of the next entry, or None at the end."""
        return self.entries.pop() if self.entries else None
