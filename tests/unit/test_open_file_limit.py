"""`golem-emu serve` raises its soft limit of open files, so many warm replicated workers fit in one server."""

from __future__ import annotations

import subprocess
import sys


def test_the_soft_limit_rises_to_the_hard_limit_or_the_wanted_count() -> None:
    # In a child process that starts with a soft limit of 256, so this test process keeps its own limits.
    code = (
        "import resource\n"
        "from emulator.server.http import raise_open_file_limit\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))\n"
        "got = raise_open_file_limit(4096)\n"
        "now = resource.getrlimit(resource.RLIMIT_NOFILE)[0]\n"
        "want = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)\n"
        "print(got, now, want)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    got, now, want = map(int, out)
    assert got == now == want


def test_a_soft_limit_already_high_enough_is_left_alone() -> None:
    code = (
        "import resource\n"
        "from emulator.server.http import raise_open_file_limit\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "print(raise_open_file_limit(16), resource.getrlimit(resource.RLIMIT_NOFILE)[0], soft)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    got, now, before = map(int, out)
    assert now == before and got == before
