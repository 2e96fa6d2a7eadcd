"""wasi:random random, insecure and insecure-seed: Golem's journal names, and the same values on replay."""

from __future__ import annotations

from emulator.host.random import interfaces as rnd
from emulator.oplog.store import SqliteStore
from tests.host.hostctx import journaled, make_ctx


def test_every_source_is_journaled_under_golems_name_and_replayed(store: SqliteStore) -> None:
    live = make_ctx(store)
    values = (
        rnd.get_random_bytes(live, 40), rnd.get_random_u64(live),
        rnd.get_insecure_random_bytes(live, 5), rnd.get_insecure_random_u64(live), rnd.insecure_seed(live),
    )
    assert len(values[0]) == 40 and len(values[2]) == 5
    assert isinstance(values[4], tuple) and len(values[4]) == 2
    assert journaled(live) == [
        "golem random::get_random_bytes", "golem random::get_random_u64",
        "golem random::insecure::get_insecure_random_bytes", "golem random::insecure::get_insecure_random_u64",
        "golem random::insecure_seed::insecure_seed",
    ]
    live.oplog.commit()
    replay = make_ctx(store)
    again = (
        rnd.get_random_bytes(replay, 40), rnd.get_random_u64(replay),
        rnd.get_insecure_random_bytes(replay, 5), rnd.get_insecure_random_u64(replay), rnd.insecure_seed(replay),
    )
    assert again == values
