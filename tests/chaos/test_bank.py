"""Acceptance: explore finds the durability bug of guests/bank and passes its fix, guests/bank-fixed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import golem_emu, guest


def explore(tmp_path: Any, wasm: str, base: str, *extra: str) -> tuple[int, dict[str, Any], str]:
    done = golem_emu(tmp_path / "unused", "explore", str(guest(wasm)), "--json", "--jobs", "2", *extra,
                     "pay", json.dumps(base), '"order-1"', "10")
    return done.returncode, json.loads(done.stdout) if done.stdout.startswith("{") else {}, done.stderr


def test_the_payment_bug_is_found_with_point_effect_diagnosis_and_reproducer(tmp_path: Any, bank: Any) -> None:
    code, report, err = explore(tmp_path, "bank", bank.base)
    assert code == 1, err
    failing = [p for p in report["points"] if not p["ok"]]
    assert failing, report
    point = failing[0]
    assert point["name"].startswith("before:http::types::future_incoming_response.get#")
    dup = point["duplicated_effects"][0]
    assert dup["violation"] and dup["request"].startswith("POST ") and dup["request"].endswith("/payments")
    assert dup["seen"] == dup["expected"] + 1
    assert any("outside any atomic region" in d for d in point["diagnosis"])
    assert point["reproduce"].startswith("golem-emu explore ") and point["name"] in point["reproduce"]
    # Only the crash-free run reached the bank: trials ran against the simulated network.
    assert bank.ledger()["payments"] == {"order-1": 1}


def test_a_confirmation_refused_outside_a_region_fails_every_retry(tmp_path: Any, bank: Any) -> None:
    code, report, err = explore(tmp_path, "bank", bank.base + "/flaky")
    assert code == 1 and "the crash-free run" in err and "failed" in err
    assert "outside any atomic region" in err and "replays the same answer" in " ".join(err.split())


@pytest.mark.parametrize("flaky", [False, True])
def test_the_fixed_payment_passes_every_point(tmp_path: Any, bank: Any, flaky: bool) -> None:
    code, report, err = explore(tmp_path, "bank-fixed", bank.base + ("/flaky" if flaky else ""))
    assert code == 0, (err, [p for p in report.get("points", []) if not p["ok"]])
    assert len(report["points"]) >= 10
    repeated = [d for p in report["points"] for d in p["duplicated_effects"]]
    assert repeated and all(d["rule"] for d in repeated), "re-sent payments are allowed by a named rule"
    if flaky:
        assert bank.ledger()["requests"]["/flaky/confirmations"] == 2  # failed once, retried by Golem


def test_a_kill_exploration_of_an_http_workflow_passes_with_real_kills(tmp_path: Any, bank: Any) -> None:
    code, report, err = explore(tmp_path, "bank-fixed", bank.base, "--kill")
    assert code == 0, (err, [p for p in report.get("points", []) if not p["ok"]])
    assert all(p["outcome"] == "ok" for p in report["points"]), "every point was reached and killed"


def test_faults_on_the_confirmation_are_retried_by_its_atomic_region(tmp_path: Any, bank: Any) -> None:
    code, report, err = explore(tmp_path, "bank-fixed", bank.base, "--faults", "http")
    by_name = {p["name"]: p for p in report["points"]}
    assert len(by_name) == 8, err  # 2 requests x 4 faults
    for fault in ("refused", "timeout", "503", "reset"):
        assert by_name[f"fault:{fault}@request2"]["outcome"] == "ok"  # the region re-ran the confirmation
    for fault in ("refused", "timeout", "503", "reset"):  # the payment is outside the region: a clear failure
        assert by_name[f"fault:{fault}@request1"]["outcome"] == "gave up"
    assert code == 0
