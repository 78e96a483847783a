"""The fuzz run's credentials and its counts, printed at the end of the run."""

from __future__ import annotations

import pytest

from tests.fuzz import driver

TOTAL = driver.Tally()


@pytest.fixture
def credentials(client):
    """An Authorization header per role, from logins inside the test's transaction (rolled back with it, so the
    sessions, audit rows and rate counters of the fuzz run never reach another test)."""
    return driver.role_headers(client)


@pytest.fixture(scope="session")
def fuzz_tally():
    return TOTAL


def pytest_terminal_summary(terminalreporter):
    if not TOTAL.cases:
        return
    write = terminalreporter.write_line
    write("")
    write(f"fuzz ({driver.profile_name()} profile): {sum(TOTAL.cases.values())} cases in {TOTAL.seconds:.0f} s, "
          f"{TOTAL.operations} operations")
    write("  cases per role: " + ", ".join(f"{role} {count}" for role, count in sorted(TOTAL.cases.items())))
    write("  answers: " + ", ".join(f"{cls} {count}" for cls, count in sorted(TOTAL.statuses.items())))
    write(f"  failures: {len(TOTAL.failures)} (server errors: "
          f"{sum(1 for key in TOTAL.failures if key[2] == 'ServerError')})")
