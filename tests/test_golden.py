"""Golden files: the exact Markdown of a small case's documents.

Regenerate after an intended change with ``MEND_UPDATE_GOLDEN=1 pytest
tests/test_golden.py`` and review the diff like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.build import build

from .conftest import FULL_CASE, TODAY, make_workspace

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    ws = make_workspace(tmp_path_factory.mktemp("ws"), {"acme.yaml": FULL_CASE})
    assert build(ws, today=TODAY, formats=("md",)).ok
    return ws / "output" / "acme"


@pytest.mark.parametrize(
    "name", ["agenda-2026-11-24.md", "plan.md", "internal/brief-2026-11-24.md"]
)
def test_markdown_matches_golden(built, name):
    actual = (built / name).read_text(encoding="utf-8")
    golden = GOLDEN / name.replace("/", "-")
    if os.environ.get("MEND_UPDATE_GOLDEN"):
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")
