"""What Golem keeps for workers outside their oplogs: wasi:keyvalue buckets and wasi:blobstore containers.

Both live in one SQLite file in the data directory (`shared.db`), shared by every worker there, as Golem's
key-value and blob storage is shared by the workers of an account.
"""
