"""docs/tutorial.md, run as written: `golem-emu new`, `make test`, the bug from its diff, `explore` finding it.

Every ```sh line of the tutorial is run with bash in an empty directory (a trailing `# exits N` comment
gives the exit code it must have, 0 otherwise), and every ```diff block is applied to its file in order.
This is also the end-to-end test of `golem-emu new python DIR && make -C DIR test`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```(sh|diff)\n(.*?)^```", re.S | re.M)


def _apply(diff: str, cwd: Path, project: str) -> None:
    target = re.search(r"^\+\+\+ b/(\S+)", diff, re.M)
    assert target, "a diff block names its file"
    path = cwd / project / target.group(1)
    old = "\n".join(line[1:] for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    new = "\n".join(line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    text = path.read_text()
    assert old in text, f"the tutorial's diff no longer matches {path.name}"
    path.write_text(text.replace(old, new))


def test_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("GOLEM_EMU_HOME", None)
    outputs = []
    project = ""
    for kind, body in BLOCK.findall(TUTORIAL.read_text()):
        if kind == "diff":
            _apply(body, tmp_path, project)
            continue
        for line in body.splitlines():
            command, _, comment = line.partition("#")
            if not command.strip():
                continue
            expected = re.search(r"exits (\d+)", comment)
            if command.startswith("golem-emu new"):
                project = command.split()[-1]
            done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True,
                                  text=True, timeout=600)
            want = int(expected.group(1)) if expected else 0
            assert done.returncode == want, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
            outputs.append(done.stdout + done.stderr)
    assert len(outputs) == 3
    assert "3 passed" in outputs[1]  # the generated project passes every crash point
    # After the diff, explore finds the bug: some crash point sent the withdrawal twice.
    assert "2 passed, 1 failed" in outputs[2] or "1 failed, 2 passed" in outputs[2]
    assert "the bank applied [('withdraw', 'alice', 5), ('withdraw', 'alice', 5)" in outputs[2]


def test_a_new_project_builds_and_its_transfer_runs(tmp_path: Path) -> None:
    """`golem-emu new python bank && make -C bank`, then the project's own test of one transfer."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("GOLEM_EMU_HOME", None)
    for command in ("golem-emu new python bank", "make -C bank",
                    "cd bank && python3 -m pytest -q tests -k 'moves_the_money and not crash_point'"):
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "1 passed" in done.stdout
