"""Runs the rows of the matrix: fills each request for each caller and side, sends it through the
real HTTP layer, compares the answer with the row, and checks every JSON answer for what no role
may ever see (full identity numbers, password hashes, sealed or hashed fields)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass

import openpyxl

from api.geo.tiles import tile_of
from models.db import db_session
from tests.authz.spec import EMPTY, PUBLIC, Bbox, Cell, Fn, Pt, Ref, Row, Tile, _pick
from tests.authz.world import ANONYMOUS, CALLERS, jpeg, placement

COUNTS: Counter = Counter()
# The operations whose answer is a full identity number, by design (audited, with a reason).
REVEALS = frozenset({"POST /api/v1/residents/{resident_id}/reveal", "POST /api/v1/key-persons/{person_id}/reveal",
                     "POST /api/v1/care-targets/{person_id}/reveal"})
# GB 11643: six digits of region, a birth date (19xx/20xx), a serial of three, a check character.
FULL_ID_NUMBER = re.compile(r"(?<![0-9])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9])")
PASSWORD_HASH = re.compile(r"\$argon2(?:id|i|d)\$")
# An identity number or sealed record as stored ("v<key id>:<base64url of nonce, ciphertext, tag>"),
# and a keyed hash (64 hex digits): what the database holds, never what an answer shows.
SEALED_TOKEN = re.compile(r"(?<![\w/])v[A-Za-z0-9_-]{1,16}:[A-Za-z0-9_-]{38,}")
HEX_DIGEST = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
# Names of internal fields that no answer may carry (stored secrets, keyed hashes, sealed blobs).
INTERNAL_KEYS = frozenset({"password_hash", "password", "new_password", "current_password", "key_hash", "token_hash",
                           "id_number_cipher", "id_number_hash", "parties_sealed", "petitioners_sealed",
                           "details_sealed", "notes_sealed", "observations_sealed", "phone_hash", "resident_hash"})


def operations(spec: dict) -> set[str]:
    """Every operation of an OpenAPI document, as "METHOD /path/{param}"."""
    return {f"{method.upper()} {path}" for path, item in spec["paths"].items()
            for method in item if method in ("get", "post", "put", "patch", "delete")}


@dataclass
class Outcome:
    row: Row
    account: str
    where: str
    caller: str
    expected: object
    status: int
    problem: str | None = None

    def line(self) -> str:
        return (f"{self.row.op} | {self.account} ({self.where}, as {self.caller}) | expected {self.expected}, "
                f"got {self.status}{': ' + self.problem if self.problem else ''}")


def fill(value, cell: Cell):
    """The request part with every placeholder replaced by the cell's value."""
    if isinstance(value, Ref):
        return cell.ref(value.kind, value.attr, value.where)
    if isinstance(value, Pt):
        return cell.world.point(cell.side)
    if isinstance(value, Bbox):
        p = cell.world.point(cell.side)
        d = 0.0002
        return f"{p['lng'] - d},{p['lat'] - d},{p['lng'] + d},{p['lat'] + d}"
    if isinstance(value, Tile):
        p = cell.world.point(cell.side)
        x, y = tile_of(p["lng"], p["lat"], value.z)
        return x if value.axis == "x" else y
    if isinstance(value, Fn):
        return value.fn(cell)
    if isinstance(value, dict):
        return {k: fill(v, cell) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, cell) for v in value]
    return value


BAD_TOKENS = ("forged", "alg:none", "expired")


def cells_of(row: Row):
    """(account, where) pairs of a row: every caller inside; allowed and refused accounts outside too
    when the request names something scoped."""
    for account in CALLERS:
        yield account, "in"
        if account != ANONYMOUS and row.scoped():
            yield account, "out"


def _send(row: Row, cell: Cell, connection, expected, case=None, bad_token: str | None = None) -> Outcome:
    """Build the cell's request (committing what placeholders made), send it inside a savepoint
    that is rolled back afterwards, and judge the answer against ``expected``."""
    world = cell.world
    with world.app.app_context():
        request = _request(row, cell, case)
        if bad_token is not None:
            request["headers"] = {**request["headers"], **world.bad_headers(bad_token)}
        db_session.commit()
        db_session.remove()
    savepoint = connection.begin_nested()
    try:
        response = world.client.open(**request)
        outcome = _judge(row, cell, expected, response, case,
                         token=None if bad_token is None else f"{bad_token} token")
        response.close()
        return outcome
    finally:
        db_session.remove()
        savepoint.rollback()


def run_row(row: Row, world, connection) -> list[Outcome]:
    outcomes = []
    for account, where in cells_of(row):
        expected = row.expected(account, where)
        if expected is None:
            continue
        caller, side = placement(account, where) if account != ANONYMOUS else (ANONYMOUS, "A")
        cell = Cell(world=world, account=account, where=where, caller=caller, side=side)
        outcomes.append(_send(row, cell, connection, expected))
    if row.allow != PUBLIC:
        outcomes.append(_bad_token(row, world, connection))
    return outcomes


def _bad_token(row: Row, world, connection) -> Outcome:
    """The anonymous cell again with a bad token for a live session (forged, alg:none or expired,
    in turn by operation): 401."""
    kind = BAD_TOKENS[sum(map(ord, row.op)) % len(BAD_TOKENS)]  # the same operation, the same kind, every run
    cell = Cell(world=world, account=ANONYMOUS, where="in", caller=ANONYMOUS, side="A")
    return _send(row, cell, connection, 401, bad_token=kind)


def run_cases(row: Row, world, connection) -> list[Outcome]:
    """The row's cases: each allowed account, as itself, with its own object in the path and an
    id from outside in the body or query. An account whose outside has no object of a kind the
    case names (world.outside_kinds) is left out of that case."""
    outcomes = []
    for case in row.cases:
        for account in sorted(case.accounts or row.allow):
            cell = Cell(world=world, account=account, where="in", caller=account, side=placement(account, "in")[1])
            if not world.has_outside(account, _out_kinds(case)):
                continue
            expected = _pick(case.expect, account, None)
            outcomes.append(_send(row, cell, connection, expected, case))
    return outcomes


def _out_kinds(case) -> set[str]:
    found = set()

    def walk(value):
        if isinstance(value, Ref) and value.where == "out":
            found.add(value.kind)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        elif isinstance(value, Fn):
            found.update(getattr(value.fn, "out_kinds", ()))

    walk([case.body, case.query, case.path])
    return found


def _request(row: Row, cell: Cell, case=None) -> dict:
    for kind in row.needs:  # what the answer must hold inside (see Row.needs)
        cell.ref(kind)
    path = row.template
    for name, value in fill(row.path if case is None or case.path is None else case.path, cell).items():
        path = path.replace("{" + name + "}", str(value))
    body = row.body_for.get(cell.account, row.body)
    query = row.query
    if case is not None:
        body = body if case.body is None else case.body
        query = query if case.query is None else case.query
    request = {"path": path, "method": row.method,
               "headers": {**cell.world.headers(cell.caller), **row.headers},
               "query_string": fill(query, cell) if query is not None else None}
    if row.multipart:
        request["data"] = {"file": (io.BytesIO(jpeg()), "photo.jpg")}
        request["content_type"] = "multipart/form-data"
    elif body is not None:
        request["json"] = fill(body, cell)
    if row.stream:
        request["buffered"] = False
    return request


def _judge(row: Row, cell: Cell, expected, response, case=None, token: str | None = None) -> Outcome:
    status = response.status_code
    where = token or (cell.where if case is None else f"case: {case.label}")
    outcome = Outcome(row, cell.account, where, cell.caller, expected, status)
    label = "200 empty" if expected == EMPTY else str(expected)
    COUNTS[label] += 1
    COUNTS["cells"] += 1
    if case is not None:
        COUNTS["cases"] += 1
    if token is not None:
        COUNTS["bad tokens"] += 1
    if expected == EMPTY:
        if status != 200:
            outcome.problem = "not 200"
        elif not _is_empty(response):
            outcome.problem = "not empty: " + _describe(response)
    elif status != expected:
        outcome.problem = _describe(response)
    check = row.check if case is None else case.check
    if outcome.problem is None and check is not None and cell.account != ANONYMOUS \
            and row.allows(cell.account):
        ok, why = check(cell, response)
        if not ok:
            outcome.problem = f"check failed: {why}"
    if not row.stream and outcome.problem is None:
        outcome.problem = leaks(row, response)
    if (outcome.problem is None and case is None and row.out == EMPTY and cell.where == "in" and status == 200
            and row.allows(cell.account) and _is_empty(response)):
        # the filter must have found something inside, or finding nothing outside proves nothing
        outcome.problem = "empty inside: the filter finds nothing even in scope"
    if outcome.problem is not None:
        COUNTS["mismatches"] += 1
    return outcome


def _describe(response) -> str:
    if response.is_json:
        payload = response.get_json()
        if isinstance(payload, dict) and "error" in payload:
            return f"{payload.get('error')} {json.dumps(payload.get('errors'), ensure_ascii=False)[:200]}"
        return json.dumps(payload, ensure_ascii=False, default=str)[:200]
    return f"{response.mimetype} ({len(response.data)} bytes)"


def _is_empty(response) -> bool:
    mimetype = response.mimetype
    if response.is_json:
        payload = response.get_json()
        if isinstance(payload, dict) and "features" in payload:
            return payload["features"] == []
        return payload == []
    if mimetype == "application/vnd.mapbox-vector-tile":
        return len(response.data) == 0
    if mimetype == "text/csv":
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        return len(rows) <= 1
    if mimetype.endswith("spreadsheetml.sheet"):
        sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).active
        return sum(1 for r in sheet.iter_rows(values_only=True) if any(v not in (None, "") for v in r)) <= 1
    return False


def leaks(row: Row, response) -> str | None:
    """What no answer may hold: a full identity number (except a reveal's), a password hash, a
    sealed token or keyed hash as stored, an internal field. JSON answers and the Excel and CSV
    ledgers are read."""
    if response.status_code >= 400 or not response.data:
        return None
    text = _text_of(response)
    if text is None:
        return None
    found = FULL_ID_NUMBER.search(text)
    if found and row.op not in REVEALS:
        return f"a full identity number in the answer ({found.group(0)[:6]}…)"
    for pattern, what in ((PASSWORD_HASH, "a password hash"), (SEALED_TOKEN, "a sealed token"),
                          (HEX_DIGEST, "a 64-hex-digit hash")):
        if pattern.search(text):
            return f"{what} in the answer: {pattern.search(text).group(0)[:12]}…"
    if response.is_json:
        bad = _keys(response.get_json()) & INTERNAL_KEYS
        if bad:
            return f"internal fields in the answer: {sorted(bad)}"
    return None


def _text_of(response) -> str | None:
    if response.is_json:
        return response.get_data(as_text=True)
    if response.mimetype == "text/csv":
        return response.data.decode("utf-8-sig")
    if response.mimetype.endswith("spreadsheetml.sheet"):
        sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).active
        return "\n".join("\t".join("" if v is None else str(v) for v in r) for r in sheet.iter_rows(values_only=True))
    return None


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def summary_lines() -> list[str]:
    lines = [f"cells checked: {COUNTS['cells']} (of which ids from outside in bodies and filters: {COUNTS['cases']}; "
             f"forged, alg:none and expired tokens: {COUNTS['bad tokens']})"]
    for label in sorted(k for k in COUNTS if k not in ("cells", "mismatches", "rows", "cases", "bad tokens")):
        lines.append(f"  expected {label}: {COUNTS[label]}")
    lines.append(f"operations: {COUNTS['rows']}, mismatches: {COUNTS['mismatches']}")
    return lines
