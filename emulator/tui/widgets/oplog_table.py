"""The virtualized oplog table: renders only the visible rows, reading their entries on demand."""

from __future__ import annotations

from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from emulator.tui.messages import EntryHighlighted, EntryOpened, TableResized
from emulator.tui.rows import Columns, gutter, row_text
from emulator.tui.source import OplogSource

__all__ = ["OplogTable"]


class OplogTable(ScrollView, can_focus=True):
    """One line per entry of an ``OplogSource``; a cursor row; never more than a screenful decoded at once."""

    COMPONENT_CLASSES = {"oplog-table--cursor", "oplog-table--cursor-blurred"}
    BINDINGS = [
        Binding("j,down", "cursor_down", "down", show=False),
        Binding("k,up", "cursor_up", "up", show=False),
        Binding("g,home", "top", "top", show=False),
        Binding("G,end", "bottom", "bottom", show=False),
        Binding("pagedown,space", "page_down", "page down", show=False),
        Binding("pageup", "page_up", "page up", show=False),
        Binding("enter", "open", "detail"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    def __init__(self, source: OplogSource, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.source = source
        self._strips: dict[tuple[int, int, bool], Strip] = {}
        self.rows_rendered = 0  # lines drawn with an entry, for tests and the benchmark
        self._base_style = Style()
        self._cursor_style = Style()

    # -- data -----------------------------------------------------------------------------------------------

    def columns(self) -> Columns:
        """The column widths for the current width."""
        return Columns.fit(self.scrollable_content_region.width or self.size.width, self.source.last)

    def refresh_rows(self, *, keep_end: bool = False) -> None:
        """Re-read the row count (after a filter, index or follow update) and redraw."""
        count = self.source.row_count()
        self.virtual_size = Size(self.scrollable_content_region.width, count)
        self._strips.clear()
        if keep_end and count:
            self.cursor = count - 1
        elif self.cursor >= count:
            self.cursor = max(0, count - 1)
        self.refresh()

    def current_index(self) -> int | None:
        """The oplog index under the cursor, None when the view is empty."""
        if self.source.row_count() == 0:
            return None
        return self.source.index_at(min(self.cursor, self.source.row_count() - 1))

    def go_to_index(self, index: int) -> None:
        """Move the cursor to ``index`` (or the first row after it in a filtered view)."""
        if self.source.row_count():
            self.cursor = self.source.row_of(index)
            self.scroll_to(y=max(0, self.cursor - self.scrollable_content_region.height // 3), animate=False)

    # -- rendering ------------------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        """Refit the columns to the new width."""
        self.refresh_rows()
        self.post_message(TableResized())

    def render_lines(self, crop: Region) -> list[Strip]:
        """Prefetch the visible page in a few reads, then draw it line by line."""
        # Read the whole visible page (plus one page either side) in a few queries before drawing its lines.
        height = self.scrollable_content_region.height
        self.source.prefetch(max(0, int(self.scroll_y) - height), height * 3)
        # Styles are looked up once per frame, not once per line (a rich_style lookup walks the DOM).
        self._base_style = self.rich_style
        cls = "oplog-table--cursor" if self.has_focus else "oplog-table--cursor-blurred"
        self._cursor_style = self.get_component_rich_style(cls)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        """One visible line: the row at scroll offset plus ``y``."""
        row = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        base = self._base_style
        if row >= self.source.row_count():
            return Strip.blank(width, base)
        is_cursor = row == self.cursor
        key = (row, width, is_cursor)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, width, is_cursor)
            if len(self._strips) > 512:
                self._strips.clear()
            self._strips[key] = strip
        return strip

    def _render_row(self, row: int, width: int, is_cursor: bool) -> Strip:
        idx = self.source.index_at(row)
        entry = self.source.entry(idx)
        index = self.source.index
        with index.lock:
            skipped = index.is_skipped(idx)
        crash = self.source.crashes.get(idx)
        marker = None if crash is None else f"✝ process {crash.pid} died here; {crash.resumed_by} resumed"
        text = row_text(self.columns(), idx, entry, self.source.function_of(idx, entry), gutter(index, idx),
                        skipped=skipped, crash=marker)
        if is_cursor:
            text.stylize(self._cursor_style)
        text.stylize_before(self._base_style)
        self.rows_rendered += 1
        return Strip(text.render(self.app.console)).adjust_cell_length(width, self._base_style)

    # -- cursor ---------------------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        """Keep the cursor visible and announce the entry under it."""
        height = self.scrollable_content_region.height
        top = int(self.scroll_y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif height and new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self._strips = {k: v for k, v in self._strips.items() if k[0] not in (old, new)}
        self.refresh()
        index = self.current_index()
        if index is not None:
            self.post_message(EntryHighlighted(index))

    def _move(self, delta: int) -> None:
        count = self.source.row_count()
        if count:
            self.cursor = max(0, min(count - 1, self.cursor + delta))

    def action_cursor_down(self) -> None:
        """Next row."""
        self._move(1)

    def action_cursor_up(self) -> None:
        """Previous row."""
        self._move(-1)

    def action_page_down(self) -> None:
        """One screen down."""
        self._move(max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        """One screen up."""
        self._move(-max(1, self.scrollable_content_region.height - 1))

    def action_top(self) -> None:
        """First row."""
        self.cursor = 0

    def action_bottom(self) -> None:
        """Last row."""
        self.cursor = max(0, self.source.row_count() - 1)

    def action_open(self) -> None:
        """Show the entry under the cursor in full."""
        index = self.current_index()
        if index is not None:
            self.post_message(EntryOpened(index))

    def on_click(self, event: events.Click) -> None:
        """Move the cursor to the clicked row; a double click opens its detail."""
        row = int(self.scroll_y) + event.y
        if row < self.source.row_count():
            self.cursor = row
            if event.chain == 2:
                self.action_open()

    def on_focus(self) -> None:
        """Redraw the cursor in its focused colour."""
        self._strips.clear()
        self.refresh()

    def on_blur(self) -> None:
        """Redraw the cursor in its unfocused colour."""
        self._strips.clear()
        self.refresh()
