"""wasi:io: error, poll and streams, and the Python objects behind them."""
