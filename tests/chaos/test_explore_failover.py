"""`golem-emu explore --failover` through the real CLI: the primary is lost at each crash point, and the report
shows the repeated effect at exactly the points where no oplog-commit had put the effect on a replica yet."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import golem_emu, guest
from tests.http_server import CountingServer


def _outcomes(tmp_path: Path, base: str, commit_after: str) -> list[tuple[str, str]]:
    done = golem_emu(tmp_path, "explore", str(guest("replicated")), "--failover", "--json", "--jobs", "2",
                     "send-effect", f'"{base}/effect/x"', "0", commit_after)
    assert done.returncode == 1, done.stderr  # some points repeat the effect in both variants
    return [(p["name"], p["outcome"]) for p in json.loads(done.stdout)["points"]]


def test_failover_repeats_the_effect_only_where_no_commit_replicated_it(
        tmp_path: Path, http_server: CountingServer) -> None:
    for commit_after in ("2", "0"):
        points = _outcomes(tmp_path / commit_after, http_server.base, commit_after)
        names = [n for n, _ in points]
        assert all(n.endswith("+primary-lost") for n in names)
        sent = next(i for i, n in enumerate(names) if n.startswith("before:http::"))  # the request has left
        failing = [n for n, outcome in points if outcome == "fail"]
        if commit_after == "0":
            assert failing == names[sent:]  # nothing ever reached a replica: every later loss repeats it
        else:
            # oplog-commit(2) put it on two replicas: only the completion's own commit point is safe
            assert failing == names[sent:-1] and names[-1].startswith("after:commit@")
