"""The status line under the oplog: worker, view size, filter, follow state, background progress."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

__all__ = ["StatusLine"]


class StatusLine(Static):
    """One line of facts about the current view."""

    def show_state(self, *, worker: str, rows: int, total: int, cursor: int | None, filter_text: str | None,
                   filter_done: bool, following: bool, indexed: int, folded: int | None = None) -> None:
        """Redraw from the view's state; ``folded``: runtime-noise entries folded away (None: not folding)."""
        line = Text()
        line.append(f" {worker} ", style="bold reverse")
        line.append(f"  #{cursor}" if cursor is not None else "  (empty)")
        if filter_text:
            line.append(f"  {rows} of {total} match ", style="bold")
            line.append(filter_text, style="italic")
            if not filter_done:
                line.append("  searching…", style="yellow")
        else:
            line.append(f"  {total} entries")
        if folded:
            line.append(f"  {folded} runtime-noise entries folded (randomness, clock reads; n shows them)",
                        style="dim")
        if indexed < total:
            line.append(f"  indexing {indexed * 100 // max(total, 1)}%", style="yellow")
        if following:
            line.append("  ● following", style="bold green")
        self.update(line)
