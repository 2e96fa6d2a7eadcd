"""golem:api/host: oplog control, promises, persistence levels, retry policy, workers and updates."""
