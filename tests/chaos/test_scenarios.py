"""Scenario files: the examples hold, and a failing expectation says what was expected, what happened, where."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, golem_emu

EXAMPLES = sorted((ROOT / "examples" / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_example_scenarios_hold(tmp_path: Path, path: Path) -> None:
    done = golem_emu(tmp_path, "scenario", "run", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every expectation held" in done.stdout


def test_a_failing_expectation_prints_expected_actual_and_the_oplog(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "scenarios" / "crash-and-restart.toml").read_text()
    component = (ROOT / "guests" / "build" / "counter.wasm").as_posix()
    broken = text.replace('"../../guests/build/counter.wasm"', f'"{component}"').replace('value = "1"', 'value = "2"')
    path = tmp_path / "broken.toml"
    path.write_text(broken)
    done = golem_emu(tmp_path, "scenario", "run", str(path))
    assert done.returncode == 1
    assert "expected result of first '2', got '1'" in done.stdout
    assert "exported-function-completed" in done.stdout.split("the oplog around it:")[1]


def test_a_malformed_scenario_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[step]]\ncreate = "a"\ninvoke = "a"\n')
    done = golem_emu(tmp_path, "scenario", "run", str(path))
    assert done.returncode == 2 and "exactly one of" in done.stderr


def test_the_verdict_stays_on_one_line_when_the_file_path_is_long(tmp_path: Path) -> None:
    # Piped output is 80 columns wide to rich; a long path must not split the verdict over two lines.
    deep = tmp_path / ("a-directory-with-a-rather-long-name-" * 3) / "scenarios"
    deep.mkdir(parents=True)
    text = (ROOT / "examples" / "scenarios" / "crash-and-restart.toml").read_text()
    component = (ROOT / "guests" / "build" / "counter.wasm").as_posix()
    path = deep / "crash-and-restart.toml"
    path.write_text(text.replace('"../../guests/build/counter.wasm"', f'"{component}"'))
    done = golem_emu(tmp_path, "scenario", "run", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{path}: every expectation held\n" in done.stdout
