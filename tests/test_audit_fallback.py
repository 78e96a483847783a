"""The fallback dependency check (scripts/pypi_advisories.py) that `make audit` runs when
pip-audit cannot reach its service: which pins it covers, and its exit status."""

import urllib.error

import pytest

from scripts import pypi_advisories as pa

PROJECTS = {
    "flask": {"info": {"version": "3.1.3"}, "vulnerabilities": []},
    "oldlib": {"info": {"version": "2.0"}, "vulnerabilities": [{"id": "PYSEC-1"}]},
    "badlib": {"info": {"version": "1.0"}, "vulnerabilities": [
        {"id": "GHSA-xxxx", "withdrawn": None}, {"id": "PYSEC-OLD", "withdrawn": "2025-01-01"}]},
}


@pytest.fixture
def index(monkeypatch):
    def project(name):
        if name not in PROJECTS:
            raise urllib.error.URLError("no route")
        return PROJECTS[name]
    monkeypatch.setattr(pa, "project", project)


def write(tmp_path, text):
    path = tmp_path / "constraints.txt"
    path.write_text(text)
    return str(path)


def test_pins_read_exact_versions_only(tmp_path):
    path = write(tmp_path, "# header\nflask==3.1.3\nuvicorn[standard]==0.30.0  # note\nrange>=1\n\n")
    assert pa.pins(path) == [("flask", "3.1.3"), ("uvicorn", "0.30.0")]


def test_all_pins_latest_and_clean_is_exit_0(tmp_path, index, capsys):
    assert pa.main(["x", write(tmp_path, "flask==3.1.3\n")]) == pa.EXIT_CLEAN
    assert "1 are the latest release (0 with advisories)" in capsys.readouterr().out


def test_an_older_pin_is_not_covered_even_when_the_latest_has_advisories(tmp_path, index, capsys):
    assert pa.main(["x", write(tmp_path, "flask==3.1.3\noldlib==1.0\n")]) == pa.EXIT_NOT_PROVEN
    out = capsys.readouterr().out
    assert "not covered oldlib==1.0 (latest 2.0)" in out
    assert "VULNERABLE" not in out


def test_advisories_on_a_latest_pin_fail_and_withdrawn_ones_do_not_count(tmp_path, index, capsys):
    assert pa.main(["x", write(tmp_path, "flask==3.1.3\nbadlib==1.0\n")]) == pa.EXIT_VULNERABLE
    out = capsys.readouterr().out
    assert "VULNERABLE badlib==1.0: GHSA-xxxx" in out
    assert "PYSEC-OLD" not in out


def test_unreachable_projects_are_reported(tmp_path, index, capsys):
    assert pa.main(["x", write(tmp_path, "flask==3.1.3\nnowhere==1\n")]) == pa.EXIT_NOT_PROVEN
    assert "unreachable nowhere==1" in capsys.readouterr().out
    assert pa.main(["x", write(tmp_path, "nowhere==1\n")]) == pa.EXIT_UNREACHABLE
