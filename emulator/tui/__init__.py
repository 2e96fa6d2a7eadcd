"""The Textual oplog browser (`golem-emu tui`): a leaf that nothing in the core imports."""
