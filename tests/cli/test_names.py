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


# Every bad name, as each entry point can be given it (a NUL cannot be on a real command line, but the
# in-process CLI, the Python API and a guest's string can all carry one).
BAD = ["", ".", "..", "/", "../../outside", "/tmp/abs", "a\x00b", "x" * (MAX_NAME_BYTES + 1)]
# "." and ".." are valid Golem worker names (they only map to a hashed directory); as the target of a path
# they are exercised by test_accepted_names_get_a_directory_inside_the_data_dir and the fork test below.
REFUSED_EVERYWHERE = [n for n in BAD if n not in (".", "..")]
COMMANDS = [
    ["fork", "ok", "{}", "--at", "2"], ["fork", "{}", "ok", "--at", "2"], ["oplog", "{}"], ["show", "{}"],
    ["resume", "{}"], ["result", "{}", "k"], ["interrupt", "{}"], ["revert", "{}", "--to-index", "1"],
    ["promise", "complete", "{}", "1", "x"], ["update", "{}", FS], ["component", "add", FS, "--name", "{}"],
    ["delete", "{}"], ["tui", "{}"], ["invoke", FS, "-w", "{}", "list-dir", '"/"'],
]


@pytest.mark.parametrize("name", REFUSED_EVERYWHERE, ids=[repr(n)[:12] for n in REFUSED_EVERYWHERE])
def test_every_command_refuses_every_bad_name(tmp_path: Path, name: str) -> None:
    from click.testing import CliRunner

    from emulator.cli import cli
    from emulator.oplog.names import InvalidName

    data = tmp_path / "data"
    for template in COMMANDS:
        args = [name if a == "{}" else a for a in template]
        r = CliRunner().invoke(cli, ["--data-dir", str(data), *args])
        assert isinstance(r.exception, InvalidName), (args, r.output, r.exception)
    assert not data.exists()  # refused before the data dir was even created


GUEST_CALLS = [  # resilience's exports that hand a name to golem:api: fork, update-, revert-worker, promises
    ("split", '"{}"'), ("update-other", '"{}" 0 false'), ("revert-other", '"{}" 1'), ("complete", '"{}" 1 "x"'),
]


def _wave(name: str) -> str:
    from emulator.wave.lexer import quote_string

    return quote_string(name)


@pytest.mark.parametrize(("function", "shape"), GUEST_CALLS, ids=[f for f, _ in GUEST_CALLS])
def test_a_guest_cannot_give_any_bad_name(tmp_path: Path, function: str, shape: str) -> None:
    from emulator.errors import EmulatorError

    data = tmp_path / "data"
    before = _files(tmp_path)
    with Emulator(data) as emu:
        worker = emu.worker("g", guest("resilience"))
        for name in REFUSED_EVERYWHERE:
            args = [_wave(name), *shape.split(" ")[1:]]
            with pytest.raises(EmulatorError, match="invalid worker name"):
                worker.invoke(function, args)
        assert emu.store.worker_names() == ["g"]  # no worker was made from any bad name
    assert _outside_data(tmp_path, data, before) == set()


def test_forks_named_dot_dot_or_by_case_stay_inside_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = _files(tmp_path)
    assert golem_emu(data, "invoke", FS, "-w", "src", "write-file", '"f"', '"src"').returncode == 0
    for target in ("..", ".", "Fork", "fork"):
        r = golem_emu(data, "fork", "src", target, "--at", "2")
        assert r.returncode == 0, (target, r.stderr)
        w = golem_emu(data, "invoke", FS, "-w", target, "write-file", '"f"', f'"{target}"')
        assert w.returncode == 0, (target, w.stderr)
    for target in ("..", ".", "Fork", "fork"):
        assert (sandbox_dir(data, target) / "f").read_text() == target
    assert len({p.name.lower() for p in (data / "sandbox").iterdir()}) == 5
    assert _outside_data(tmp_path, data, before) == set()


def test_export_file_names_never_collide_by_case() -> None:
    from emulator.oplog.names import file_stem

    stems = [file_stem(n) for n in ("shop", "Shop", "SHOP", "..", "a\\b")]
    assert stems[0] == "shop"  # a plain name stays readable
    assert len({s.lower() for s in stems}) == len(stems)
    assert all("/" not in s and s not in (".", "..") for s in stems)
