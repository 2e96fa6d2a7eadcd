"""The exit-code policy (README, "Exit codes"): 2 for bad input, 1 for a failed invocation, 0 otherwise.

Also: messages about a missing component file fit where the user is, and the first compilation of a
component says what is happening on stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from tests.conftest import ROOT, golem_emu

# A component without imports: compiles in milliseconds. `ok` returns 7, `boom` traps.
_WAT = """(component
  (core module $m
    (func (export "boom") unreachable)
    (func (export "ok") (result i32) i32.const 7))
  (core instance $i (instantiate $m))
  (func $boom (canon lift (core func $i "boom")))
  (func $ok (result u32) (canon lift (core func $i "ok")))
  (instance $api (export "boom" (func $boom)) (export "ok" (func $ok)))
  (export "emu:exit/api" (instance $api)))"""


@pytest.fixture
def component(tmp_path: Path) -> Path:
    path = tmp_path / "exit.wasm"
    path.write_bytes(wasmtime.wat2wasm(_WAT))
    return path


def _run(cwd: Path, *args: str, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if cache is not None:
        env["GOLEM_EMU_CACHE"] = str(cache)
    return subprocess.run([sys.executable, "-m", "emulator", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_success_exits_0(tmp_path: Path, component: Path) -> None:
    done = golem_emu(tmp_path / "data", "invoke", str(component), "-w", "w", "ok")
    assert (done.returncode, done.stdout.strip()) == (0, "7")


def test_a_failed_invocation_exits_1(tmp_path: Path, component: Path) -> None:
    done = golem_emu(tmp_path / "data", "invoke", str(component), "-w", "w", "--no-wait", "boom")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["invoke"], ["no-such-command"], ["invoke", "X", "-w", "w", "ok", "--bogus"],
                                  ["oplog", "nobody"]])
def test_bad_command_lines_exit_2(tmp_path: Path, component: Path, args: list[str]) -> None:
    args = [str(component) if a == "X" else a for a in args]
    golem_emu(tmp_path / "data", "invoke", str(component), "-w", "w", "ok")
    done = golem_emu(tmp_path / "data", *args)
    assert done.returncode == 2, done.stderr


def test_bad_arguments_exit_2(tmp_path: Path, component: Path) -> None:
    done = golem_emu(tmp_path / "data", "invoke", str(component), "-w", "w", "ok", "extra")
    assert done.returncode == 2 and "takes 0 arguments" in done.stderr


def test_a_core_module_is_named_as_one_and_exits_2(tmp_path: Path) -> None:
    core = tmp_path / "core.wasm"
    core.write_bytes(wasmtime.wat2wasm('(module (func (export "f")))'))
    done = golem_emu(tmp_path / "data", "invoke", str(core), "-w", "w", "f")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: {core} is a core WebAssembly module; golem-emu runs components: build with cargo-component, "
        "componentize-py, or wrap it with `wasm-tools component new`")
    assert not (tmp_path / "data" / "oplog.db").exists() or "w" not in golem_emu(tmp_path / "data", "workers").stdout


def test_a_file_that_is_not_webassembly_exits_2(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.wasm"
    bogus.write_text("definitely not wasm")
    done = golem_emu(tmp_path / "data", "invoke", str(bogus), "-w", "w", "f")
    assert done.returncode == 2
    assert "is not WebAssembly" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_missing_component_advice_depends_on_where_the_user_is(tmp_path: Path) -> None:
    elsewhere = _run(tmp_path, "--data-dir", "d", "invoke", "guests/build/app.wasm", "-w", "w", "f")
    assert elsewhere.returncode == 2
    assert "make guests" not in elsewhere.stderr and "check the path" in elsewhere.stderr

    in_repo = _run(ROOT, "--data-dir", str(tmp_path / "d"), "invoke", "guests/build/nope.wasm", "-w", "w", "f")
    assert in_repo.returncode == 2 and "build it first (make guests)" in in_repo.stderr

    project = tmp_path / "bank"
    (project / "wit").mkdir(parents=True)
    (project / "wit" / "app.wit").write_text("package bank:app;")
    (project / "Makefile").write_text("all:\n")
    in_project = _run(project, "--data-dir", "d", "invoke", "build/bank.wasm", "-w", "w", "f")
    assert in_project.returncode == 2 and "build it first (make)" in in_project.stderr


def test_the_first_compilation_says_what_it_does_and_that_it_is_cached(tmp_path: Path, component: Path) -> None:
    cache = tmp_path / "cache"
    first = _run(tmp_path, "--data-dir", "d", "invoke", str(component), "-w", "w", "ok", cache=cache)
    assert first.returncode == 0, first.stderr
    lines = first.stderr.splitlines()
    assert lines[0] == (f"compiling exit.wasm (0.0 MB) to machine code: the first run of this component needs "
                        f"it; the result is cached in {cache}, so later runs start at once")
    assert lines[1].startswith("compiled exit.wasm in ") and lines[1].endswith(" s (cached)")
    again = _run(tmp_path, "--data-dir", "d", "invoke", str(component), "-w", "w", "ok", cache=cache)
    assert again.returncode == 0 and "compil" not in again.stderr
