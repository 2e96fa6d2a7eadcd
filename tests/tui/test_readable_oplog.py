"""A real HTTP oplog as a person reads it: the table's HTTP summary, piped output uncut, text bodies and headers
as text in the TUI's detail pane, and componentize-py's runtime noise folded with a key to unfold it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from emulator.inspect import http_view
from emulator.oplog.entries import ImportedFunctionInvoked
from emulator.oplog.store import SqliteStore
from emulator.runtime.engine import Runtime
from emulator.runtime.worker import Worker
from tests.conftest import ROOT, golem_emu, guest
from tests.http_server import serve
from tests.tui.harness import make_app, oplog_screen, run_app, screen_text, settle

TEXT = "hello from the guest, in plain text"


@pytest.fixture(scope="module")
def http_oplog(runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A data dir whose worker `web` POSTed TEXT to /echo and GOT 300 binary bytes, through requests."""
    data = tmp_path_factory.mktemp("readable")
    store = SqliteStore(data / "oplog.db")
    with serve() as server:
        worker = Worker.open(runtime, store, "web", guest("http-effects"))
        for method, path, body in (("POST", "/echo", TEXT.encode()), ("GET", "/bytes/300", b"")):
            args = [json.dumps(method), json.dumps(f"{server.base}{path}"), json.dumps(list(body)), "requests", "0"]
            assert worker.invoke("fetch", args).response.startswith('ok("200 ')  # type: ignore[union-attr]
        worker.close()
        base = server.base
    store.close()
    return data, base


def _index_of(data: Path, predicate: Any) -> int:
    store = SqliteStore(data / "oplog.db", readonly=True)
    try:
        return next(i for i, e in store.read("web") if predicate(e))
    finally:
        store.close()


def test_the_table_reads_method_url_status_and_size_and_is_not_cut_when_piped(http_oplog: tuple[Path, str]) -> None:
    data, base = http_oplog
    piped = golem_emu(data, "oplog", "web")  # stdout is a pipe here
    assert piped.returncode == 0, piped.stderr
    assert f"POST {base}/echo -> 200 ({len(TEXT)} B)" in piped.stdout
    assert f"GET {base}/bytes/300 -> 200 (300 B)" in piped.stdout
    assert f"body {len(TEXT)} B: {TEXT}" in piped.stdout
    assert "http::types::future_incoming_response::get" in piped.stdout
    assert "…" not in piped.stdout
    # Uncut, yet not padded: a line ends where its own text does (the widest row, a body, pads no other line),
    # and the title starts the output instead of being centred over that row.
    lines = piped.stdout.splitlines()
    assert lines[0] == "oplog of web", lines[0][:120]
    assert all(line == line.rstrip() for line in lines)
    assert min(len(line) for line in lines[1:]) < 200
    narrow = golem_emu(data, "oplog", "web", "--width", "80")
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    assert "…" in narrow.stdout


def test_show_is_not_wrapped_when_piped(http_oplog: tuple[Path, str]) -> None:
    data, _ = http_oplog
    shown = golem_emu(data, "show", "web")
    assert shown.returncode == 0
    component = next(line for line in shown.stdout.splitlines() if line.startswith("component"))
    assert component.rstrip().endswith("golem-1.1)")  # one line, however long


def test_text_bodies_and_headers_are_text_in_the_detail_pane(http_oplog: tuple[Path, str]) -> None:
    data, _ = http_oplog
    response = _index_of(data, lambda e: isinstance(e, ImportedFunctionInvoked) and e.function_name == http_view.GET
                         and "status" in json.dumps(e.response) and "echo" in json.dumps(e.request))
    text_read = _index_of(data, lambda e: isinstance(e, ImportedFunctionInvoked)
                          and e.function_name in http_view.READS and "data" in json.dumps(e.response))
    binary_read = _index_of(data, lambda e: isinstance(e, ImportedFunctionInvoked) and e.function_name
                            in http_view.READS and "data" in json.dumps(e.response) and
                            http_view.as_text(e.response["ok"]["data"]) is None)  # type: ignore[index]
    app = make_app(data / "oplog.db", worker="web")
    seen: dict[int, str] = {}

    async def body(pilot: Any) -> None:
        screen = oplog_screen(app)
        for index in (response, text_read, binary_read):
            screen.table.go_to_index(index)
            await pilot.press("enter")
            await pilot.pause()
            seen[index] = screen_text(app)

    run_app(app, body, size=(160, 60))
    assert '"content-type: application/octet-stream"' in seen[response]  # a header, decoded
    assert "YXBwbGljYXRpb24v" not in seen[response]  # ... and not its base64
    assert f'"data (text)": "{TEXT}"' in seen[text_read]
    assert '"data (base64)"' in seen[binary_read]


def test_runtime_noise_is_folded_counted_and_unfolded_with_n(http_oplog: tuple[Path, str]) -> None:
    data, _ = http_oplog
    app = make_app(data / "oplog.db", worker="web")
    screens: list[str] = []

    async def body(pilot: Any) -> None:
        screen = oplog_screen(app)
        await settle(pilot, lambda: screen.source.filter_complete)
        await pilot.pause()
        screens.append(screen_text(app))
        await pilot.press("n")
        await pilot.pause()
        screens.append(screen_text(app))

    run_app(app, body, size=(160, 60))
    folded, unfolded = screens
    count = re.search(r"(\d+) runtime-noise entries folded \(randomness, clock reads; n shows them\)", folded)
    assert count and int(count.group(1)) >= 10  # componentize-py's start-up alone reads randomness ten times
    assert "get_random_bytes" not in folded and "wall_clock::now" not in folded
    assert "get_random_bytes" in unfolded and "runtime-noise entries folded" not in unfolded
    assert "n noise" in folded.replace("\xa0", " ")  # the key is in the footer


def test_show_crash_points_keeps_each_point_on_one_line_when_stderr_is_piped(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "--data-dir", str(tmp_path), "invoke", str(guest("counter")),
         "-w", "c", "--show-crash-points", "increment"],
        capture_output=True, text=True, cwd=ROOT, env={"COLUMNS": "40", "PATH": ""}, timeout=120)
    assert done.returncode == 0, done.stderr
    points = [line for line in done.stderr.splitlines() if "committing" in line or "journaling" in line]
    assert points and any(len(line) > 40 for line in points)
    assert all(re.match(r"^\S+ \(#\d+\) ", line) for line in points), points
