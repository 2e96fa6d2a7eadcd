"""Crash injection: numbered crash points, scenarios and exhaustive exploration."""
