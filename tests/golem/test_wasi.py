"""Golem's executor tests wasi.rs (v1.2.4), run against golem-emu with the same components and expectations.

Golem's "restart the executor" becomes a second Emulator over the same data directory: the worker is then
recovered by replaying its oplog, which is what those tests check.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from emulator.errors import EmulatorError
from emulator.testing import Emulator
from tests.golem.conftest import component
from tests.golem.harness import Reply, serve, stdout_lines

API = "golem:it/api"


def test_write_stdout(emu: Emulator) -> None:
    """write_stdout: one stdout event with the sample line."""
    emu.worker("write-stdout-1", component("write-stdout")).invoke("run", [])
    assert stdout_lines(emu.data_dir, "write-stdout-1") == ["Sample text written to the output\n"]


def test_write_stderr(emu: Emulator) -> None:
    """write_stderr: one stderr event with the sample line."""
    emu.worker("write-stderr-1", component("write-stderr")).invoke("run", [])
    assert stdout_lines(emu.data_dir, "write-stderr-1", "stderr") == ["Sample text written to the error output\n"]


def test_read_stdin(emu: Emulator) -> None:
    """read_stdin: Golem disables stdin; reading it fails the invocation."""
    with pytest.raises(EmulatorError, match="standard input is disabled"):
        emu.worker("read-stdin-1", component("read-stdin")).invoke("run", [])


def test_clocks(emu: Emulator) -> None:
    """clocks: (seconds since the epoch, about 2 s elapsed across a sleep, an RFC 3339 time of now)."""
    result = emu.worker("clocks-1", component("clocks")).invoke("run", []).response
    assert result is not None
    epoch_text, elapsed_text, odt = result.strip("()").split(", ")
    now = time.time()
    assert abs(now - float(epoch_text)) < 5
    assert 2.0 <= float(elapsed_text) < 3.0
    assert now - datetime.fromisoformat(odt.strip('"').replace("Z", "+00:00")[:26] + "+00:00").timestamp() < 5


def test_file_write_read_delete(emu: Emulator) -> None:
    """file_write_read_delete: nothing, then the written text, then nothing after the delete."""
    w = emu.worker("file-write-read-delete-1", component("file-write-read-delete"),
                   env=[("RUST_BACKTRACE", "full")])
    assert w.invoke("run", []).response == '(none, some("hello world"), none)'


DIRECTORIES = '(0, [("/test", true)], [("/test/dir1", true), ("/test/dir2", true), ("/test/hello.txt", false)], 1)'


def test_directories(emu: Emulator) -> None:
    """directories: an empty root, then /test with two directories and a file, listed in name order."""
    assert emu.worker("directories-1", component("directories")).invoke("run", []).response == DIRECTORIES


def test_directories_replay(data_dir: Path) -> None:
    """directories_replay: the listing is stable, so recovering the worker by replay does not diverge."""
    with Emulator(data_dir) as emu:
        assert emu.worker("directories-1", component("directories")).invoke("run", []).response == DIRECTORIES
    with Emulator(data_dir) as emu:
        w = emu.worker("directories-1", component("directories"))
        w.recover()
        assert w.summary().status == "idle"


def test_environment_service(emu: Emulator) -> None:
    """environment_service: the worker's arguments, then its env followed by Golem's identity variables."""
    w = emu.worker("environment-service-1", component("environment-service"), args=["test-arg"],
                   env=[("TEST_ENV", "test-value")])
    assert w.invoke(f"{API}.{{get-arguments}}", []).response == 'ok(["test-arg"])'
    assert w.invoke(f"{API}.{{get-environment}}", []).response == (
        f'ok([("TEST_ENV", "test-value"), ("GOLEM_WORKER_NAME", "environment-service-1"), '
        f'("GOLEM_COMPONENT_ID", "{w.info.component_uuid}"), ("GOLEM_COMPONENT_VERSION", "0")])'
    )


def test_failing_worker(emu: Emulator) -> None:
    """failing_worker: add(50) panics with a runtime error whose wasm backtrace names the export; the next
    call is refused because the previous invocation failed."""
    w = emu.worker("failing-worker-1", component("failing-component"))
    w.invoke("golem:component/api.{add}", ["5"])
    with pytest.raises(EmulatorError) as failed:
        w.invoke("golem:component/api.{add}", ["50"])
    message = str(failed.value)
    assert "error while executing at wasm backtrace:" in message
    assert "failing_component.wasm!golem:component/api#add" in message
    with pytest.raises(EmulatorError, match="previous invocation failed"):
        w.invoke("golem:component/api.{get}", [])


# -- sleeping ------------------------------------------------------------------------------------------------


def test_sleep(emu: Emulator) -> None:
    """sleep: a 10 s sleep, then a 0 s sleep that returns at once."""
    w = emu.worker("clock-service-1", component("clock-service"))
    assert w.invoke(f"{API}.{{sleep}}", ["10"]).response == "ok"
    start = time.monotonic()
    assert w.invoke(f"{API}.{{sleep}}", ["0"]).response == "ok"
    assert time.monotonic() - start < 2


def test_resuming_sleep(data_dir: Path) -> None:
    """resuming_sleep: after a restart the worker is recovered (its recorded sleep is not slept again), and a
    new 10 s sleep takes 10 to 20 s."""
    with Emulator(data_dir) as emu:
        emu.worker("clock-service-2", component("clock-service")).invoke(f"{API}.{{sleep}}", ["10"])
    with Emulator(data_dir) as emu:
        start = time.monotonic()
        emu.worker("clock-service-2", component("clock-service")).invoke(f"{API}.{{sleep}}", ["10"])
        assert 10 <= time.monotonic() - start < 20


# -- the file service, and file times restored by replay -----------------------------------------------------


def test_file_write_read(emu: Emulator) -> None:
    """file_write_read: what write-file wrote, read-file reads."""
    w = emu.worker("file-service-1", component("file-service"))
    assert w.invoke(f"{API}.{{write-file}}", ['"/testfile.txt"', '"hello world"']).response == "ok"
    assert w.invoke(f"{API}.{{read-file}}", ['"/testfile.txt"']).response == 'ok("hello world")'


def test_file_service_write_direct(emu: Emulator) -> None:
    """file_service_write_direct: a relative path written directly is read back from the root."""
    w = emu.worker("file-service-2", component("file-service"))
    assert w.invoke(f"{API}.{{write-file-direct}}", ['"testfile.txt"', '"hello world"']).response == "ok"
    assert w.invoke(f"{API}.{{read-file}}", ['"/testfile.txt"']).response == 'ok("hello world")'


def test_file_hard_link(emu: Emulator) -> None:
    """file_hard_link: the link reads the same text."""
    w = emu.worker("file-service-3", component("file-service"))
    w.invoke(f"{API}.{{write-file}}", ['"/testfile.txt"', '"hello world"'])
    assert w.invoke(f"{API}.{{create-link}}", ['"/testfile.txt"', '"/link.txt"']).response == "ok"
    assert w.invoke(f"{API}.{{read-file}}", ['"/link.txt"']).response == 'ok("hello world")'


# (golem test, the steps before the first look, the paths looked at before and after a restart)
FILE_TIMES: list[tuple[str, list[tuple[str, list[str]]], list[tuple[str, str]]]] = [
    ("filesystem_write_replay_restores_file_times",
     [("write-file-direct", ["testfile.txt", "hello world"])], [("get-file-info", "/testfile.txt")]),
    ("filesystem_create_dir_replay_restores_file_times",
     [("create-directory", ["/test"])], [("get-info", "/")]),
    ("filesystem_link_replay_restores_file_times",
     [("create-directory", ["/test"]), ("create-directory", ["/test2"]),
      ("write-file", ["/test/testfile.txt", "hello world"]),
      ("create-link", ["/test/testfile.txt", "/test2/link.txt"])],
     [("get-info", "/test2/link.txt"), ("get-info", "/test2")]),
    ("filesystem_remove_dir_replay_restores_file_times",
     [("create-directory", ["/test"]), ("create-directory", ["/test/a"]), ("remove-directory", ["/test/a"])],
     [("get-info", "/test")]),
    ("filesystem_symlink_replay_restores_file_times",
     [("create-directory", ["/test"]), ("create-directory", ["/test2"]),
      ("write-file-direct", ["test/testfile.txt", "hello world"]),
      ("create-sym-link", ["../test/testfile.txt", "/test2/link.txt"])],
     [("get-info", "/test2/link.txt"), ("get-info", "/test2")]),
    ("filesystem_rename_replay_restores_file_times",
     [("create-directory", ["/test"]), ("create-directory", ["/test2"]),
      ("write-file", ["/test/testfile.txt", "hello world"]),
      ("rename-file", ["/test/testfile.txt", "/test2/link.txt"])],
     [("get-info", "/test"), ("get-info", "/test2"), ("get-info", "/test2/link.txt")]),
    ("filesystem_remove_file_replay_restores_file_times",
     [("create-directory", ["/test"]), ("write-file", ["/test/testfile.txt", "hello world"]),
      ("remove-file", ["/test/testfile.txt"])],
     [("get-info", "/test")]),
    ("filesystem_write_via_stream_replay_restores_file_times",
     [("write-file", ["/testfile.txt", "hello world"])], [("get-file-info", "/testfile.txt")]),
    ("filesystem_metadata_hash",
     [("write-file-direct", ["testfile.txt", "hello world"])], [("hash", "testfile.txt")]),
]


def _quoted(args: list[str]) -> list[str]:
    return [f'"{a}"' for a in args]


@pytest.mark.parametrize(("golem_test", "steps", "looks"), FILE_TIMES, ids=[case[0] for case in FILE_TIMES])
def test_file_times_survive_replay(data_dir: Path, golem_test: str, steps: list[tuple[str, list[str]]],
                                   looks: list[tuple[str, str]]) -> None:
    """The file service's times (and hash) read after a restart equal those read before it."""
    def look(emu: Emulator) -> list[str | None]:
        w = emu.worker("file-service-9", component("file-service"))
        return [w.invoke(f"{API}.{{{func}}}", [f'"{path}"']).response for func, path in looks]

    with Emulator(data_dir) as emu:
        w = emu.worker("file-service-9", component("file-service"))
        for func, args in steps:
            assert w.invoke(f"{API}.{{{func}}}", _quoted(args)).response == "ok", (func, args)
        before = look(emu)
    assert all(r is not None and r.startswith("ok(") for r in before), before
    with Emulator(data_dir) as emu:
        assert look(emu) == before


# -- HTTP clients ------------------------------------------------------------------------------------------


def _echo_post(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
    if method == "POST" and path == "/":
        return 200, f"response is {headers.get('x-test')} {body.decode()}".encode(), []
    return None


def test_http_client(emu: Emulator) -> None:
    """http_client: a POST with header X-Test and a body, answered "response is <header> <body>"."""
    with serve(_echo_post) as server:
        w = emu.worker("http-client-1", component("http-client"),
                       env=[("PORT", str(server.port)), ("RUST_BACKTRACE", "full")])
        assert w.invoke(f"{API}.{{run}}", []).response == '"200 response is test-header test-body"'


def test_http_client_using_reqwest(emu: Emulator) -> None:
    """http_client_using_reqwest: reqwest POSTs a JSON body once and decodes the JSON answer."""
    def route(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        if method == "POST" and path == "/post-example":
            header = headers.get("x-test", "no X-Test header")
            return 200, f'{{ "percentage" : 0.25, "message": "response message {header}" }}'.encode(), []
        return None

    with serve(route) as server:
        w = emu.worker("http-client-reqwest-1", component("http-client-2"), env=[("PORT", str(server.port))])
        result = w.invoke(f"{API}.{{run}}", []).response
        posts = [body for method, path, _, body in server.received if path == "/post-example"]
    assert result == '"200 ExampleResponse { percentage: 0.25, message: Some(\\"response message Golem\\") }"'
    assert posts == [b'{"name":"Something","amount":42,"comments":["Hello","World"]}']


def test_http_client_response_persisted_between_invocations(data_dir: Path) -> None:
    """http_client_response_persisted_between_invocations: the server answers 200 only the first time;
    send-request and process-response are separate invocations, and a restart in between replays the
    recorded response instead of asking again."""
    calls: list[int] = []

    def route(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        calls.append(1)
        if len(calls) == 1:
            return 200, f"response is {headers.get('x-test')} {body.decode()}".encode(), []
        return 404, b"", []

    with serve(route) as server:
        env = [("PORT", str(server.port))]
        with Emulator(data_dir) as emu:
            emu.worker("http-client-2", component("http-client"), env=env).invoke(f"{API}.{{send-request}}", [])
        with Emulator(data_dir) as emu:
            w = emu.worker("http-client-2", component("http-client"), env=env)
            assert w.invoke(f"{API}.{{process-response}}", []).response == '"200 response is test-header test-body"'
    assert len(calls) == 1
