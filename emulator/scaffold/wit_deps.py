"""The WIT a guest project builds against: golem:api/host at one 1.1.x version, and WASI 0.2 for wasi:http.

golem:api comes from golem-emu itself: the repository's wit/deps (a source checkout, an editable install) or
the same files built into the wheel as package data. 1.1.0 and 1.1.7 are written out in full there; for the
versions between them golem-emu writes the durability controls alone (`subset_host_wit`), whose names and
types did not change across 1.1.x, so a component built against them links on any 1.1.x host.

WASI's own WIT is not ours to ship: it is unpacked from the pinned @bytecodealliance/jco npm package, checked
against its registry integrity, exactly as the repository's own guest build does (Makefile.guests).
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tarfile
from pathlib import Path

from emulator.errors import UsageError

HOST_VERSIONS = tuple(f"1.1.{n}" for n in range(8))
DEFAULT_HOST_VERSION = "1.1.7"

JCO_VERSION = "1.35.0"
JCO_INTEGRITY = "sha512-O53cWIMm/M1SpwLxKRicvAMDnzWf4zWs6I6qFZIGbn3HUovDMCCe9blkGxxYuyocHjVf/cXgNmlMu/x7Tyi77A=="
WASI_VERSION = "0.2.12"
WASI_PACKAGES = ("cli", "clocks", "filesystem", "http", "io", "random", "sockets")

# Which directories of our wit/deps each host version needs (the rest of the version's dependencies).
_FULL = {
    "1.1.0": ("golem-api-1.1.0", "golem-rpc-0.1.0", "wasi-clocks-0.2.0", "wasi-io-0.2.0"),
    "1.1.7": ("golem-api-1.1.7", "golem-rpc-0.2.2", "wasi-clocks-0.2.3", "wasi-io-0.2.3"),
}
_SUBSET_DEPS = ("wasi-clocks-0.2.3", "wasi-io-0.2.3")


def golem_wit_root() -> Path:
    """Where golem-emu's own golem:api WIT lives: package data in a wheel, else the source tree's wit/deps."""
    packaged = Path(__file__).parent / "wit"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[2] / "wit" / "deps"
    if source.is_dir():
        return source
    raise UsageError("golem-emu's WIT files are missing from this installation; reinstall golem-emu")


def check_host_version(version: str) -> str:
    """`version` if golem-emu serves it, else bad input naming the versions it does serve."""
    if version not in HOST_VERSIONS:
        raise UsageError(f"--host-version {version!r} is not one golem-emu serves; use one of "
                         f"{', '.join(HOST_VERSIONS)} (golem:api/host)")
    return version


def subset_host_wit(version: str) -> str:
    """golem:api@`version` with only the durability controls (for the versions between 1.1.0 and 1.1.7)."""
    return f"""// golem:api {version}, the durability controls only: written by `golem-emu wit`.
// Their names and types are the same in every golem:api 1.1.x, so a component built against this file
// links on a Golem host of any 1.1.x version. Use --host-version 1.1.0 or 1.1.7 for the whole interface.
package golem:api@{version};

interface host {{
  use wasi:clocks/monotonic-clock@0.2.3.{{duration}};

  /// Position in a worker's operation log (1 is the first entry).
  type oplog-index = u64;

  /// How failed invocations are retried: exponential backoff between the two delays.
  record retry-policy {{
    max-attempts: u32,
    min-delay: duration,
    max-delay: duration,
    multiplier: f64,
    max-jitter-factor: option<f64>,
  }}

  /// What the executor records in the oplog.
  variant persistence-level {{
    persist-nothing,
    persist-remote-side-effects,
    smart,
  }}

  /// The index of the last entry written so far.
  get-oplog-index: func() -> oplog-index;
  /// Go back to an earlier index: everything after it is re-executed live.
  set-oplog-index: func(oplog-idx: oplog-index);
  /// Wait until the oplog is stored on at least `replicas` replicas.
  oplog-commit: func(replicas: u8);
  /// Open an atomic region: if the worker fails before it is closed, the whole region runs again.
  mark-begin-operation: func() -> oplog-index;
  /// Close the atomic region opened at `begin`.
  mark-end-operation: func(begin: oplog-index);
  get-retry-policy: func() -> retry-policy;
  set-retry-policy: func(new-retry-policy: retry-policy);
  get-oplog-persistence-level: func() -> persistence-level;
  set-oplog-persistence-level: func(new-persistence-level: persistence-level);
  /// Idempotent (the default): a request in flight at a crash is sent again; off: the worker fails instead.
  get-idempotence-mode: func() -> bool;
  set-idempotence-mode: func(idempotent: bool);
}}
"""


def write_golem_wit(deps: Path, version: str) -> list[Path]:
    """golem:api@`version` and the packages it uses, as directories of `deps`; the directories written."""
    check_host_version(version)
    root = golem_wit_root()
    written = []
    for name in _FULL.get(version, _SUBSET_DEPS):
        target = deps / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(root / name, target)
        written.append(target)
    if version not in _FULL:
        target = deps / f"golem-api-{version}"
        target.mkdir(parents=True, exist_ok=True)
        (target / "host.wit").write_text(subset_host_wit(version))
        written.append(target)
    return written


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def jco_package(cache: Path) -> Path:
    """The pinned jco npm tarball, fetched once into `cache` with `npm pack` and checked against its integrity."""
    tgz = cache / f"bytecodealliance-jco-{JCO_VERSION}.tgz"
    if tgz.exists() and _integrity(tgz) == JCO_INTEGRITY:
        return tgz
    cache.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    if npm is None:
        raise UsageError("npm is needed once to fetch WASI's WIT (the @bytecodealliance/jco package); "
                         "install Node.js and npm, then run this again")
    done = subprocess.run([npm, "pack", "--silent", "--pack-destination", str(cache),
                           f"@bytecodealliance/jco@{JCO_VERSION}"], capture_output=True, text=True)
    if done.returncode != 0 or not tgz.exists():
        raise UsageError(f"npm pack @bytecodealliance/jco@{JCO_VERSION} failed: "
                         f"{(done.stderr or done.stdout).strip().splitlines()[-1:] or ['no output']}")
    if _integrity(tgz) != JCO_INTEGRITY:
        tgz.unlink()
        raise UsageError(f"@bytecodealliance/jco@{JCO_VERSION} from npm does not match its pinned integrity; "
                         "refusing to use it")
    return tgz


def write_wasi_wit(deps: Path, cache: Path) -> list[Path]:
    """WASI 0.2's packages (wasi:http and what it uses) from the pinned jco package into `deps`."""
    tgz = jco_package(cache)
    written = []
    with tarfile.open(tgz, "r:gz") as archive:
        for name in WASI_PACKAGES:
            member = archive.getmember(f"package/lib/wit/builtin/{WASI_VERSION}/wasi-{name}/package.wit")
            source = archive.extractfile(member)
            assert source is not None
            target = deps / f"wasi-{name}-{WASI_VERSION}"
            target.mkdir(parents=True, exist_ok=True)
            (target / "package.wit").write_bytes(source.read())
            written.append(target)
    return written


def write_wit_deps(project: Path, version: str, cache: Path) -> list[Path]:
    """Every WIT dependency of a guest project (`golem-emu wit`): wit/deps/ under `project`."""
    if not project.is_dir():
        raise UsageError(f"{project} is not a directory; give the project's directory (it gets wit/deps/)")
    deps = project / "wit" / "deps"
    for old in deps.glob("golem-api-*"):
        shutil.rmtree(old)  # one golem:api version per project: the one asked for now
    return write_golem_wit(deps, version) + write_wasi_wit(deps, cache)
