"""The conformance suite: Golem's own test components (release v1.2.4), run the way Golem's executor tests run them.

The corpus lives outside the repository, at `../shared/golem-test-components` beside the work tree (or wherever
GOLEM_TEST_COMPONENTS points). CI sets GOLEM_TEST_COMPONENTS and a missing corpus is an error there; elsewhere
the whole suite is skipped with one line that says where it looked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    """Where the corpus is: GOLEM_TEST_COMPONENTS, else ../shared/golem-test-components from the repo root."""
    given = os.environ.get("GOLEM_TEST_COMPONENTS")
    return Path(given) if given else ROOT.parent / "shared" / "golem-test-components"


CORPUS = corpus_dir()
MISSING = None if (CORPUS / "manifest.json").is_file() else (
    f"Golem's test components not found at {CORPUS} (set GOLEM_TEST_COMPONENTS to run the conformance suite)"
)
if MISSING and os.environ.get("GOLEM_TEST_COMPONENTS"):
    raise pytest.UsageError(f"GOLEM_TEST_COMPONENTS is set but {MISSING}")


# Without the corpus only test_corpus.py is collected, and it reports the one skip.
collect_ignore = [] if not MISSING else [
    p.name for p in Path(__file__).parent.glob("test_*.py") if p.name != "test_corpus.py"
]


def component(name: str) -> Path:
    """The corpus file of component `name` (as Golem's tests name it, without .wasm)."""
    path = CORPUS / f"{name}.wasm"
    if not path.is_file():
        pytest.fail(f"{name}.wasm is not in the corpus at {CORPUS}")
    return path


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    """golem-emu in-process over a fresh data directory, with retries decided without sleeping."""
    with Emulator(tmp_path / "golem-emu") as e:
        yield e


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory shared by several Emulator instances of one test (a restarted executor)."""
    return tmp_path / "golem-emu"
