"""`golem-emu explore`: crash one invocation at every crash point (or fail each of its requests) and check it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from emulator.chaos import primary_lost
from emulator.chaos.explore import CrashFreeRunFailed, default_jobs, explore
from emulator.chaos.harness import Emulator, shared_runtime
from emulator.chaos.report import as_json, command_line, print_report
from emulator.chaos.trial import TrialResult
from emulator.cli.common import CALL_SETTINGS, parse_env, stdout_console
from emulator.errors import UsageError
from emulator.oplog.kinds import Semantics
from emulator.runtime.worker import prepare_call

WORKER = "explored"
KEY = "explore-1"


@click.command(context_settings=CALL_SETTINGS)
@click.argument("component", type=click.Path(path_type=Path))
@click.option("--worker-env", "env_pairs", multiple=True, metavar="K=V", help="Environment of the worker.")
@click.option("--semantics", type=click.Choice([s.value for s in Semantics]), default=None,
              help="Persistence-level semantics.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Trials in parallel (default: the number of cores).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample beyond --max-points.")
@click.option("--max-points", type=click.IntRange(min=1), default=None,
              help="Explore a seeded sample of this many points when there are more.")
@click.option("--only", "only", metavar="PATTERN", help="Only points whose name matches (glob, or a substring).")
@click.option("--kill", is_flag=True, help="Crash with a real kill -9 of a child process, not in-process.")
@click.option("--live", is_flag=True, help="Trials send real requests (reset your server's state yourself).")
@click.option("--faults", type=click.Choice(["http"]), default=None,
              help="Instead of crashing, fail each request of the crash-free run in turn (refused, timeout, "
                   "503, reset after sending).")
@click.option("--failover", is_flag=True,
              help="At each crash point the primary oplog is lost too: recovery starts from the most advanced "
                   "replica, which holds only what an oplog-commit waited for (see docs/replicas.md).")
@click.option("--replicas", "replica_count", type=click.IntRange(min=1, max=16), default=3, show_default=True,
              help="How many replicas trials have under --failover.")
@click.option("--json", "as_json_flag", is_flag=True, help="Print one JSON document instead of the table.")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep each failing trial's data dir as DIR/<point> (see it with golem-emu --data-dir ...).")
@click.argument("function")
@click.argument("args", nargs=-1)
def explore_command(component: Path, env_pairs: tuple[str, ...], semantics: str | None, jobs: int | None,
                    seed: int, max_points: int | None, only: str | None, kill: bool, live: bool,
                    faults: str | None, failover: bool, replica_count: int, as_json_flag: bool, keep: Path | None,
                    function: str, args: tuple[str, ...]) -> None:
    """Crash an invocation of FUNCTION at each of its crash points, recover it, and check it.

    Each trial crashes at one point, recovers as a restarted Golem executor would, and checks that the
    result is the crash-free run's, the worker did not fail (unless Golem requires it), every request was
    made, and each repeated request is allowed by a Golem rule. Exit 0 when every point holds, 1 if any
    fails, 2 on bad input.
    """
    worker_env = parse_env(env_pairs, option="--worker-env")
    runtime = shared_runtime()
    call = prepare_call(runtime.load(component), function, args)  # bad input: exit 2 before anything runs
    wave_args = list(call.request)

    def scenario(emu: Emulator) -> None:
        emu.worker(WORKER, component, env=worker_env, semantics=semantics).invoke(function, wave_args, KEY)

    def reproduce(trial: TrialResult) -> str:
        extra = [a for pair in env_pairs for a in ("--worker-env", pair)]
        extra += ["--semantics", semantics] if semantics else []
        extra += ["--faults", faults] if faults else []
        extra += ["--kill"] if kill else []
        extra += ["--failover", "--replicas", str(replica_count)] if failover else []
        return command_line("golem-emu", "explore", str(component), *extra, "--only", trial.name,
                            "--keep", str(keep or "failing-trials"), function, *wave_args)

    if failover and faults is not None:
        raise UsageError("--failover loses the primary at crash points; it does not combine with --faults")
    n_jobs = jobs or default_jobs()
    # piped, the table is as wide as its rows: a point name split over two lines cannot be copied
    err_console, out_console = Console(stderr=True, highlight=False), stdout_console(None)
    progress = Progress(TextColumn("[bold]exploring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err_console, transient=True, disable=as_json_flag)
    task = progress.add_task("trials", total=None)
    try:
        with progress:
            result = explore(
                scenario, jobs=n_jobs, faults=faults, live=live, kill=kill, keep=keep, only=only,
                max_points=max_points, seed=seed, progress=lambda _t: progress.advance(task),
                extras=primary_lost.extras if failover else None,
                setup=primary_lost.with_replicas(replica_count) if failover else None,
                on_plan=lambda n: progress.update(task, total=n),
                snapshots=True,  # the scenario is one invocation with a fixed key: nothing outside the data dir
            )
    except CrashFreeRunFailed as e:
        err_console.print(f"[bold red]error:[/] {e}", soft_wrap=True)
        for d in e.diagnosis:
            err_console.print(f"  [yellow]diagnosis:[/] {d}", soft_wrap=True)
        if e.data_dir is not None and keep is not None:
            err_console.print(f"  data dir kept: {e.data_dir}", soft_wrap=True)
        sys.exit(1)
    if only and not result.trials:
        raise UsageError(f"--only {only!r} matches no crash point; list them with "
                         "`golem-emu invoke --show-crash-points`")
    if as_json_flag:
        click.echo(json.dumps(as_json(result, reproduce), indent=2))
    else:
        print_report(out_console, result, reproduce, faults=faults is not None)
    sys.exit(1 if result.failures else 0)


explore_command.name = "explore"
COMMANDS = [explore_command]
