"""The toy bank of examples/bank, served on 127.0.0.1 for the crash-testing tests."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bank_module() -> ModuleType:
    """examples/bank/server.py, imported by path (examples are not a package)."""
    spec = importlib.util.spec_from_file_location("bank_server", ROOT / "examples" / "bank" / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bank() -> Iterator[object]:
    """A running bank; `.base` is its URL, `.ledger()` what it has seen."""
    server = bank_module().Bank().start()
    yield server
    server.shutdown()
    server.server_close()
