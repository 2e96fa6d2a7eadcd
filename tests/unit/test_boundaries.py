"""Architecture boundaries that keep the core small: checked in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_core_never_imports_textual() -> None:
    mods = _modules_after("import emulator.cli, emulator.runtime.worker")
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)


def test_oplog_imports_neither_wasmtime_nor_textual() -> None:
    mods = _modules_after("import emulator.oplog.store, emulator.oplog.oplog, emulator.oplog.codec")
    assert "wasmtime" not in mods and "textual" not in mods
