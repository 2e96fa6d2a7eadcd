"""What a worker's oplog says about its life: the status fold, and the retry policy with its clocks."""
