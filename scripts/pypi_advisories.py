"""Fallback dependency check for machines where `pip-audit` cannot reach its services.

pip-audit asks PyPI for each pinned release (`/pypi/<name>/<version>/json`) or asks OSV; where
neither answers (this project's build machines reach PyPI only through a mirror that serves the
project JSON but not the per-release JSON), this script reads each pinned project's JSON from
PyPI and reports:

- the advisories PyPI lists for the project's latest release (its `vulnerabilities` field), which
  cover a pin only when the pin *is* the latest release;
- the pins that are not the latest release, which this check cannot judge.

It is not a substitute for pip-audit: `scripts/audit.sh` runs it only after pip-audit failed to
reach its service, and `make audit` still exits non-zero (3, "not proven") when some pin was not
covered. Standard library only, so it runs with the system Python.

    python3 scripts/pypi_advisories.py constraints.txt
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import sys
import urllib.error
import urllib.request

INDEX = os.environ.get("PYPI_JSON_URL", "https://pypi.org/pypi")
PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")

EXIT_CLEAN, EXIT_VULNERABLE, EXIT_UNREACHABLE, EXIT_NOT_PROVEN = 0, 1, 2, 3


def pins(path: str) -> list[tuple[str, str]]:
    found = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            match = PIN.match(line)
            if match:
                found.append((match.group(1), match.group(2)))
    return found


def project(name: str) -> dict:
    with urllib.request.urlopen(f"{INDEX}/{name}/json", timeout=60) as answer:
        return json.load(answer)


def judge(pin: tuple[str, str]) -> tuple[str, str, str | None, list[str], str | None]:
    """(name, pinned, latest, advisory ids for the pin, error)."""
    name, pinned = pin
    try:
        data = project(name)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        return name, pinned, None, [], str(exc)
    latest = data["info"]["version"]
    advisories = []
    if latest == pinned:
        for vuln in data.get("vulnerabilities") or []:
            if not vuln.get("withdrawn"):
                advisories.append(vuln.get("id") or "?")
    return name, pinned, latest, advisories, None


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "constraints.txt"
    wanted = pins(path)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(judge, wanted))

    covered = [r for r in results if r[4] is None and r[2] == r[1]]
    stale = [r for r in results if r[4] is None and r[2] != r[1]]
    failed = [r for r in results if r[4] is not None]
    vulnerable = [r for r in covered if r[3]]

    for name, pinned, _latest, advisories, _ in vulnerable:
        print(f"VULNERABLE {name}=={pinned}: {', '.join(advisories)}")
    for name, pinned, latest, _, _ in stale:
        print(f"not covered {name}=={pinned} (latest {latest}): PyPI lists advisories for the latest release only")
    for name, pinned, _, _, error in failed:
        print(f"unreachable {name}=={pinned}: {error}")
    print(
        f"[audit] fallback over {len(results)} pins from {path}: {len(covered)} are the latest release "
        f"({len(vulnerable)} with advisories), {len(stale)} not covered, {len(failed)} unreachable"
    )
    if vulnerable:
        return EXIT_VULNERABLE
    if failed and not covered:
        return EXIT_UNREACHABLE
    if stale or failed:
        return EXIT_NOT_PROVEN
    return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main(sys.argv))
