"""Filesystem probe guest: plain Python file operations, reported as text so tests can see what failed."""

import os

from componentize_py_types import Err
from wit_world import exports


def _error(e: OSError) -> Err[str]:
    return Err(f"{type(e).__name__}: {e.strerror}")


class Api(exports.Api):
    """emu:fs-probe/api."""

    def read_file(self, path: str) -> str:
        """Read a text file."""
        try:
            with open(path, encoding="utf-8") as f:
                return f.read()
        except OSError as e:
            raise _error(e) from None

    def write_file(self, path: str, data: str) -> None:
        """Create or replace a text file."""
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(data)
        except OSError as e:
            raise _error(e) from None

    def list_dir(self, path: str) -> list[str]:
        """Sorted names in a directory."""
        try:
            return sorted(os.listdir(path))
        except OSError as e:
            raise _error(e) from None

    def make_dir(self, path: str) -> None:
        """Create one directory."""
        try:
            os.mkdir(path)
        except OSError as e:
            raise _error(e) from None

    def symlink(self, target: str, link: str) -> None:
        """Create a symbolic link."""
        try:
            os.symlink(target, link)
        except OSError as e:
            raise _error(e) from None

    def stat(self, path: str) -> tuple[int, int]:
        """Size and modification time of a path."""
        try:
            st = os.stat(path)
        except OSError as e:
            raise _error(e) from None
        return st.st_size, st.st_mtime_ns
