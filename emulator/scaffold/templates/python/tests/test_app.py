"""@@NAME@@ under golem-emu: one transfer, then the same transfer crashed at every crash point."""

from __future__ import annotations

from pathlib import Path

from conftest import Bank


def wave(text: str) -> str:
    """A string argument as WAVE text."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_a_transfer_moves_the_money(golem_emu, bank: Bank, component: Path) -> None:
    worker = golem_emu.worker("alice-to-bob", component)
    result = worker.invoke("transfer", [wave(bank.url), wave("t1"), wave("alice"), wave("bob"), "30"], "t1")
    assert result.response == wave("moved 30 from alice to bob; bob has 130")
    assert bank.moves("t1") == [("withdraw", "alice", 30), ("deposit", "bob", 30)]


def test_every_crash_point_moves_the_money_once(golem_emu, bank: Bank, component: Path) -> None:
    """Crash the transfer at each of its crash points; after recovery the bank applied it exactly once."""

    def scenario(emu) -> None:
        args = [wave(bank.url), wave("t1"), wave("alice"), wave("bob"), "5"]
        emu.worker("alice-to-bob", component).invoke("transfer", args, "transfer-1")

    def check(emu) -> None:
        moves = bank.moves("t1")
        assert moves == [("withdraw", "alice", 5), ("deposit", "bob", 5)], f"the bank applied {moves}"

    # Every trial (and the crash-free run) starts from a fresh bank, so each is compared with the same run.
    result = golem_emu.explore(scenario, check, setup=lambda emu: bank.reset())
    assert result.trials, "the transfer passed no crash point"
    assert not result.failures, result.report()


def test_a_notification_is_never_sent_twice(golem_emu, bank: Bank, component: Path) -> None:
    """Idempotence off: at every crash point the message arrives at most once."""

    def scenario(emu) -> None:
        worker = emu.worker("notifier", component)
        try:
            worker.invoke("notify", [wave(f"{bank.url}/messages"), wave("hello")], "note-1")
        except Exception:  # noqa: BLE001 - a failed worker is an allowed outcome under idempotence off
            pass

    def check(emu) -> None:
        assert bank.messages.count("hello") <= 1, bank.messages

    result = golem_emu.explore(scenario, check, setup=lambda emu: bank.reset())
    assert result.trials
    assert not result.failures, result.report()
