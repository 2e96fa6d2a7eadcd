"""Fixtures of the TUI tests: the sample database and a frozen clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.tui.sample import FROZEN_NOW, build_sample


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    """A data dir's oplog.db holding the sample workers."""
    db = tmp_path / "data" / "oplog.db"
    build_sample(db)
    return db


@pytest.fixture
def frozen_clock() -> Callable[[], float]:
    """A clock stuck at FROZEN_NOW (90 s after the sample's first entry)."""
    return lambda: FROZEN_NOW
