"""Golem's Rust HTTP cases (reqwest over wasi:http, component http-client-2) from api.rs and wasi.rs (v1.2.4).

The worker runs in its own process (the real CLI); the test is the server beside it and the party that
interrupts and resumes, as the Golem tests are.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tests.golem.conftest import component
from tests.golem.harness import Reply, cli, cli_background, has_worker, serve, status, stdout_lines, wait_for

API = "golem:it/api"


class PollServer:
    """GET /poll answers the current text (Golem's test switches it from "initial" to the awaited value)."""

    def __init__(self) -> None:
        self.text = "initial"

    def route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        return (200, self.text.encode(), []) if path.startswith("/poll") else None


def _start_polling(data_dir: Path, port: int, worker: str, until: str) -> object:
    wasm = str(component("http-client-2"))
    proc = cli_background(data_dir, "invoke", wasm, "--worker", worker, "--env", f"PORT={port}",
                          f"{API}.{{start-polling}}", f'"{until}"')
    wait_for(lambda: has_worker(data_dir, worker) and "Received initial\n" in stdout_lines(data_dir, worker),
             "the poll loop to run")
    return proc


def test_long_running_poll_loop_works_as_expected(data_dir: Path) -> None:
    """long_running_poll_loop_works_as_expected: the loop runs until the server says "first"; then Idle."""
    polls = PollServer()
    with serve(polls.route) as server:
        proc = _start_polling(data_dir, server.port, "poll-loop-component-0", "first")
        assert status(data_dir, "poll-loop-component-0") == "running"
        polls.text = "first"
        assert proc.wait(timeout=60) == 0  # type: ignore[attr-defined]
    assert status(data_dir, "poll-loop-component-0") == "idle"
    assert stdout_lines(data_dir, "poll-loop-component-0")[-1] == "Poll loop finished\n"


def test_long_running_poll_loop_connection_breaks_on_interrupt(data_dir: Path) -> None:
    """..._connection_breaks_on_interrupt and ..._retry_does_not_resume_interrupted_worker: an interrupt stops
    the loop; the worker stays Interrupted (nothing resumes it by itself)."""
    polls = PollServer()
    with serve(polls.route) as server:
        proc = _start_polling(data_dir, server.port, "poll-loop-component-3", "first")
        assert cli(data_dir, "interrupt", "poll-loop-component-3").returncode == 0
        proc.wait(timeout=60)  # type: ignore[attr-defined]
        assert status(data_dir, "poll-loop-component-3") == "interrupted"
        polls.text = "first"  # were it resumed, it would now finish
        threading.Event().wait(2)
        assert status(data_dir, "poll-loop-component-3") == "interrupted"


def test_long_running_poll_loop_worker_can_be_deleted_after_interrupt(data_dir: Path) -> None:
    """long_running_poll_loop_worker_can_be_deleted_after_interrupt: the loop is interrupted, its oplog can be
    read, the worker is deleted, and then there is no such worker. (Golem interrupts a running worker itself
    before deleting it; golem-emu refuses while another process runs it, which the first delete here shows.)"""
    polls = PollServer()
    worker = "poll-loop-component-5"
    with serve(polls.route) as server:
        proc = _start_polling(data_dir, server.port, worker, "first")
        refused = cli(data_dir, "delete", worker)
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines() == [
            f"error: worker {worker} is running in process {proc.pid}; interrupt it first "  # type: ignore[attr-defined]
            f"(golem-emu interrupt {worker}), then delete it"]
        assert cli(data_dir, "interrupt", worker).returncode == 0
        proc.wait(timeout=60)  # type: ignore[attr-defined]
    assert cli(data_dir, "oplog", worker).returncode == 0
    deleted = cli(data_dir, "delete", worker)
    assert deleted.returncode == 0, deleted.stderr
    assert not has_worker(data_dir, worker)
    assert cli(data_dir, "show", worker).returncode == 2


def test_long_running_poll_loop_connection_can_be_restored_after_resume(data_dir: Path) -> None:
    """..._connection_can_be_restored_after_resume: interrupted, then resumed, the loop polls again and
    finishes when the server says "first"; the worker ends Idle."""
    polls = PollServer()
    worker = "poll-loop-component-4"
    with serve(polls.route) as server:
        proc = _start_polling(data_dir, server.port, worker, "first")
        assert cli(data_dir, "interrupt", worker).returncode == 0
        proc.wait(timeout=60)  # type: ignore[attr-defined]
        assert status(data_dir, worker) == "interrupted"
        seen = len(stdout_lines(data_dir, worker))
        resumed = cli_background(data_dir, "resume", worker)
        wait_for(lambda: "Received initial\n" in stdout_lines(data_dir, worker)[seen:], "the resumed loop to poll")
        polls.text = "first"
        assert resumed.wait(timeout=60) == 0
    after = stdout_lines(data_dir, worker)[seen:]
    assert "Calling the poll endpoint\n" in after and "Received first\n" in after
    assert after[-1] == "Poll loop finished\n"
    assert status(data_dir, worker) == "idle"


def test_http_client_interrupting_response_stream(data_dir: Path) -> None:
    """http_client_interrupting_response_stream: a 100 KiB body streamed slowly is interrupted halfway; after
    resume the same invocation (by its idempotency key) returns the whole length."""
    halfway = threading.Event()

    def route(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        if path != "/big-byte-array":
            return None
        chunks = [bytes(1024)] * 100
        threading.Timer(50 * 0.02, halfway.set).start()  # about when chunk 50 goes out
        return 200, chunks, [("content-type", "application/octet-stream")]

    wasm = str(component("http-client-2"))
    with serve(route) as server:
        proc = cli_background(data_dir, "invoke", wasm, "--worker", "http-client-2", "--env", f"PORT={server.port}",
                              "--idempotency-key", "slow-key", f"{API}.{{slow-body-stream}}")
        assert halfway.wait(timeout=60)
        assert cli(data_dir, "interrupt", "http-client-2").returncode == 0
        proc.wait(timeout=60)  # type: ignore[attr-defined]
        resumed = cli(data_dir, "resume", "http-client-2")
        assert resumed.returncode == 0, resumed.stderr
        again = cli(data_dir, "invoke", wasm, "--worker", "http-client-2", "--idempotency-key", "slow-key",
                    f"{API}.{{slow-body-stream}}")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == str(100 * 1024)


def _running_by_filter(data_dir: Path, worker: str) -> list[str]:
    listed = cli(data_dir, "workers", "--format", "jsonl", "--filter", f"name == {worker} and status == running")
    assert listed.returncode == 0, listed.stderr
    return listed.stdout.splitlines()


def test_long_running_poll_loop_interrupting_and_resuming_by_second_invocation(data_dir: Path) -> None:
    """..._interrupting_and_resuming_by_second_invocation: the loop runs (a running worker by the filter), is
    interrupted (none running); a second start-polling("second") resumes it: the first loop goes on and ends
    when the server says "first", then the second runs and ends on "second"; the worker ends Idle."""
    polls = PollServer()
    worker = "poll-loop-component-1"
    with serve(polls.route) as server:
        first = _start_polling(data_dir, server.port, worker, "first")
        assert len(_running_by_filter(data_dir, worker)) == 1
        assert cli(data_dir, "interrupt", worker).returncode == 0
        first.wait(timeout=60)  # type: ignore[attr-defined]
        assert status(data_dir, worker) == "interrupted"
        assert _running_by_filter(data_dir, worker) == []
        seen = len(stdout_lines(data_dir, worker))
        second = cli_background(data_dir, "invoke", str(component("http-client-2")), "--worker", worker,
                                f"{API}.{{start-polling}}", '"second"')
        wait_for(lambda: "Received initial\n" in stdout_lines(data_dir, worker)[seen:], "the first loop to poll again")
        polls.text = "first"
        wait_for(lambda: "Poll loop finished\n" in stdout_lines(data_dir, worker)[seen:], "the first loop to end")
        polls.text = "second"
        _, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
    after = stdout_lines(data_dir, worker)[seen:]
    assert after.count("Poll loop finished\n") == 2 and "Received second\n" in after
    assert status(data_dir, worker) == "idle"
    assert cli(data_dir, "oplog", worker).returncode == 0


def test_invocation_queue_is_persistent(data_dir: Path) -> None:
    """invocation_queue_is_persistent: three increments are queued while the loop runs; the worker is
    interrupted and the process gone. A new process's increment resumes it: the loop ends on "done", the
    queue runs, then its own increment; get-count says 4."""
    polls = PollServer()
    worker = "invocation-queue-is-persistent"
    wasm = str(component("http-client-2"))
    with serve(polls.route) as server:
        looping = _start_polling(data_dir, server.port, worker, "done")
        for _ in range(3):
            queued = cli(data_dir, "invoke", wasm, "--worker", worker, "--enqueue", f"{API}.{{increment}}")
            assert queued.returncode == 0 and "queued invocation" in queued.stderr, queued.stderr
        assert cli(data_dir, "interrupt", worker).returncode == 0
        looping.wait(timeout=60)  # type: ignore[attr-defined]
        assert status(data_dir, worker) == "interrupted"
        seen = len(stdout_lines(data_dir, worker))
        resumed = cli_background(data_dir, "invoke", wasm, "--worker", worker, f"{API}.{{increment}}")
        wait_for(lambda: "Received initial\n" in stdout_lines(data_dir, worker)[seen:], "the loop to poll again")
        polls.text = "done"
        _, err = resumed.communicate(timeout=60)
        assert resumed.returncode == 0, err
        count = cli(data_dir, "invoke", wasm, "--worker", worker, f"{API}.{{get-count}}")
    assert count.returncode == 0 and count.stdout.strip() == "4", (count.stdout, count.stderr)
    assert cli(data_dir, "oplog", worker).returncode == 0
