"""A host call that lifts two borrowed handles (wasi `poll` of two pollables, `link-at`, `rename-at`).

wasmtime 50 with its component-model concurrency support on traps such a call with "BUG: deferred host scope
has no call context" before the host function runs; reqwest over wasi:http meets it on its first `poll`.
The Runtime's engine turns that support off. This component is the smallest reproduction.
"""

from __future__ import annotations

import wasmtime
from wasmtime import component as wc

from emulator.runtime import fastcall
from emulator.runtime.engine import Runtime

_WAT = r"""
(component
  (import "emu:t/two" (instance $host
    (export "r" (type $r (sub resource)))
    (export "make" (func (result (own $r))))
    (export "two" (func (param "a" (borrow $r)) (param "b" (borrow $r)) (result u32)))))
  (alias export $host "r" (type $r))
  (core func $make (canon lower (func $host "make")))
  (core func $two (canon lower (func $host "two")))
  (core func $drop (canon resource.drop $r))
  (core module $m
    (import "h" "make" (func $make (result i32)))
    (import "h" "two" (func $two (param i32 i32) (result i32)))
    (import "h" "drop" (func $drop (param i32)))
    (func (export "run") (result i32) (local $a i32) (local $b i32) (local $r i32)
      (local.set $a (call $make)) (local.set $b (call $make))
      (local.set $r (call $two (local.get $a) (local.get $b)))
      (call $drop (local.get $a)) (call $drop (local.get $b))
      (local.get $r)))
  (core instance $hi (export "make" (func $make)) (export "two" (func $two)) (export "drop" (func $drop)))
  (core instance $i (instantiate $m (with "h" (instance $hi))))
  (func $run (result u32) (canon lift (core func $i "run")))
  (export "run" (func $run)))
"""


def test_a_host_call_may_borrow_two_handles(runtime: Runtime) -> None:
    engine = runtime.engine
    component = wc.Component(engine, _WAT)
    reps = iter(range(1, 10))
    seen: list[tuple[int, int]] = []

    def two(store: object, a: fastcall.HostHandle, b: fastcall.HostHandle) -> int:
        seen.append((a.rep, b.rep))
        return a.rep + b.rep

    linker = wc.Linker(engine)
    (_, iface), = [(n, e.ty) for n, e in component.type.imports(engine).items()]
    with linker.root() as root, root.add_instance("emu:t/two") as inst:
        inst.add_resource("r", wc.ResourceType.host(99), lambda store, rep: None)
        inst.add_func("make", lambda store: wc.ResourceHost.own(next(reps), 99))
        fastcall.add_func(inst, "two", two, fastcall.Signature.of(iface.exports(engine)["two"].ty))
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1)
    run = linker.instantiate(store, component).get_func(store, "run")
    assert run is not None
    assert run(store) == 3
    assert seen == [(1, 2)]
