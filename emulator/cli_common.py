"""What every command shares: the data directory, the artifact cache location and the consoles."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

from rich.console import Console

from emulator.errors import UsageError
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime

DEFAULT_DATA_DIR = ".golem-emu"


def cache_dir() -> Path:
    """Compiled artifacts are shared by every data dir: compiling a component costs seconds."""
    explicit = os.environ.get("GOLEM_EMU_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "golem-emu"


class Env:
    """What every command needs: the data directory, its store and the runtime."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._store: SqliteStore | None = None
        self._runtime: Runtime | None = None

    @property
    def store(self) -> SqliteStore:
        """The oplog database of this data directory."""
        if self._store is None:
            self._store = SqliteStore(self.data_dir / "oplog.db")
        return self._store

    def readonly_store(self) -> SqliteStore:
        """The oplog database, opened read-only; a clear error if there is none yet."""
        path = self.data_dir / "oplog.db"
        if not path.exists():
            raise UsageError(f"no workers yet in {self.data_dir} (invoke a component first, or pass --data-dir)")
        return SqliteStore(path, readonly=True)

    @property
    def components_dir(self) -> Path:
        """Where the exact wasm of every worker is kept, by hash."""
        return self.data_dir / "components"

    @property
    def runtime(self) -> Runtime:
        """The wasmtime runtime with its artifact cache."""
        if self._runtime is None:
            self._runtime = Runtime(cache_dir())
        return self._runtime


err_console = Console(stderr=True, highlight=False)
out_console = Console(highlight=False)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one error line on stderr and exit with `code`."""
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    sys.exit(code)
