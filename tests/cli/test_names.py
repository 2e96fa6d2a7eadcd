"""Every name a user or a guest gives that could become a path stays inside the data directory: Golem's rules
for worker names refuse the bad ones where they enter, and the accepted ones map to a directory of their own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emulator.errors import UsageError
from emulator.oplog.names import MAX_NAME_BYTES, path_component, sandbox_dir
from emulator.testing import Emulator
from tests.conftest import golem_emu, guest

FS = str(guest("fs-probe"))


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _outside_data(tmp_path: Path, data: Path, before: set[Path]) -> set[Path]:
    """What appeared under tmp_path but outside the data directory (nothing may)."""
    return {p for p in _files(tmp_path) - before if data != p and data not in p.parents}


REFUSED = [
    ("", "1 to 512 bytes"),
    ("/", "'/'"),
    ("../../outside", "'/'"),
    ("/tmp/abs", "'/'"),
    ("a b", "whitespace"),
    ("-w", "start with '-'"),
    ("x" * (MAX_NAME_BYTES + 1), "1 to 512 bytes"),
    ("é" * 257, "1 to 512 bytes"),  # 514 bytes in UTF-8: Golem counts bytes
    ("tab\there", "whitespace"),
    ("bell\x07", "control characters"),
]


@pytest.mark.parametrize(("name", "why"), REFUSED, ids=[repr(n)[:20] for n, _ in REFUSED])
def test_cli_refuses_bad_worker_names_before_writing(tmp_path: Path, name: str, why: str) -> None:
    data = tmp_path / "data"
    before = _files(tmp_path)
    r = golem_emu(data, "invoke", FS, f"--worker={name}", "write-file", '"pwn.txt"', '"x"')
    assert r.returncode == 2, r.stderr
    assert "invalid worker name" in r.stderr and why in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert _outside_data(tmp_path, data, before) == set()
    assert not (data / "oplog.db").exists()  # refused before anything was created


ACCEPTED = ["..", ".", "x" * MAX_NAME_BYTES, "é" * 256, "CON", "a\\b", "~root"]


def test_accepted_names_get_a_directory_inside_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = _files(tmp_path)
    for name in ACCEPTED:
        r = golem_emu(data, "invoke", FS, f"--worker={name}", "write-file", '"pwn.txt"', f'"{len(name)}"')
        assert r.returncode == 0, (name, r.stderr)
        assert (sandbox_dir(data, name) / "pwn.txt").read_text() == str(len(name))
        assert len(path_component(name)) <= 60
    assert _outside_data(tmp_path, data, before) == set()
    # the guest's "/" is its own directory: it sees neither the database nor another worker's files
    listing = golem_emu(data, "invoke", FS, "--worker=..", "list-dir", '"/"')
    assert listing.stdout.strip() == 'ok(["pwn.txt"])', listing.stderr
    workers = golem_emu(data, "workers", "--format", "jsonl")  # oplog.db is intact, every worker in it
    assert workers.returncode == 0 and workers.stdout.count('"name"') == len(ACCEPTED), workers.stderr


def test_names_differing_only_in_case_never_share_a_directory(tmp_path: Path) -> None:
    # Golem's names are case-sensitive; on a case-insensitive filesystem (macOS's default) "Case" and "case"
    # would be one directory if names were used as they are.
    data = tmp_path / "data"
    for name in ("Case", "case", "CASE"):
        assert golem_emu(data, "invoke", FS, "-w", name, "write-file", '"who"', f'"{name}"').returncode == 0
    dirs = [p.name.lower() for p in (data / "sandbox").iterdir()]
    assert len(set(dirs)) == 3, dirs
    for name in ("Case", "case", "CASE"):
        assert golem_emu(data, "invoke", FS, "-w", name, "read-file", '"who"').stdout.strip() == f'ok("{name}")'


def test_every_command_that_names_a_worker_checks_it(tmp_path: Path) -> None:
    # In-process (the invoke test above runs real processes): every command's name check, before any work.
    from click.testing import CliRunner

    from emulator.cli import cli
    from emulator.oplog.names import InvalidName

    data = tmp_path / "data"
    runner = CliRunner()
    for args in (["fork", "ok", "../evil", "--at", "2"], ["fork", "ok", "", "--at", "2"], ["oplog", "a/b"],
                 ["show", "--", "-x"], ["resume", "a b"], ["result", "", "k"], ["interrupt", "/"],
                 ["revert", "../ok", "--to-index", "1"], ["promise", "complete", "a/b", "1", "x"],
                 ["update", "..//", FS], ["component", "add", FS, "--name", "../c"], ["tui", "a/b"],
                 ["invoke", FS, "-w", "/etc", "list-dir", '"/"']):
        r = runner.invoke(cli, ["--data-dir", str(data), *args])
        assert isinstance(r.exception, InvalidName), (args, r.output, r.exception)
        assert " name " in str(r.exception) and "Golem's rules" in str(r.exception)
    assert not data.exists()  # refused before the data dir was even created


def test_python_api_checks_names(tmp_path: Path) -> None:
    with Emulator(tmp_path / "data") as emu:
        for name in ("", "../x", "a\x00b", "/abs", "n" * (MAX_NAME_BYTES + 1)):
            with pytest.raises(UsageError, match="invalid worker name"):
                emu.worker(name, FS)
        assert emu.store.worker_names() == []


def test_store_refuses_a_bad_name_whoever_creates_the_worker(tmp_path: Path) -> None:
    from emulator.oplog.entries import Create
    from emulator.oplog.store import SqliteStore

    with SqliteStore(tmp_path / "oplog.db") as store:
        with pytest.raises(UsageError, match="invalid worker name"):
            store.create_worker("../x", Create(worker_name="../x", component="c", component_hash="0"))
        assert store.worker_names() == []


@pytest.mark.parametrize(("function", "args"), [
    ("split", ['"../../evil"']),                 # golem:api fork
    ("update-other", ['"../x"', "0", "false"]),  # update-worker
    ("revert-other", ['"a/b"', "1"]),            # revert-worker
    ("complete", ['"/etc"', "1", '"x"']),        # complete-promise
])
def test_guest_given_names_are_checked(tmp_path: Path, function: str, args: list[str]) -> None:
    from emulator.errors import EmulatorError

    data = tmp_path / "data"
    with Emulator(data) as emu:
        worker = emu.worker("g", guest("resilience"))
        with pytest.raises(EmulatorError, match="invalid worker name") as raised:
            worker.invoke(function, args)
        assert f"{function.replace('split', 'fork').replace('-other', '-worker')}" in str(raised.value) or \
            "complete-promise" in str(raised.value)
        assert emu.store.worker_names() == ["g"]  # no worker was made from the bad name
    assert not (tmp_path / "evil").exists() and not any(p.name == "evil" for p in data.rglob("*"))


def test_nul_cannot_reach_a_path(tmp_path: Path) -> None:
    # A NUL cannot be passed on a command line; through the Python API it is refused like any bad name.
    with pytest.raises(UsageError, match="control characters"):
        path_component("a\x00b")
    assert os.sep not in path_component("..") and path_component("..") not in (".", "..")
