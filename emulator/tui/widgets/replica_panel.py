"""The replica panel: each replica's last index and lag (hidden while the worker has no replicas)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from textual.widgets import Static

__all__ = ["ReplicaPanel"]


class ReplicaPanel(Static):
    """A small table of replicas; hides itself when there are none."""

    def show_replicas(self, rows: list[dict[str, Any]]) -> None:
        """Redraw from ``inspect.facts.replicas`` rows."""
        self.display = bool(rows)
        if not rows:
            return
        table = Table(title="replicas", expand=True, header_style="bold")
        columns = list(dict.fromkeys(k for r in rows for k in r))
        for col in columns:
            table.add_column(col, justify="right" if col == "lag" else "left")
        for r in rows:
            table.add_row(*(str(r.get(c, "")) for c in columns))
        self.update(table)
