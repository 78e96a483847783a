"""docs/authz-matrix.md is the matrix as it stands: regenerate it with
`python -m tests.authz.render > docs/authz-matrix.md` when tests/authz/matrix.py changes."""

from __future__ import annotations

from pathlib import Path

from tests.authz.render import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "authz-matrix.md"


def test_the_checked_in_matrix_is_up_to_date():
    assert DOC.exists(), "docs/authz-matrix.md is missing: python -m tests.authz.render > docs/authz-matrix.md"
    assert DOC.read_text(encoding="utf-8") == render(), \
        "docs/authz-matrix.md is out of date: python -m tests.authz.render > docs/authz-matrix.md"
