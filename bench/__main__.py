"""`python -m bench` (make bench): every benchmark of golem-emu, printed as tables with ratios.

First the speed targets (issue 13): each figure beside a baseline measured in the same run, their ratio (our
cost / the baseline's, lower is better) and the target; then the scaling table (seconds per command at 10 to
10,000 invocations, and the ratio of the largest to 10); then every other section, as (measure, value) rows.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from bench.report import Figure

# (title, module): each module has `run(quick: bool) -> list[tuple[str, str]]`. Optional ones may be absent.
SECTIONS = [
    ("Our WASI vs wasmtime's built-in WASI (issue 3)", "bench.wasi_bench"),
    ("Durable HTTP (issue 3)", "bench.http_bench"),
    ("Oplog TUI on 100,000 entries (issue 5)", "bench.tui_bench"),
    ("Crash exploration: points per second (issue 10)", "bench.explore_bench"),
    ("Replica simulation: commit latency against lag, throughput with replicas (issue 12)", "bench.replica_bench"),
]


def _targets(figures: list[Figure]) -> Table:
    table = Table(title="Speed targets (issue 13): ratios against a baseline of the same run", title_justify="left",
                  header_style="bold")
    for column in ("measure", "golem-emu", "baseline, same run", "ratio", "target", "met"):
        table.add_column(column, justify="right" if column in ("golem-emu", "ratio") else "left")
    for f in figures:
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}x" if f.ratio >= 0.5 else f"1/{1 / f.ratio:.1f}"
        table.add_row(f.measure, f.ours, f.baseline, ratio, f.target, f.verdict())
    return table


def _scaling(cells: dict[str, dict[int, float | None]]) -> Table:
    sizes = sorted({n for row in cells.values() for n in row})
    table = Table(title="Scaling: seconds per command (a new process) after N invocations", title_justify="left",
                  header_style="bold")
    table.add_column("command")
    for n in sizes:
        table.add_column(f"{n:,}", justify="right")
    table.add_column(f"{sizes[-1]:,} / 10", justify="right")
    for label, row in cells.items():
        values = [row.get(n) for n in sizes]
        first, last = values[0], values[-1]
        ratio = f"{last / first:.2f}x" if first and last is not None else ""
        table.add_row(label, *("-" if v is None else f"{v:.3f}" for v in values), ratio)
    return table


def main() -> None:
    """Run the sections and print one table each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller workloads (a smoke test of the benches)")
    parser.add_argument("--only", help="run only sections whose module name contains this text "
                                       "(floor, process, scale for the targets)")
    args = parser.parse_args()
    console = Console()
    if not console.is_terminal:  # piped or in CI: room for the whole rows
        console = Console(width=150)

    def wanted(name: str) -> bool:
        return args.only is None or args.only in name

    figures: list[Figure] = []
    cells: dict[str, dict[int, float | None]] = {}
    if wanted("bench.floor_bench"):
        from bench import floor_bench
        with console.status("measuring: host calls against the wasmtime floor, DBOS"):
            figures += floor_bench.figures(args.quick)
    if wanted("bench.process_bench"):
        from bench import process_bench
        with console.status("measuring: process start-up"):
            figures += process_bench.figures(args.quick)
    if wanted("bench.scale_bench"):
        from bench import scale_bench
        with console.status("measuring: cost against history (builds oplogs by real invocations)"):
            cells = scale_bench.measure(args.quick)
        figures += scale_bench.figures(cells)
    if wanted("bench.explore_bench"):
        from bench import explore_bench
        with console.status("measuring: crash points explored per second (issue 10)"):
            figures += explore_bench.figures(args.quick)
    if figures:
        console.print(_targets(figures))
    if cells:
        console.print(_scaling(cells))
    for title, module_name in SECTIONS:
        if not wanted(module_name):
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name != module_name:
                raise
            continue
        run: Callable[..., list[tuple[str, str]]] = module.run
        with console.status(f"measuring: {title}"):
            rows = run(quick=args.quick)
        table = Table(title=title, title_justify="left", header_style="bold")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for label, value in rows:
            table.add_row(label, value)
        console.print(table)


if __name__ == "__main__":
    main()
