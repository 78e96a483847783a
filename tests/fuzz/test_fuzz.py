"""The quick fuzz profile (issue 12 point 1): every operation of the OpenAPI document, every role,
valid and invalid input; no 5xx, answers match their schemas, invalid input gets a 4xx."""

from __future__ import annotations

import pytest

from tests.fuzz import driver


@pytest.fixture(scope="module")
def schema(app):
    return driver.load_schema(app)


def pytest_generate_tests(metafunc):
    if "operation_label" in metafunc.fixturenames:
        from api import create_app
        from config import TestingConfig

        # labels only (the app of the session fixture serves the same document)
        app = create_app(TestingConfig())
        labels = [op.label for op in driver.operations(driver.load_schema(app))]
        metafunc.parametrize("operation_label", labels)


def test_operation_holds_under_fuzzing(operation_label, schema, credentials, fuzz_tally):
    operation = schema.find_operation_by_label(operation_label)
    assert operation is not None, operation_label
    tally = driver.fuzz_operation(operation, credentials, driver.profile_examples())
    fuzz_tally.add(tally)
    assert not tally.failures, "\n\n".join(f"{key}: {text}" for key, text in tally.failures.items())
