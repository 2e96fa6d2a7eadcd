"""The corpus itself: present (or one skip saying where it was looked for), and unchanged since it was made."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.golem.conftest import CORPUS, MISSING


def test_the_corpus_is_golems_v1_2_4_components() -> None:
    if MISSING:
        pytest.skip(MISSING)
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    assert manifest["release"] == "v1.2.4"
    for entry in manifest["components"]:
        data = (CORPUS / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{entry['file']} differs from the manifest"
