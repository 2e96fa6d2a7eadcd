"""The golem-emu command line: the top-level group, its command modules, and the entry point."""

from __future__ import annotations

import importlib
import signal
import sys
from pathlib import Path

import click

from emulator.cli.common import DEFAULT_DATA_DIR, Env, fail
from emulator.errors import EmulatorError, UsageError

# Every command: the module (under emulator.cli) whose COMMANDS holds it, and its one-line help. A command's
# module is imported only when it runs, so `golem-emu --help` imports neither wasmtime nor the HTTP stack.
# tests/cli/test_help.py checks this table against the modules.
COMMANDS: dict[str, tuple[str, str]] = {
    "cancel": ("invoke", "Cancel a queued invocation by its idempotency key: true if it was waiting, false if it "
                         "already ran."),
    "component": ("components", "Component versions, as update-worker from a guest refers to them."),
    "exports": ("components", "List the functions a component exports, with their WIT signatures."),
    "delete": ("manage", "Delete a worker: its oplog, promises and files; a new worker of that name starts afresh."),
    "explore": ("explore", "Crash an invocation of FUNCTION at each of its crash points, recover it, and check "
                           "it."),
    "file": ("files", "Print the contents of file PATH of WORKER's filesystem (bytes as they are)."),
    "files": ("files", "List PATH (default /) of WORKER's filesystem: names, kinds, sizes and permissions."),
    "fork": ("manage", "Fork a worker: NEW starts with WORKER's oplog up to --at and continues from there."),
    "interrupt": ("invoke", "Interrupt a worker: a running one stops at once, a suspended or retrying one is "
                            "marked interrupted."),
    "invoke": ("invoke", "Invoke FUNCTION of a worker with WAVE ARGS; print the result in WAVE."),
    "new": ("project", "Create a guest project in DIRECTORY that builds (`make`) and is crash-tested (`make test`)."),
    "oplog": ("inspect", "Show a worker's oplog, or the part of it selected by --from/--to and --query."),
    "promise": ("promises", "Complete promises that workers await."),
    "replicas": ("replicas", "Simulated replicas of the oplog: what oplog-commit(n) waits for, and what a lost "
                             "primary loses."),
    "result": ("invoke", "Print the recorded result of an invocation by its idempotency key (exit 3 while it is "
                         "unfinished)."),
    "resume": ("invoke", "Continue a worker's unfinished invocation (interrupted, suspended, crashed or retrying)."),
    "revert": ("manage", "Revert a worker: later entries are skipped on replay and its reverted invocations "
                         "forgotten."),
    "run": ("components", "The quick path: a fresh worker, one call, its result and its oplog."),
    "scenario": ("scenario", "Run scenario files: steps (create, invoke, crash, restart, ...) and expectations, "
                             "in TOML."),
    "serve": ("serve", "Serve this data dir's workers on 127.0.0.1, keeping them instantiated between invocations."),
    "show": ("inspect", "Show one worker: status, component, env, retry state, pending promises and replicas."),
    "tui": ("inspect", "Browse workers and oplogs in a terminal UI (read-only; keeps working while workers run)."),
    "update": ("manage", "Update a worker to another component; if that fails it stays on the one it has."),
    "wit": ("project", "Write the WIT dependencies (golem:api/host and WASI 0.2) into DIRECTORY/wit/deps."),
    "workers": ("inspect", "List workers with their status, oplog length and last activity, derived from their "
                           "oplogs."),
}


class LazyGroup(click.Group):
    """A click group that imports a command's module when the command runs, and lists help from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(f"emulator.cli.{entry[0]}")
        commands: list[click.Command] = module.COMMANDS
        return next((c for c in commands if c.name == cmd_name), None)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, click.Command(name, help=text).get_short_help_str(limit))
                for name, (_, text) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), envvar="GOLEM_EMU_HOME",
              default=DEFAULT_DATA_DIR, show_default=True,
              help="Where oplogs live (also GOLEM_EMU_HOME).")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path) -> None:
    """golem-emu: run Golem components as durable workers on your laptop, crash them, inspect their oplogs."""
    ctx.obj = Env(data_dir)


def main() -> None:
    """Console entry point: EmulatorErrors become one clear line on stderr and a non-zero exit."""
    if hasattr(signal, "SIGXFSZ"):  # past `ulimit -f`, get EFBIG (reported as such) instead of being killed
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        cli(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        fail("interrupted; an unfinished invocation continues by replay when the worker is next used "
             "(golem-emu resume WORKER)", 130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except UsageError as e:
        fail(str(e), 2)
    except EmulatorError as e:
        # The first line says what happened; the whole message (a trap's backtrace, the guest's stderr) is
        # in the worker's Error entry: `golem-emu show` and the TUI print it.
        notes = "; ".join(getattr(e, "__notes__", []))
        lines = [line for line in str(e).splitlines() if line.strip()]
        head = lines[0] if lines else type(e).__name__
        if len(lines) > 1:
            notes = "; ".join(n for n in (notes, "the full message: golem-emu show WORKER") if n)
        fail(f"{head} ({notes})" if notes else head, 1)
    except OSError as e:  # the system refused (no space, no permission...): say what and where, in one line
        from emulator.oplog import dbfile

        told = dbfile.os_error(e)
        where = f" ({e.filename})" if e.filename and not isinstance(told, EmulatorError) else ""
        fail(f"{told.strerror or told}{where}" if isinstance(told, OSError) else str(told), 1)
