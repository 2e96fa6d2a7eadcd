"""wasi:cli and wasi:logging: journaled environment, exit signals, stdin, and console output as Log entries."""

from __future__ import annotations

import pytest
from wasmtime.component import Variant

from emulator.errors import GuestTrap
from emulator.host.cli import interfaces as cli
from emulator.host.context import HostContext
from emulator.host.io import interfaces as io
from emulator.host.logging import interfaces as wasi_logging
from emulator.host.random import interfaces as rnd
from emulator.oplog.entries import Log
from emulator.oplog.store import SqliteStore
from emulator.signals import ExitSignal
from tests.host.hostctx import entries, journaled, make_ctx, ok


def shown_by(ctx: HostContext) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    ctx.on_output = lambda stream, text: seen.append((stream, text))
    return seen


def logs(ctx: HostContext) -> list[tuple[str, str, str]]:
    return [(e.level, e.context, e.message) for e in entries(ctx) if isinstance(e, Log)]


def test_environment_is_the_workers_plus_golems_identity_and_replays(store: SqliteStore) -> None:
    live = make_ctx(store, env=(("REGION", "eu"), ("GOLEM_WORKER_NAME", "spoofed")), args=("--fast",))
    env = cli.get_environment(live)
    assert env == [("REGION", "eu"), ("GOLEM_WORKER_NAME", "w"),
                   ("GOLEM_COMPONENT_ID", "00000000-0000-0000-0000-000000000007"), ("GOLEM_COMPONENT_VERSION", "0")]
    assert cli.get_arguments(live) == ["--fast"]
    assert cli.initial_cwd(live) is None
    assert journaled(live) == ["golem_environment::get_environment", "golem_environment::get_arguments",
                               "golem_environment::initial_cwd"]
    live.oplog.commit()
    replay = make_ctx(store, env=(), args=())  # what the guest saw comes from the oplog
    assert (cli.get_environment(replay), cli.get_arguments(replay)) == (env, ["--fast"])


def test_exit_raises_the_exit_signal(store: SqliteStore) -> None:
    ctx = make_ctx(store)
    for status, code in ((Variant("ok"), 0), (Variant("err"), 1)):
        with pytest.raises(ExitSignal) as caught:
            cli.exit_(ctx, status)
        assert caught.value.code == code
    with pytest.raises(ExitSignal) as caught:
        cli.exit_with_code(ctx, 42)
    assert caught.value.code == 42
    assert entries(ctx) == []  # the worker writes Exited, not the host function


def test_stdin_is_disabled_and_there_is_no_terminal(store: SqliteStore) -> None:
    ctx = make_ctx(store)
    stdin = cli.get_stdin(ctx)
    for read in (io.read, io.blocking_read):  # Golem: a read of stdin traps the guest
        with pytest.raises(GuestTrap, match="standard input is disabled"):
            read(ctx, stdin, 10)
    terminals = {**cli.TERMINAL_STDIN, **cli.TERMINAL_STDOUT, **cli.TERMINAL_STDERR}
    assert sorted(terminals) == ["get-terminal-stderr", "get-terminal-stdin", "get-terminal-stdout"]
    assert all(f(ctx) is None for f in terminals.values())


def test_each_live_write_is_a_log_entry_and_is_shown(store: SqliteStore) -> None:
    ctx = make_ctx(store)
    shown = shown_by(ctx)
    out, err = cli.get_stdout(ctx), cli.get_stderr(ctx)
    assert ok(io.check_write(ctx, out)) > 0
    ok(io.write(ctx, out, b"hello "))
    ok(io.blocking_write_and_flush(ctx, out, "wörld\n".encode()))
    ok(io.blocking_write_and_flush(ctx, err, b"oops\n"))
    ok(io.blocking_flush(ctx, out))
    assert logs(ctx) == [("stdout", "", "hello "), ("stdout", "", "wörld\n"), ("stderr", "", "oops\n")]
    assert shown == [("stdout", "hello "), ("stdout", "wörld\n"), ("stderr", "oops\n")]
    assert journaled(ctx) == []


def test_replayed_writes_are_dropped_and_recovered_ones_are_not_repeated(store: SqliteStore) -> None:
    first = make_ctx(store)
    out = cli.get_stdout(first)
    ok(io.write(first, out, b"before\n"))
    rnd.get_random_u64(first)
    for text in (b"a", b"\n", b"b", b"\n"):  # as print() writes: the text, then the newline
        ok(io.write(first, out, text))
    first.oplog.commit()  # ... and the process dies here, after these Logs were journaled

    again = make_ctx(store)
    shown = shown_by(again)
    out = cli.get_stdout(again)
    ok(io.write(again, out, b"before\n"))  # replaying: neither journaled nor shown again
    rnd.get_random_u64(again)  # the last recorded call: live from here on
    assert again.replay.is_live()
    for text in (b"a", b"\n", b"b", b"\n", b"c", b"\n"):
        ok(io.write(again, out, text))
    assert shown == [("stdout", "c"), ("stdout", "\n")]
    assert [m for _, _, m in logs(again)] == ["before\n", "a", "\n", "b", "\n", "c", "\n"]


def test_wasi_logging_is_a_log_entry_with_level_and_context(store: SqliteStore) -> None:
    ctx = make_ctx(store)
    shown = shown_by(ctx)
    wasi_logging.log(ctx, "warn", "billing", "card declined")
    wasi_logging.log(ctx, "info", "", "started")
    assert logs(ctx) == [("warn", "billing", "card declined"), ("info", "", "started")]
    assert shown == [("warn", "[warn] billing: card declined\n"), ("info", "[info] started\n")]
