"""Benchmarks for golem-emu."""
