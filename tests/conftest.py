"""Shared fixtures: a real SQLite store on disk, a runtime with the shared artifact cache, built guests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.cli.common import cache_dir
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from tests.http_server import CountingServer, serve

ROOT = Path(__file__).resolve().parent.parent
GUESTS = ROOT / "guests" / "build"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def runtime() -> Runtime:
    """One Runtime for the session: components compile once, then load from the artifact cache."""
    return Runtime(cache_dir())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    """A fresh oplog database file."""
    s = SqliteStore(tmp_path / "oplog.db")
    yield s
    s.close()


def guest(name: str) -> Path:
    """Path of a guest built by `make guests`; a clear failure if it is missing."""
    path = GUESTS / f"{name}.wasm"
    if not path.exists():
        pytest.fail(f"guest {name} is not built: run `make guests` (or `make test`)")
    return path


def wat_component(name: str, tmp_path: Path) -> Path:
    """Assemble tests/fixtures/<name>.wat into a component file."""
    import wasmtime

    out = tmp_path / f"{name}.wasm"
    out.write_bytes(wasmtime.wat2wasm((FIXTURES / f"{name}.wat").read_text()))
    return out


def golem_emu(data_dir: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in its own process."""
    env = {**os.environ, "GOLEM_EMU_CACHE": str(cache_dir())}
    return subprocess.run(
        [sys.executable, "-m", "emulator", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, env=env, check=check, timeout=120,
    )


@pytest.fixture
def http_server() -> Iterator[CountingServer]:
    """A real HTTP server on 127.0.0.1 that counts what it receives per path (see tests/http_server.py)."""
    with serve() as server:
        yield server
