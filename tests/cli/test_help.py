"""`golem-emu --help` lists every command without importing what only running a command needs."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import click

from emulator.cli.app import COMMANDS, cli

_MODULES = ("components", "explore", "files", "invoke", "inspect", "manage", "project", "promises", "replicas",
            "scenario", "serve")


def test_the_lazy_table_lists_every_command_with_its_own_help() -> None:
    found: dict[str, tuple[str, str]] = {}
    for module in _MODULES:
        for command in importlib.import_module(f"emulator.cli.{module}").COMMANDS:
            found[command.name] = (module, " ".join((command.help or "").split("\n\n")[0].split()))
    assert found == COMMANDS, "emulator/cli/app.py's COMMANDS must list every command, its module and its help"


def test_every_listed_command_resolves() -> None:
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name


def test_help_imports_neither_wasmtime_nor_rich_nor_the_http_stack() -> None:
    code = ("import sys\nfrom emulator.cli import main\nsys.argv = ['golem-emu', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('wasmtime', 'rich', 'urllib3', 'sqlite3')"
            " or m.startswith(('emulator.runtime', 'emulator.host', 'emulator.oplog'))), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Commands:" in out.stdout and "invoke" in out.stdout
    assert out.stderr.strip() == "[]"


def test_invoking_a_component_without_http_imports_neither_the_http_stack_nor_a_server_client(tmp_path: Path) -> None:
    # A counter's invocation in a new process: wasi:http's host side (urllib3) and the client of `golem-emu serve`
    # (http.client) are imported only by what uses them; together they were 50 ms of the process's start-up.
    from tests.conftest import ROOT

    code = ("import sys\nfrom emulator.cli import main\n"
            f"sys.argv = ['golem-emu', '--data-dir', {str(tmp_path)!r}, 'invoke', "
            f"{str(ROOT / 'guests' / 'build' / 'counter.wasm')!r}, '-w', 'c', 'increment']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'urllib3' or m == 'http.client'"
            " or m.startswith('emulator.host.http.serving')), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"
    assert out.stderr.strip().splitlines()[-1] == "[]"
