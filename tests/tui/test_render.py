"""Rendering shared by the CLI and the TUI: every kind summarizes and details; WAVE pretty-printing."""

from __future__ import annotations

import io
import re

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from emulator.inspect import render
from emulator.inspect.render_detail import entry_detail, pretty_wave
from emulator.oplog.entries import (
    ENTRY_TYPES,
    CancelInvocation,
    Create,
    CreateResource,
    DescribeResource,
    DropResource,
    Exited,
    FailedUpdate,
    GrowMemory,
    Interrupted,
    PendingUpdate,
    PendingWorkerInvocation,
    Restart,
    Revert,
    SuccessfulUpdate,
    Suspend,
)
from tests.tui.sample import sample_entries

EXTRA = [
    Create(worker_name="w", component="c", component_hash="00", env=(("A", "1"),)), Exited(),
    Suspend(), Interrupted(), Restart(), Revert(start=2, end=3), CancelInvocation(idempotency_key="k9"),
    PendingWorkerInvocation(function_name="f", request=("1",), idempotency_key="k8"),
    PendingUpdate(target_component="v2", target_hash="aa" * 32, mode="snapshot", payload_b64="AAEC"),
    SuccessfulUpdate(target_component="v2", target_hash="aa" * 32), FailedUpdate(target_hash="bb" * 32),
    GrowMemory(delta=65536), CreateResource(id=3), DropResource(id=3),
    DescribeResource(id=3, resource_name="counter", resource_params=('"c1"',)),
]


def _text(renderable: object, width: int = 80) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_every_kind_renders_in_a_line_and_in_full() -> None:
    entries = sample_entries() + EXTRA
    assert {e.kind for e in entries} == set(ENTRY_TYPES)
    for n, entry in enumerate(entries, start=2):
        assert "\n" not in render.brief(entry) and "\n" not in render.summary(entry)
        detail = _text(entry_detail(n, entry, width=60), width=60)
        assert detail.startswith(f"#{n} {entry.kind}")
    table = _text(render.oplog_table(list(enumerate(entries, start=2))), width=140)
    assert len(table.splitlines()) == len(entries) + 1  # a header and one line per entry


def test_detail_decodes_payloads() -> None:
    by_index = dict(enumerate(sample_entries(), start=2))
    http = _text(entry_detail(9, by_index[9]))
    assert "request (JSON)" in http and '"method": "POST"' in http and "write-remote-batched" in http
    done = _text(entry_detail(12, by_index[12]))
    assert "response (WAVE)" in done and '{items: ["sku-1"], total: 5}' in done
    call = _text(entry_detail(2, by_index[2]))
    assert '1: "sku-1"' in call and "2: 5" in call


def test_pretty_wave_breaks_long_values_only() -> None:
    short = '{a: 1, b: "x"}'
    assert pretty_wave(short, 80) == short
    long = '{name: "a, b {x}", items: [1, 2, 3], nested: some({x: 1, y: ["q", "r"]}), c: \'}\'}'
    out = pretty_wave(long, 30)
    assert out.splitlines()[0] == "{" and out.splitlines()[-1] == "}"
    assert '  name: "a, b {x}",' in out.splitlines() and "  c: '}'" in out.splitlines()
    assert all(len(line) <= 30 for line in out.splitlines())


_atoms = st.one_of(st.integers(-999, 999).map(str), st.sampled_from(['"a b, c"', "'x'", "none", '"{[("', "%enum"]))
_values = st.recursive(_atoms, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.lists(inner, min_size=1, max_size=3).map(lambda xs: "(" + ", ".join(xs) + ")"),
    st.lists(st.tuples(st.sampled_from(["f", "g-h"]), inner), max_size=3).map(
        lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
    inner.map(lambda x: f"some({x})"),
), max_leaves=12)


@given(_values, st.integers(4, 60))
def test_pretty_wave_only_moves_whitespace(value: str, width: int) -> None:
    def squash(text: str) -> str:  # strings and chars kept intact, whitespace elsewhere dropped
        return "".join(p if p[:1] in "\"'" else re.sub(r"\s+", "", p)
                       for p in re.split(r"(\"[^\"]*\"|'[^']*')", text))

    assert squash(pretty_wave(value, width)) == squash(value)
