"""`golem-emu new` and `golem-emu wit` for every golem:api 1.1.x version: the WIT resolves, and bad input exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emulator.scaffold import wit_deps
from tests.conftest import golem_emu

COMPONENTIZE_PY = Path(sys.executable).parent / "componentize-py"


@pytest.mark.parametrize("version", wit_deps.HOST_VERSIONS)
def test_each_host_version_gives_a_world_componentize_py_resolves(tmp_path: Path, version: str) -> None:
    project = tmp_path / "bank"
    done = golem_emu(tmp_path / "data", "new", "python", str(project), "--host-version", version)
    assert done.returncode == 0, done.stderr
    assert f"import golem:api/host@{version};" in (project / "wit" / "app.wit").read_text()
    assert sorted(p.name for p in (project / "wit" / "deps").glob("golem-api-*")) == [f"golem-api-{version}"]
    bindings = subprocess.run([str(COMPONENTIZE_PY), "-d", "wit", "-w", "app", "bindings", str(tmp_path / "b")],
                              cwd=project, capture_output=True, text=True)
    assert bindings.returncode == 0, bindings.stderr
    host = (tmp_path / "b" / "wit_world" / "imports" / "host.py").read_text()
    for control in ("mark_begin_operation", "mark_end_operation", "set_idempotence_mode",
                    "set_oplog_persistence_level", "oplog_commit"):
        assert f"def {control}(" in host, control


def test_wit_rewrites_the_deps_of_an_existing_project_for_another_version(tmp_path: Path) -> None:
    project = tmp_path / "bank"
    assert golem_emu(tmp_path / "data", "new", "python", str(project), "--host-version", "1.1.7").returncode == 0
    done = golem_emu(tmp_path / "data", "wit", str(project), "--host-version", "1.1.0")
    assert done.returncode == 0, done.stderr
    deps = project / "wit" / "deps"
    assert sorted(p.name for p in deps.glob("golem-api-*")) == ["golem-api-1.1.0"]
    assert (deps / "golem-rpc-0.1.0" / "types.wit").exists()
    assert (deps / "wasi-http-0.2.12" / "package.wit").exists()


def test_new_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    project = tmp_path / "bank"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    done = golem_emu(tmp_path / "data", "new", "python", str(project))
    assert done.returncode == 2
    assert "already exists and is not empty" in done.stderr
    assert sorted(p.name for p in project.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("args", [["new", "python", "x", "--host-version", "1.2.0"],
                                  ["new", "rust", "x"], ["wit", "missing-dir"]])
def test_bad_input_exits_2(tmp_path: Path, args: list[str]) -> None:
    done = golem_emu(tmp_path / "data", *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
