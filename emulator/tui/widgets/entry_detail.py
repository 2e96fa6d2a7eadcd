"""The entry detail pane: one entry in full, with its decoded request and response."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from emulator.inspect.render_detail import entry_detail
from emulator.tui.source import OplogSource

__all__ = ["EntryDetail"]


class EntryDetail(VerticalScroll):
    """Scrollable detail of the entry at ``show(index)``: fields, then payloads as WAVE or JSON."""

    def __init__(self, source: OplogSource, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.source = source
        self.index: int | None = None
        self._body = Static("", id="detail-body")

    def compose(self) -> ComposeResult:
        """The body that holds the rendered entry."""
        yield self._body

    def show(self, index: int) -> None:
        """Render entry ``index``."""
        self.index = index
        entry = self.source.entry(index)
        with self.source.index.lock:
            skipped = self.source.index.is_skipped(index)
            start = self.source.index.invocation_of(index) if index <= self.source.index.length else None
        invocation = None
        if start is not None and start != index:
            invocation = f"#{start} {self.source.function_of(start, self.source.entry(start))}"
        width = max(20, self.scrollable_content_region.width - 2)
        self._body.update(entry_detail(index, entry, skipped=skipped, invocation=invocation, width=width))
        self.scroll_home(animate=False)
