"""The prompt under the oplog for `/` (query) and `:` (jump to an index)."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

__all__ = ["PromptBar"]

_PLACEHOLDERS = {
    "query": "query: kind:error  fn:random  \"exact text\"  /regex/  level:stderr  index:10..20  AND OR NOT",
    "jump": "jump to oplog index",
}


class PromptBar(Input):
    """A one-line input that asks for a query or an index; enter submits, esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "cancel", show=False)]

    class Answered(Message):
        """The user answered the prompt in ``mode`` with ``value``."""

        def __init__(self, mode: str, value: str) -> None:
            super().__init__()
            self.mode = mode
            self.value = value

    class Cancelled(Message):
        """The user dismissed the prompt."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.mode = "query"

    def ask(self, mode: str, value: str = "") -> None:
        """Show the prompt for ``mode`` ("query" or "jump") and focus it."""
        self.mode = mode
        self.placeholder = _PLACEHOLDERS[mode]
        self.restrict = r"[0-9]*" if mode == "jump" else None
        self.value = value
        self.display = True
        self.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Hide and announce the answer."""
        event.stop()
        self.display = False
        self.post_message(self.Answered(self.mode, event.value.strip()))

    def action_cancel(self) -> None:
        """Hide the prompt without answering."""
        self.display = False
        self.post_message(self.Cancelled())
