"""The authorization matrix (RELIABILITY.md, API1/API3/API5): every operation of the OpenAPI
document × every demo account and an anonymous caller × an object inside and outside the caller's
scope, each answer compared with the row written for it in tests/authz/matrix.py."""

from __future__ import annotations

import pytest

from tests.authz import harness
from tests.authz.matrix import ROWS

ROWS_BY_OP = {row.op: row for row in ROWS}


def test_every_operation_has_exactly_one_row(app):
    """CI fails when an operation of the OpenAPI document has no row, when a row names an operation
    that no longer exists, or when an operation has two rows."""
    spec = app.test_client().get("/api/openapi.json").get_json()
    documented = harness.operations(spec)
    labels = [row.op for row in ROWS]
    duplicates = sorted({op for op in labels if labels.count(op) > 1})
    assert not duplicates, f"operations with two rows: {duplicates}"
    missing = sorted(documented - set(labels))
    assert not missing, "operations without a row in tests/authz/matrix.py:\n  " + "\n  ".join(missing)
    stale = sorted(set(labels) - documented)
    assert not stale, "rows for operations the OpenAPI document no longer has:\n  " + "\n  ".join(stale)


@pytest.mark.parametrize("op", sorted(ROWS_BY_OP))
def test_operation(op, matrix):
    """Each caller gets the row's answer, inside and outside its scope; no answer leaks."""
    world, connection = matrix
    harness.COUNTS["rows"] += 1
    outcomes = harness.run_row(ROWS_BY_OP[op], world, connection)
    outcomes += harness.run_cases(ROWS_BY_OP[op], world, connection)
    wrong = [o.line() for o in outcomes if o.problem is not None]
    assert not wrong, f"{len(wrong)} of {len(outcomes)} cells differ from the matrix:\n  " + "\n  ".join(wrong)
