"""Acceptance: `explore --faults http` fails each request of http-effects in turn and reports each outcome."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import golem_emu, guest
from tests.http_server import CountingServer
from tests.integration.test_http_durability import effects_args


def test_each_request_gets_each_fault_and_its_outcome_is_reported(
    tmp_path: Path, http_server: CountingServer,
) -> None:
    done = golem_emu(tmp_path, "explore", str(guest("http-effects")), "--faults", "http", "--json", "--jobs", "2",
                     "post-effects", *effects_args(http_server.base))
    report = json.loads(done.stdout)
    assert report["requests"] == [f"POST {http_server.base}/effect/{n}" for n in (1, 2, 3)]
    by_name = {p["name"]: p for p in report["points"]}
    assert len(by_name) == 12  # 3 requests x (refused, timeout, 503, reset)
    for n in (1, 2, 3):
        # A network error is journaled like any answer: the guest raises, and every retry replays the same
        # error, so the worker gives up; explore reports it and says why in Golem's terms.
        for fault in ("refused", "timeout", "reset"):
            trial = by_name[f"fault:{fault}@request{n}"]
            assert trial["outcome"] == "gave up", trial
            assert f"POST {http_server.base}/effect/{n} [{fault}]" in trial["requests"]
            assert any("outside any atomic region" in d for d in trial["diagnosis"])
        # The guest does not look at the status: a 503 body becomes its result, and explore says so.
        unavailable = by_name[f"fault:503@request{n}"]
        assert unavailable["outcome"] == "fail"
        assert "the crash-free run returned" in unavailable["problems"][0]
    assert done.returncode == 1
    assert http_server.count("/effect/1") == 1  # only the crash-free run reached the server
