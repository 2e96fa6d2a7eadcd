"""wasi:clocks: wall clock and monotonic clock, journaled."""
