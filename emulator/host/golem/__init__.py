"""golem:api host (oplog control, promises, persistence, retries, workers, updates) and oplog; golem:durability."""
