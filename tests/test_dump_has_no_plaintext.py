"""A dump of the database (pg_dump, as a thief or a careless backup would take it) holds no identity
number and none of the sealed details, only their ciphertexts. Run over the committed demo data."""

from __future__ import annotations

import re
import subprocess

from api.population.identity import InvalidIdNumber, validate_id_number
from tests.conftest import pg_program
from tests.live import libpq_dsn

TABLES = ("residents", "followed_persons", "follow_ups", "disputes", "mediation_sessions", "audit_events", "visits",
          "matters", "matter_events", "households")


def test_a_dump_shows_no_identity_number_or_sealed_detail(app):
    url = libpq_dsn(app)
    args = [pg_program("pg_dump"), "--data-only", "--no-owner", *(f"--table={t}" for t in TABLES), url]
    dump = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    assert "COPY public.residents" in dump and len(dump) > 100_000  # the demo's people are in it, sealed
    assert _identity_numbers(dump) == []
    number = app.extensions["gridgov.identity"].decrypt(_first_sealed_number(dump))
    assert _identity_numbers(f"x\t{number}\ty") == [number]  # the search would find one in clear
    for secret in ("演示用诊断", "当事人甲（演示）", "13900000001", "拆迁补偿（演示）", "天桥街道司法所（演示）"):
        assert secret not in dump


def _identity_numbers(text: str) -> list[str]:
    numbers = []
    for candidate in re.findall(r"(?<![0-9A-Za-z])[0-9]{17}[0-9X](?![0-9A-Za-z])", text):
        try:
            numbers.append(validate_id_number(candidate))
        except InvalidIdNumber:
            pass
    return numbers


def _first_sealed_number(dump: str) -> str:
    """The first id_number_cipher of the residents' COPY block."""
    lines = iter(dump.splitlines())
    header = next(line for line in lines if line.startswith("COPY public.residents ("))
    columns = header[header.index("(") + 1:header.index(")")].split(", ")
    at = columns.index("id_number_cipher")
    return next(line.split("\t")[at] for line in lines if line.split("\t")[at] != "\\N")
