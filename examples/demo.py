"""`make demo`, second part: what golem-emu is for, against a toy bank on 127.0.0.1 started here.

1. A payment workflow (guests/bank-fixed) is killed with a real kill -9 mid-way, after the payment and before
   the confirmation; `golem-emu resume` recovers it by replay: the bank sees each request once.
2. `golem-emu explore` crashes the buggy twin (guests/bank) at every crash point and reports the payment it
   sends twice, with a diagnosis and a reproducer; then it passes the fixed guest at every point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "bank"))
from server import Bank  # noqa: E402

BUGGY, FIXED = ROOT / "guests/build/bank.wasm", ROOT / "guests/build/bank-fixed.wasm"


def golem_emu(data: Path, *args: str, env: dict[str, str] | None = None,
              show: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the CLI; echo the command and its output."""
    if show:
        print(f"\n$ golem-emu {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "emulator", "--data-dir", str(data), *args], text=True,
                          capture_output=True, env={**os.environ, "COLUMNS": "110", **(env or {})})
    if show:
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
    return done


def banner(text: str) -> None:
    print(f"\n== {text} ==", flush=True)


def main() -> int:
    bank = Bank().start()
    base = json.dumps(bank.base)
    with tempfile.TemporaryDirectory(prefix="golem-emu-demo-") as tmp:
        data = Path(tmp)
        banner("1. kill -9 in the middle of a workflow with HTTP effects, then recover it")
        listed = golem_emu(data, "invoke", str(FIXED), "-w", "scratch", "--show-crash-points",
                           "pay", base, '"scratch"', "10", show=False)
        points = [line.split()[0] for line in listed.stderr.splitlines() if "end-remote-write" in line]
        point = points[0]  # the payment's response is durable; the confirmation has not been sent
        print(f"crash point {point}: the payment is journaled, the confirmation not sent yet")
        killed = golem_emu(data, "invoke", str(FIXED), "-w", "shop", "-k", "order-1", "pay", base, '"order-1"',
                           "10", env={"GOLEM_EMU_CRASH_AT": point, "GOLEM_EMU_CRASH_MODE": "kill"})
        print(f"(the process died: exit status {killed.returncode}, SIGKILL)")
        golem_emu(data, "resume", "shop")
        ledger = bank.ledger()["requests"]
        print(f"the bank received: /payments x{ledger.get('/payments', 0) - 1}, "
              f"/confirmations x{ledger.get('/confirmations', 0) - 1} (each once: replay sent nothing again)")
        banner("2. explore the buggy payment guest at every crash point")
        buggy = golem_emu(data, "explore", str(BUGGY), "--jobs", "2", "pay", base, '"order-2"', "10")
        banner("3. explore its fix")
        fixed = golem_emu(data, "explore", str(FIXED), "--jobs", "2", "pay", base, '"order-3"', "10")
    bank.shutdown()
    print(f"\nexplore exit codes: buggy guest {buggy.returncode} (a violation found), fixed guest {fixed.returncode}")
    return 0 if buggy.returncode == 1 and fixed.returncode == 0 and killed.returncode == -9 else 1


if __name__ == "__main__":
    sys.exit(main())
