"""Real storage faults for tests: a read-only data directory and a full disk, made the strongest way this
machine allows (a mount when running as root, else file permissions and a file-size limit)."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from emulator.cli.common import cache_dir


def _mount(*args: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextmanager
def read_only(data: Path) -> Iterator[Path]:
    """`data` seen through a read-only path: a read-only bind mount as root (root ignores permissions),
    else the same directory with its write permissions taken away."""
    view = data.with_name(data.name + "-ro")
    view.mkdir()
    if _mount("--bind", "-o", "ro", str(data), str(view)):
        try:
            yield view
        finally:
            subprocess.run(["umount", str(view)], check=True)
        return
    view.rmdir()
    modes = {p: p.stat().st_mode for p in [data, *data.rglob("*")]}
    for p in modes:
        p.chmod(modes[p] & ~0o222)
    try:
        yield data
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


@contextmanager
def small_disk(where: Path, size_kib: int) -> Iterator[bool]:
    """A tmpfs of `size_kib` at `where` if this process may mount one (yields True), else a plain directory
    (yields False: use a file-size limit instead)."""
    where.mkdir(parents=True, exist_ok=True)
    if not _mount("-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(where)):
        yield False
        return
    try:
        yield True
    finally:
        if subprocess.run(["umount", str(where)]).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=True)  # still busy: detach it anyway


def fill(where: Path, leave_bytes: int) -> Path:
    """Fill the filesystem at `where` with a ballast file until about `leave_bytes` are free."""
    ballast = where / "ballast"
    st = os.statvfs(where)
    free = st.f_bavail * st.f_frsize
    with open(ballast, "wb") as f:
        f.write(b"\0" * max(0, free - leave_bytes))
    return ballast


def golem_emu_limited(data: Path, fsize_bytes: int | None, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process, optionally with a file-size limit (RLIMIT_FSIZE, as `ulimit -f`)."""
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}

    def limit() -> None:
        if fsize_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_bytes, fsize_bytes))

    return subprocess.run([sys.executable, "-m", "emulator", "--data-dir", str(data), *args],
                          capture_output=True, text=True, env=env, timeout=120, preexec_fn=limit)
