"""Names users and guests give (workers, components, fork targets): checked where they enter, and the only
place a worker name becomes part of a path.

The rules are Golem's for worker names (golem-common's `WorkerId::validate_worker_name`): 1 to 512 bytes, no
whitespace, no '/', not starting with '-'. golem-emu adds one: no control characters (NUL and the like cannot
be passed on a command line, and a terminal would render them as something else).

Golem accepts names such as ".", ".." or "A" beside "a", and so does golem-emu; none of them is ever used as a
path as it is. A worker's directory is named by `path_component`: the name's safe characters for people to
recognise, then a hash of the exact name. So "..", a 512-byte name or a name differing from another only in case
(the same directory on a case-insensitive filesystem such as macOS's default) each get a directory of their own
that stays inside the data directory.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from emulator.errors import UsageError

MAX_NAME_BYTES = 512  # Golem: "Worker name must be between 1 and 512 characters" (it counts UTF-8 bytes)
_READABLE = 40  # how much of the name a directory keeps for people; the hash makes it unique
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_PLAIN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")


class InvalidName(UsageError):
    """A worker or component name that Golem's rules (or golem-emu's) refuse."""


def name_problem(name: str) -> str | None:
    """Why `name` is not a valid worker name, or None if it is."""
    size = len(name.encode("utf-8", "surrogatepass"))
    if not 1 <= size <= MAX_NAME_BYTES:
        return f"it must be 1 to {MAX_NAME_BYTES} bytes long (it has {size})"
    if any(unicodedata.category(c) == "Cc" and not c.isspace() for c in name):
        return "it must not contain control characters such as NUL"
    if any(c.isspace() for c in name):
        return "it must not contain whitespace"
    if "/" in name:
        return "it must not contain '/'"
    if name.startswith("-"):
        return "it must not start with '-'"
    return None


def check_worker_name(name: str, what: str = "worker name") -> str:
    """`name` itself if it is a valid worker name; InvalidName saying why not and what to do otherwise."""
    problem = name_problem(name)
    if problem is not None:
        raise InvalidName(f"invalid {what} {_shown(name)}: {problem} (Golem's rules for worker names)")
    return name


def check_component_name(name: str) -> str:
    """Component names follow the same rules: they are shown beside worker names and may name files."""
    return check_worker_name(name, "component name")


def derived_name(base: str, suffix: str) -> str:
    """A valid worker name made from `base` (a file name, say) and a unique `suffix`."""
    cleaned = re.sub(r"[\s/]+", "_", "".join(c for c in base if unicodedata.category(c) != "Cc")).lstrip("-")
    return check_worker_name(f"{cleaned[:MAX_NAME_BYTES // 8] or 'worker'}-{suffix}")


def path_component(name: str) -> str:
    """The directory (or file stem) that stands for worker `name`: never ".", "..", empty, absolute or
    containing a separator, at most 58 characters, and distinct for names that differ only in case."""
    check_worker_name(name)
    readable = _UNSAFE.sub("_", name)[:_READABLE].strip("_") or "w"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{readable}-{digest}"


def _shown(name: str) -> str:
    """The name quoted for an error line: escapes control characters, shortens a very long one."""
    text = repr(name)
    return text if len(text) <= 80 else f"{text[:60]}...' ({len(name)} characters)"


def file_stem(name: str) -> str:
    """A file name part for worker `name` that people read (an export, say): the name itself when it is plain
    (lower-case letters, digits, '_', '-', '.', not starting with '.'), else `path_component`'s form. A name with
    a capital letter gets the hashed form, so two names that differ only in case never share a file on a
    case-insensitive filesystem."""
    return name if _PLAIN.fullmatch(name) and name == name.lower() else path_component(name)


def sandbox_dir(data_dir: Path, name: str) -> Path:
    """Worker `name`'s private directory (preopened as the guest's "/"): inside `data_dir`, whatever the name."""
    return data_dir / "sandbox" / path_component(name)
