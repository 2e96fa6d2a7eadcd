"""wasi:cli environment, exit, stdin, stdout, stderr and terminal-*, as Golem serves them.

Environment and arguments are journaled. Nothing written to stdout or stderr reaches a real stream: each live
write becomes a `Log` oplog entry and goes to `ctx.on_output`; during replay writes are dropped, and a live write
identical to a Log just recovered past is not repeated (semantics §4.8), so console output is exactly-once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.errors import GuestTrap
from emulator.host import _resources as res
from emulator.host.context import HostContext
from emulator.host.io.objects import InputStream, OutputStream
from emulator.oplog.entries import READ_LOCAL
from emulator.signals import ExitSignal


def emit_log(ctx: HostContext, level: str, context: str, message: str, shown: str | None = None) -> None:
    """Journal a Log entry and show `shown` (default: the message) on the live console, exactly once."""
    if not ctx.durability.log(level, context, message):
        return  # replayed, or shown before the crash this run recovers from
    if ctx.on_output is not None:
        ctx.on_output(level, message if shown is None else shown)


class ConsoleStream(OutputStream):
    """stdout or stderr: every write is a Log entry of that level."""

    def __init__(self, ctx: HostContext, level: str) -> None:
        self.ctx = ctx
        self.level = level

    def write(self, data: bytes) -> None:
        if data:
            emit_log(self.ctx, self.level, "", data.decode("utf-8", errors="replace"))

    def blocking_write_and_flush(self, data: bytes) -> None:
        self.write(data)  # one Log entry per guest call, however long


class DisabledInput(InputStream):
    """stdin: Golem disables it, and a read from it traps the guest ("standard input is disabled")."""

    def read(self, length: int) -> bytes:
        raise GuestTrap("standard input is disabled")


# -- environment --------------------------------------------------------------------------------------------


def worker_environment(ctx: HostContext) -> list[tuple[str, str]]:
    """The worker's env as Golem gives it: user variables, then the three GOLEM_* identity variables."""
    golem = {
        "GOLEM_WORKER_NAME": ctx.worker.name,
        "GOLEM_COMPONENT_ID": str(ctx.worker.component_uuid),
        "GOLEM_COMPONENT_VERSION": str(ctx.worker.component_version),
    }
    return [(k, v) for k, v in ctx.worker.env if k not in golem] + list(golem.items())


def get_environment(ctx: HostContext) -> list[tuple[str, str]]:
    pairs = ctx.durability.call(
        "golem_environment::get_environment", READ_LOCAL, None, lambda: [list(kv) for kv in worker_environment(ctx)],
    )
    return [(str(k), str(v)) for k, v in pairs]


def get_arguments(ctx: HostContext) -> list[str]:
    args = ctx.durability.call("golem_environment::get_arguments", READ_LOCAL, None, lambda: list(ctx.worker.args))
    return [str(a) for a in args]


def initial_cwd(ctx: HostContext) -> str | None:
    cwd = ctx.durability.call("golem_environment::initial_cwd", READ_LOCAL, None, lambda: None)
    return None if cwd is None else str(cwd)


# -- exit ---------------------------------------------------------------------------------------------------


def exit_(ctx: HostContext, status: Any) -> None:
    # Like wasmtime: ok -> 0, err -> 1. Golem treats every exit alike (an Exited entry), whatever the code.
    raise ExitSignal(0 if status.tag == "ok" else 1)


def exit_with_code(ctx: HostContext, code: int) -> None:
    raise ExitSignal(code)


# -- stdio and terminals ------------------------------------------------------------------------------------


def get_stdin(ctx: HostContext) -> Any:
    return res.own(ctx, "input-stream", DisabledInput())


def get_stdout(ctx: HostContext) -> Any:
    return res.own(ctx, "output-stream", ConsoleStream(ctx, "stdout"))


def get_stderr(ctx: HostContext) -> Any:
    return res.own(ctx, "output-stream", ConsoleStream(ctx, "stderr"))


def no_terminal(ctx: HostContext) -> None:
    return None  # a worker is never attached to a terminal


ENVIRONMENT: dict[str, Callable[..., Any]] = {
    "get-environment": get_environment, "get-arguments": get_arguments, "initial-cwd": initial_cwd,
}
EXIT: dict[str, Callable[..., Any]] = {"exit": exit_, "exit-with-code": exit_with_code}
STDIN: dict[str, Callable[..., Any]] = {"get-stdin": get_stdin}
STDOUT: dict[str, Callable[..., Any]] = {"get-stdout": get_stdout}
STDERR: dict[str, Callable[..., Any]] = {"get-stderr": get_stderr}
TERMINAL_STDIN: dict[str, Callable[..., Any]] = {"get-terminal-stdin": no_terminal}
TERMINAL_STDOUT: dict[str, Callable[..., Any]] = {"get-terminal-stdout": no_terminal}
TERMINAL_STDERR: dict[str, Callable[..., Any]] = {"get-terminal-stderr": no_terminal}
