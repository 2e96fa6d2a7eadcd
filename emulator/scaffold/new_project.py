"""`golem-emu new python DIR`: a guest project that builds and is crash-tested out of the box."""

from __future__ import annotations

import re
from pathlib import Path

from emulator.errors import UsageError
from emulator.scaffold.wit_deps import check_host_version, write_wit_deps

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("python",)

# Where each template file goes in the new project (the rest keep their relative path).
_RENAMES = {"app.wit": "wit/app.wit", "gitignore": ".gitignore"}
_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*")


def project_name(directory: Path) -> str:
    """The WIT package namespace for a project in `directory`, from its name (kebab-case)."""
    name = re.sub(r"[^a-z0-9]+", "-", directory.resolve().name.lower()).strip("-")
    if not _NAME.fullmatch(name):
        raise UsageError(f"cannot make a WIT package name from the directory name {directory.name!r}: "
                         "use a name that starts with a letter, such as `my-bank`")
    return name


def create(language: str, directory: Path, host_version: str, cache: Path) -> list[Path]:
    """Write a new project of `language` into `directory` (absent or empty); the files written."""
    if language not in LANGUAGES:
        raise UsageError(f"golem-emu new knows {', '.join(LANGUAGES)}, not {language!r}")
    check_host_version(host_version)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError(f"{directory} already exists and is not empty; choose a new directory "
                         "(`golem-emu wit DIR` writes only the WIT into an existing project)")
    name = project_name(directory)
    written: list[Path] = []
    source_root = TEMPLATES / language
    for source in sorted(p for p in source_root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        relative = source.relative_to(source_root).as_posix()
        target = directory / _RENAMES.get(relative, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text().replace("@@NAME@@", name).replace("@@HOST_VERSION@@", host_version)
        target.write_text(text)
        written.append(target)
    write_wit_deps(directory, host_version, cache)
    return written
