"""The kind filter: a modal list of entry kinds (with how many of each) to show."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList

from emulator.inspect.index import KINDS

__all__ = ["KindPicker"]


class KindPicker(ModalScreen[frozenset[str] | None]):
    """Pick kinds with space, apply with enter (nothing picked: every kind), esc to cancel."""

    BINDINGS = [
        Binding("enter", "apply", "apply", priority=True),
        Binding("escape", "cancel", "cancel"),
    ]

    def __init__(self, counts: dict[str, int] | None, selected: frozenset[str] | None) -> None:
        super().__init__()
        self.counts = counts
        self.selected = selected or frozenset()

    def compose(self) -> ComposeResult:
        """The title and the list of kinds."""
        kinds = [k for k in KINDS if self.counts is None or self.counts.get(k)]
        options = [(f"{k} ({self.counts[k]})" if self.counts else k, k, k in self.selected) for k in kinds]
        with Vertical(id="kind-picker"):
            yield Label("Show only these kinds — space toggles, enter applies, esc cancels", id="kind-title")
            yield SelectionList[str](*options, id="kind-list")

    def action_apply(self) -> None:
        """Close with the picked kinds (an empty pick clears the kind filter)."""
        picked = self.query_one(SelectionList).selected
        self.dismiss(frozenset(picked))

    def action_cancel(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)
