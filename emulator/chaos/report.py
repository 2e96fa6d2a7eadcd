"""How an exploration is shown: a rich table, a reproducer per failing trial, or one JSON document."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from emulator.chaos.explore import Exploration
from emulator.chaos.rules import AFTER_FAULT, IN_FLIGHT, IN_REGION, PERSIST_NOTHING
from emulator.chaos.trial import ALLOWED_FAILURE, FAIL, GAVE_UP, NOT_REACHED, TrialResult

_STYLE = {FAIL: "bold red", ALLOWED_FAILURE: "yellow", NOT_REACHED: "dim", GAVE_UP: "yellow"}


_SHORT = {IN_FLIGHT: "in flight, idempotent", IN_REGION: "unfinished atomic region",
          PERSIST_NOTHING: "persist-nothing", AFTER_FAULT: "failed after it left"}


def _path(request: str) -> str:
    """`POST http://host:port/a/b` -> `POST /a/b`: the table has no room for the host."""
    method, _, url = request.partition(" ")
    rest = url.split("://", 1)[-1]
    return f"{method} /{rest.split('/', 1)[1]}" if "/" in rest else request


def _duplicates(t: TrialResult) -> Text:
    text = Text()
    for n, d in enumerate(t.duplicates):
        if n:
            text.append("\n")
        text.append(f"{_path(d.request)} x{d.seen}", style="red" if d.rule is None else "")
        text.append(f" ({_SHORT.get(d.rule, d.rule) if d.rule else 'VIOLATION'})",
                    style="red" if d.rule is None else "dim")
    return text


def table(result: Exploration, *, faults: bool = False) -> Table:
    """One row per trial: point (or fault), outcome, duplicated effects with their rule, time."""
    t = Table(title=f"{len(result.trials)} {'faults' if faults else 'crash points'} explored"
              + (" (a seeded sample)" if result.sampled else ""), title_justify="left")
    t.add_column("fault" if faults else "point", overflow="fold")
    if faults:
        t.add_column("request", overflow="fold")
    t.add_column("outcome")
    t.add_column("duplicated effects (rule)", overflow="fold")
    t.add_column("ms", justify="right")
    for trial in result.trials:
        row: list[Any] = [trial.name]
        if faults:
            row.append(_path(_fault_request(result, trial)))
        shown = trial.ok and trial.outcome != GAVE_UP
        outcome = trial.outcome if shown else f"{trial.outcome}: {trial.problems[0] if trial.problems else ''}"
        row += [Text(outcome, style=_STYLE.get(trial.outcome, "green")), _duplicates(trial),
                f"{trial.seconds * 1000:.0f}"]
        t.add_row(*row)
    return t


def _fault_request(result: Exploration, trial: TrialResult) -> str:
    index = int(trial.name.rsplit("request", 1)[1]) - 1
    return result.requests[index] if 0 <= index < len(result.requests) else "?"


def print_report(console: Console, result: Exploration, reproduce: Callable[[TrialResult], str], *,
                 faults: bool = False) -> None:
    """The table, then for each failing trial what went wrong, the diagnosis and a reproducer."""
    console.print(table(result, faults=faults))
    for trial in result.failures:
        console.print(Text(f"\n{trial.name}: {trial.outcome}", style="bold red"))
        for p in trial.problems:
            console.print(Text(f"  {p}"))
        for d in trial.diagnosis:
            console.print(Text(f"  diagnosis: {d}", style="yellow"))
        if trial.kept:
            console.print(Text(f"  data dir kept: {trial.kept}"))
        console.print(Text("  reproduce: ", style="bold"), Text(reproduce(trial)), soft_wrap=True)
    held = len(result.trials) - len(result.failures)
    console.print(Text(f"\n{held} of {len(result.trials)} held, {len(result.failures)} failed "
                       f"({result.points_per_second:.1f} trials/s, {result.jobs} jobs)",
                       style="bold green" if not result.failures else "bold red"))


def as_json(result: Exploration, reproduce: Callable[[TrialResult], str]) -> dict[str, Any]:
    """The same as one document with a `points` list."""
    return {
        "explored": len(result.trials), "failed": len(result.failures), "sampled": result.sampled,
        "seconds": round(result.seconds, 3), "points_per_second": round(result.points_per_second, 1),
        "jobs": result.jobs, "requests": result.requests,
        "points": [{
            "name": t.name, "outcome": t.outcome, "ok": t.ok, "problems": t.problems, "diagnosis": t.diagnosis,
            "duplicated_effects": [{"request": d.request, "expected": d.expected, "seen": d.seen, "rule": d.rule,
                                    "violation": d.rule is None, "why": d.why or None} for d in t.duplicates],
            "seconds": round(t.seconds, 4), "kept": t.kept, "requests": t.requests,
            "reproduce": None if t.ok else reproduce(t),
        } for t in result.trials],
    }


def command_line(*parts: str) -> str:
    """A shell-quoted command."""
    return " ".join(shlex.quote(p) for p in parts)
