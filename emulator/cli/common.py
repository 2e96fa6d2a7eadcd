"""What every command shares: the data directory, the artifact cache location, the consoles, and how a
command loads a worker and prints an invocation's result."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, cast

import click

from emulator.errors import UsageError

if TYPE_CHECKING:  # imported where used: `golem-emu --help` must not pay for them
    from rich.console import Console

    from emulator.oplog.store import SqliteStore
    from emulator.runtime.engine import Runtime
    from emulator.runtime.worker import Worker

DEFAULT_DATA_DIR = ".golem-emu"


def cache_dir() -> Path:
    """Where compiled artifacts live (runtime.component_files.cache_dir, imported only when asked)."""
    from emulator.runtime import component_files

    return component_files.cache_dir()


class Env:
    """What every command needs: the data directory, its store and the runtime."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._store: SqliteStore | None = None
        self._runtime: Runtime | None = None

    @property
    def store(self) -> SqliteStore:
        """The oplog database of this data directory."""
        if self._store is None:
            from emulator.oplog.store import SqliteStore

            self._store = SqliteStore(self.data_dir / "oplog.db")
        return self._store

    def readonly_store(self) -> SqliteStore:
        """The oplog database, opened read-only; a clear error if there is none yet."""
        path = self.data_dir / "oplog.db"
        if not path.exists():
            raise UsageError(f"no workers yet in {self.data_dir} (invoke a component first, or pass --data-dir)")
        from emulator.oplog.store import SqliteStore

        return SqliteStore(path, readonly=True)

    @property
    def components_dir(self) -> Path:
        """Where the exact wasm of every worker is kept, by hash."""
        return self.data_dir / "components"

    @property
    def runtime(self) -> Runtime:
        """The wasmtime runtime with its artifact cache."""
        if self._runtime is None:
            from emulator.runtime.engine import Runtime

            self._runtime = Runtime(cache_dir())
            self._runtime.on_compile = compile_progress
        return self._runtime


class _LazyConsole:
    """A rich Console made on first use (importing rich costs more than a `--help` may)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


err_console = cast("Console", _LazyConsole(stderr=True, highlight=False))
out_console = cast("Console", _LazyConsole(highlight=False))


UNLIMITED_WIDTH = 1 << 20
"""The console width for output piped to a file or program: wide enough that nothing is ever cut."""


def stdout_console(width: int | None) -> Console:
    """A console for stdout: `width` columns if given, the terminal's width, or no limit when piped."""
    from rich.console import Console

    if width is None and not out_console.is_terminal:
        width = UNLIMITED_WIDTH
    return Console(highlight=False, width=width) if width is not None else out_console


def width_option() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--width N: lay tables out for N columns (default: the terminal's width; unlimited when piped)."""
    return click.option("--width", type=click.IntRange(min=40), default=None, metavar="N",
                        help="Lay out for N columns, cutting long cells (default: the terminal's width; "
                             "no limit when the output is piped).")


@contextmanager
def compile_progress(path: Path, size: int) -> Iterator[None]:
    """A progress line on stderr while a component is compiled for the first time (a spinner on a terminal)."""
    what = (f"compiling {path.name} ({size / 1e6:.1f} MB) to machine code: the first run of this component "
            f"needs it; the result is cached in {cache_dir()}, so later runs start at once")
    started = time.monotonic()
    if err_console.is_terminal:
        with err_console.status(what):
            yield
    else:
        err_console.print(what, markup=False, soft_wrap=True)
        yield
    err_console.print(f"compiled {path.name} in {time.monotonic() - started:.1f} s (cached)", markup=False,
                      style="dim", soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one error line on stderr and exit with `code`."""
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    sys.exit(code)


# Negative WAVE numbers such as -5 must reach ARGS rather than be taken for options.
CALL_SETTINGS = {"ignore_unknown_options": True}


def checked_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback: the worker name as given, after Golem's rules (an InvalidName, exit 2, if not)."""
    from emulator.oplog import names  # here: `golem-emu --help` imports no storage code

    return None if value is None else names.check_worker_name(value)


def checked_component_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from emulator.oplog import names

    return None if value is None else names.check_component_name(value)


def wave_args(args: tuple[str, ...]) -> tuple[str, ...]:
    """WAVE arguments as given, except `@FILE` (the file's text) and `-` (standard input, once), as curl and
    golem-cli read theirs: values too large for a command line. A literal string starting with '@' is written
    quoted: '"@x"'."""
    out: list[str] = []
    stdin_used = False
    for n, arg in enumerate(args, start=1):
        if arg == "-":
            if stdin_used:
                raise UsageError(f"argument {n} is '-' again: standard input can give only one argument")
            stdin_used = True
            out.append(sys.stdin.read().strip())
        elif arg.startswith("@") and len(arg) > 1:
            try:
                out.append(Path(arg[1:]).read_text(encoding="utf-8").strip())
            except (OSError, UnicodeDecodeError) as e:
                why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
                raise UsageError(f"argument {n}: cannot read {arg[1:]!r} ({why}); @FILE reads a WAVE value from "
                                 "a UTF-8 file") from None
        else:
            out.append(arg)
    return tuple(out)


def parse_env(pairs: tuple[str, ...], option: str = "--env") -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"{option} {pair!r} is not KEY=VALUE; write it like {option} REGION=eu")
        out.append((key, value))
    return out


def show_output(stream: str, text: str) -> None:
    """Guest output as it happens, on stderr (stdout carries only the WAVE result)."""
    err_console.file.write(text if stream in ("stdout", "stderr") else f"[{stream}] {text}\n")
    err_console.file.flush()


def show_replica_wait(replicas: int, index: int, waited: float, positions: dict[int, int]) -> None:
    """After a guest's oplog-commit(n): how long it waited, and how many replicas hold the commit."""
    if not positions:
        err_console.print(f"[dim]oplog-commit({replicas}): no replicas, returned after the commit[/]")
        return
    holding = sum(1 for p in positions.values() if p >= index)
    err_console.print(f"[dim]oplog-commit({replicas}): {holding} of {len(positions)} replicas hold index {index} "
                      f"after waiting {waited * 1000:.0f} ms[/]")


def live(worker: Worker) -> Worker:
    worker.on_output = show_output
    worker.on_replica_wait = show_replica_wait
    return worker


class Printable(Protocol):
    """What print_result shows of an invocation's result (an InvocationResult, or the server's RemoteResult)."""

    @property
    def output(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def detail(self) -> str | None: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def response(self) -> str | None: ...


def print_result(result: Printable, *, quiet_output: bool = True) -> None:
    if result.output and not quiet_output:
        err_console.print(result.output.rstrip("\n"), style="dim", markup=False, highlight=False)
    if result.status in ("suspended", "interrupted", "exited", "queued"):
        err_console.print(f"[yellow]worker {result.status}:[/] {result.detail}")
        err_console.print(f"idempotency key: {result.idempotency_key} (see `golem-emu result WORKER KEY`)")
        return
    if result.response is not None:
        click.echo(result.response)


def load(env: Env, name: str, no_wait: bool = False) -> Worker:
    from emulator.chaos import points as chaos
    from emulator.lifecycle.retry import VirtualClock
    from emulator.runtime.worker import Worker

    plan = chaos.from_environment(prefix=chaos.REPLAY_PREFIX)  # an existing worker: its points are replay:...
    return live(Worker.load(env.runtime, env.store, name, env.components_dir,
                             clock=VirtualClock() if no_wait else None, chaos=plan))
