"""wasi:random: random, insecure and insecure-seed, journaled."""
