"""`python -m bench` (make bench): every benchmark of golem-emu, printed as tables with ratios."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

# (title, module): each module has `run(quick: bool) -> list[tuple[str, str]]`. Optional ones may be absent.
SECTIONS = [
    ("Durable workers: host calls, replay, invoke (issue 2)", "bench.core_bench"),
    ("Our WASI vs wasmtime's built-in WASI (issue 3)", "bench.wasi_bench"),
    ("Durable HTTP (issue 3)", "bench.http_bench"),
    ("Oplog TUI on 100,000 entries (issue 5)", "bench.tui_bench"),
]


def main() -> None:
    """Run the sections and print one table each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller workloads (a smoke test of the benches)")
    parser.add_argument("--only", help="run only sections whose module name contains this text")
    args = parser.parse_args()
    console = Console()
    for title, module_name in SECTIONS:
        if args.only and args.only not in module_name:
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
