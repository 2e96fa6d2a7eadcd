"""The inspection commands: oplog (ranges, queries, table/json/jsonl), workers, show, tui's argument checks."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from emulator.cli import cli
from emulator.cli.inspect import COMMANDS
from emulator.inspect.export import parse_document, parse_jsonl
from emulator.oplog.entries import READ_LOCAL, Create, ImportedFunctionInvoked, Log
from emulator.oplog.store import SqliteStore
from tests.conftest import golem_emu
from tests.replica_files import hold
from tests.tui.sample import build_sample


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data dir with the sample workers ``shop`` and ``idle``."""
    build_sample(tmp_path / "data" / "oplog.db")
    return tmp_path / "data"


def run(data: Path, *args: str) -> Result:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--data-dir", str(data), *args],
                                                      catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _digest(data: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(data.glob("oplog.db*"))
                                   if not p.name.endswith("-shm"))).hexdigest()


def test_jsonl_round_trips_to_the_same_entries(data: Path) -> None:
    with SqliteStore(data / "oplog.db") as store:  # payloads that need the codec's escaping, too
        store.create_worker("odd", Create(worker_name="odd", component="c", component_hash="00"))
        store.append("odd", 2, [
            ImportedFunctionInvoked(function_name="h", request={"$type": "x", "$$y": [math.inf, -math.inf]},
                                    response={"ok": math.nan, "ünï": "☃\n\"q\""}, function_type=READ_LOCAL),
            Log(level="stderr", context="c", message="[red]not markup[/red]"),
        ])
        expected = {w: store.read(w) for w in ("shop", "odd")}
    for worker, entries in expected.items():
        parsed = parse_jsonl(run(data, "oplog", worker, "--format", "jsonl").output)
        assert [i for i, _ in parsed] == [i for i, _ in entries]
        for (_, got), (_, want) in zip(parsed, entries, strict=True):
            if worker == "odd" and isinstance(want, ImportedFunctionInvoked):
                assert isinstance(got, ImportedFunctionInvoked) and math.isnan(got.response["ok"])  # type: ignore
                assert got.request == want.request
            else:
                assert got == want


def test_json_is_an_array_of_the_same_documents(data: Path) -> None:
    lines = run(data, "oplog", "shop", "--format", "jsonl").output.splitlines()
    array = json.loads(run(data, "oplog", "shop", "--format", "json").output)
    assert array == [json.loads(line) for line in lines]
    first = array[0]
    assert first["index"] == 1 and first["$type"] == "create" and first["worker-name"] == "shop"
    assert first["env"] == [["REGION", "eu"]] and "component-hash" in first
    assert parse_document(array[8])[1].kind == "imported-function-invoked"
    assert json.loads(run(data, "oplog", "shop", "--to", "1", "--format", "json").output) == array[:1]
    assert json.loads(run(data, "oplog", "shop", "--from", "99", "--format", "json").output) == []


def test_the_json_flag_still_means_jsonl(data: Path) -> None:
    assert run(data, "oplog", "idle", "--json").output == run(data, "oplog", "idle", "--format", "jsonl").output


def test_range_and_query_select_entries(data: Path) -> None:
    def indices(*args: str) -> list[int]:
        return [i for i, _ in parse_jsonl(run(data, "oplog", "shop", "--format", "jsonl", *args).output)]

    assert indices("--from", "20", "--to", "22") == [20, 21, 22]
    assert indices("--query", "kind:error") == [23, 25]
    assert indices("-q", "fn:now AND NOT index:16") == [3, 19]
    assert indices("--from", "10", "-q", "imported-function") == [10, 16, 19]
    assert indices("-q", '"payment service"') == [23, 25]
    assert indices("--from", "26") == []


def test_table_shows_one_line_per_entry(data: Path) -> None:
    out = run(data, "oplog", "shop").output
    lines = out.splitlines()
    assert "oplog of shop" in lines[0] and lines[1].split()[:3] == ["#", "time", "kind"]
    assert len(lines) == 2 + 25
    row12 = next(line for line in lines if line.lstrip().startswith("12 "))
    assert "exported-function-completed" in row12 and "shop:cart/api.{add}" in row12  # borrowed from #2
    assert "[stdout] adding [bold]5[/bold] items" in out  # user text is printed, never taken for markup
    filtered = run(data, "oplog", "shop", "-q", "error")
    assert "matching error" in filtered.output and "guest trapped" in filtered.output


def test_bad_query_is_one_line_and_exit_2(data: Path) -> None:
    r = golem_emu(data, "oplog", "shop", "--query", "kind:(error")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "missing closing parenthesis" in r.stderr


def test_unknown_worker_names_the_known_ones(data: Path) -> None:
    r = golem_emu(data, "oplog", "nope")
    assert r.returncode == 2 and "workers: idle, shop" in r.stderr
    r = golem_emu(data, "tui", "nope")
    assert r.returncode == 2 and "no worker named 'nope'" in r.stderr


def test_workers_formats(data: Path) -> None:
    table = run(data, "workers").output
    assert "retrying" in table and "idle" in table and "last activity" in table
    rows = json.loads(run(data, "workers", "--format", "json").output)
    assert [(r["name"], r["status"], r["oplog_length"]) for r in rows] == [("idle", "idle", 3),
                                                                           ("shop", "retrying", 25)]
    assert rows[1]["last_activity"] == 1_700_000_000_000 + 137 * 24
    lines = run(data, "workers", "--format", "jsonl").output.splitlines()
    assert [json.loads(line) for line in lines] == rows
    assert run(data, "workers", "--json").output.splitlines() == lines


def test_show(data: Path) -> None:
    facts = json.loads(run(data, "show", "shop", "--format", "json").output)
    assert facts["status"] == "retrying" and facts["env"] == {"REGION": "eu"} and facts["args"] == ["--fast"]
    assert facts["invocations"] == {"completed": 2, "open": {"index": 21, "function": "shop:cart/api.{pay}",
                                                             "idempotency_key": "k3"}}
    assert facts["retry"]["policy"]["max_attempts"] == 3 and facts["retry"]["trailing_errors"] == 2
    assert facts["retry"]["last_error"] == "guest trapped: payment service timed out again"
    assert facts["pending_promises"] == [14] and facts["replicas"] == []
    text = run(data, "show", "shop").output
    for needle in ("retrying", "REGION=eu", "max 3 attempts", "pending promises  #14", "replicas          none",
                   "running #21 shop:cart/api.{pay}"):
        assert needle in text
    idle = json.loads(run(data, "show", "idle", "--format", "json").output)
    assert idle["status"] == "idle" and idle["retry"]["policy"] is None and idle["pending_promises"] == []


def test_show_lists_each_replica_file_with_its_lag(data: Path) -> None:
    hold(data, "shop", [25, 20, 0], lag_ms=40)
    facts = json.loads(run(data, "show", "shop", "--format", "json").output)
    assert [(r["name"], r["last_index"], r["lag"]) for r in facts["replicas"]] == [
        ("replica-1", 25, 0), ("replica-2", 20, 5), ("replica-3", 0, 25)]
    assert "replica-2: index 20 (5 behind), lag 40 ms" in run(data, "show", "shop").output


def test_a_store_without_replica_settings_reports_none(data: Path) -> None:
    with SqliteStore(data / "oplog.db", readonly=True) as store:
        assert store.replicas("shop") == []
    tables = {r[0] for r in sqlite3.connect(data / "oplog.db").execute("SELECT name FROM sqlite_master")}
    assert "replicas" not in tables  # nothing reads a table that nothing creates


def test_inspection_never_writes(data: Path) -> None:
    before = _digest(data)
    for args in (["workers"], ["oplog", "shop"], ["oplog", "shop", "--format", "json"], ["show", "shop"]):
        run(data, *args)
    assert _digest(data) == before


@pytest.mark.parametrize("command", [c.name for c in COMMANDS])
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output and len(result.output.splitlines()) > 3


def test_no_database_yet(tmp_path: Path) -> None:
    assert run(tmp_path / "empty", "workers", "--format", "json").output.strip() == "[]"
    r = golem_emu(tmp_path / "empty", "show", "w")
    assert r.returncode == 2 and "no workers yet" in r.stderr


def test_the_json_format_doc_lists_every_kind_and_field() -> None:
    from dataclasses import fields

    from emulator.oplog.entries import ENTRY_TYPES

    doc = (Path(__file__).resolve().parents[2] / "docs" / "oplog-json.md").read_text()
    rows = {line.split("|")[1].strip().strip("`"): line for line in doc.splitlines() if line.startswith("| `")}
    for kind, cls in ENTRY_TYPES.items():
        assert kind in rows, f"docs/oplog-json.md has no row for {kind}"
        for f in fields(cls):
            if f.name != "timestamp":
                assert f"`{f.name.replace('_', '-')}`" in rows[kind], f"{kind}.{f.name} is not documented"
