"""Schemathesis against GridGov's own OpenAPI document, in-process over WSGI, one token per role.

For every operation and every demo role, Hypothesis generates requests from the operation's schema
(valid ones, and invalid ones: wrong types, missing or unknown fields, out-of-range values) and
sends them to the app through its WSGI interface. Each answer is checked:

- no 5xx (``not_a_server_error``);
- the body matches the response schema the operation documents, for success and error answers
  alike (``response_schema_conformance``), with the documented content type;
- invalid input is rejected with a 4xx (``negative_data_rejection``).

The quick profile runs in ``make test`` (tests/fuzz/test_fuzz.py); ``make fuzz`` runs the same test
with the long profile (FUZZ_PROFILE=long); tests/fuzz/conftest.py prints the counts.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import time

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
)
from schemathesis.config import SchemathesisConfig

from models.accounts import Role

ROLES = tuple(role.value for role in Role)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, negative_data_rejection]

# Profiles: examples per operation, per role and per mode (valid / invalid input).
PROFILES = {"quick": 2, "medium": 8, "long": 25}

# The long-lived event stream is not fuzzed (it would never end in a synchronous WSGI call);
# every other operation of the document is.
SKIPPED = {("GET", "/api/v1/stream")}


@dataclasses.dataclass
class Tally:
    """What a fuzz run did: cases per role, answers per status class, and the failures found."""

    cases: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    statuses: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    failures: dict = dataclasses.field(default_factory=dict)
    seconds: float = 0.0
    operations: int = 0

    def add(self, other: Tally) -> None:
        self.cases.update(other.cases)
        self.statuses.update(other.statuses)
        self.failures.update(other.failures)
        self.seconds += other.seconds
        self.operations += other.operations


# Invalid input must be refused with one of these. Schemathesis's default list lacks 413, which is
# how GridGov refuses a batch longer than its cap (`too_many_items`: over 500 visits in a sync,
# 10,000 points in a patrol, 20,000 features in an import) — a refusal, documented on each of those
# operations. The long profile found it: a sync of 501+ malformed visits answered 413.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}})


def load_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=CONFIG)


def operations(schema) -> list:
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            found.append(operation)
    return sorted(found, key=lambda op: (op.path, op.method))


def fuzz_operation(operation, credentials: dict[str, dict], examples: int) -> Tally:
    """Fuzz one operation as every role (``credentials``: role → headers), ``examples`` valid and
    ``examples`` invalid cases each. Derandomized: a run repeats the last one's cases."""
    tally = Tally()
    started = time.perf_counter()
    for role, headers in credentials.items():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, role, headers, mode, examples, tally)
    tally.seconds = time.perf_counter() - started
    tally.operations = 1
    return tally


def _run(operation, role, headers, mode, examples, tally) -> None:
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=strategy)
    def check(case):
        tally.cases[role] += 1
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as exc:  # a FailureGroup of the checks' failures, or one failure on its own
            for failure in getattr(exc, "exceptions", [exc]):
                tally.failures.setdefault((operation.label, role, type(failure).__name__), _describe(case, failure))
            return
        tally.statuses[f"{response.status_code // 100}xx"] += 1

    check()


def _describe(case, failure) -> str:
    text = str(failure).strip().splitlines()
    head = "\n".join(text[:12])
    return f"{case.method} {case.formatted_path} query={case.query!r} body={_short(case.body)}\n{head}"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "…"


def role_headers(client) -> dict[str, dict]:
    """The Authorization header of each demo role (``client``: tests.conftest.ApiClient), and none
    for an anonymous caller."""
    return {"anonymous": {}} | {role: client.auth(role) for role in ROLES}


def profile_name() -> str:
    return os.environ.get("FUZZ_PROFILE", "quick")


def profile_examples() -> int:
    return PROFILES[profile_name()]
