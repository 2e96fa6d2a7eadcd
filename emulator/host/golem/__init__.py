"""golem:api: host (oplog control, promises, persistence levels, retry policy, workers, updates) and oplog; golem:durability."""
