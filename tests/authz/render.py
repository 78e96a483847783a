"""The authorization matrix as a Markdown table: ``python -m tests.authz.render > docs/authz-matrix.md``.

tests/authz/test_render.py fails when the checked-in file differs from what this prints.
"""

from __future__ import annotations

import sys

from tests.authz.matrix import ROWS
from tests.authz.spec import EMPTY, PUBLIC, Fn, Ref, Row
from tests.authz.world import ACCOUNTS, ANONYMOUS, CALLERS

SHORT = {"district_admin": "district", "street_admin": "street", "community_staff": "community",
         "grid_member": "member", "grid_member_2": "member 2", "resident": "resident", "responder": "responder",
         "unit_staff": "unit", "audit_admin": "audit", "system_admin": "system", "security_admin": "security",
         ANONYMOUS: "anon."}


def _answer(value) -> str:
    return "∅" if value == EMPTY else str(value)


def cell_text(row: Row, account: str) -> str:
    inside = row.expected(account, "in")
    if account == ANONYMOUS or (row.allow != PUBLIC and account not in row.allow):
        return _answer(inside)  # the same in and out: refused before anything is looked up
    outside = row.expected(account, "out")
    return _answer(inside) if outside is None else f"{_answer(inside)} / {_answer(outside)}"


def _refs(value, found: list) -> list:
    if isinstance(value, Ref):
        found.append(value.kind if value.attr == "id" else f"{value.kind}.{value.attr}")
    elif isinstance(value, dict):
        for v in value.values():
            _refs(v, found)
    elif isinstance(value, list | tuple):
        for v in value:
            _refs(v, found)
    elif isinstance(value, Fn) and not value.label.startswith("const"):
        found.append(value.label)
    return found


def scoped_by(row: Row) -> str:
    parts = [f"{name}: {'/'.join(_refs(v, [])) or v}" for name, v in row.path.items() if _refs(v, [])]
    if row.query is not None:
        parts += [f"?{name}=: {'/'.join(_refs(v, []))}" for name, v in row.query.items() if _refs(v, [])]
    body = _refs(row.body, [])
    if body:
        parts.append("body: " + ", ".join(dict.fromkeys(body)))
    return "; ".join(parts) or "—"


def render() -> str:
    out = ["# The authorization matrix", "",
           "Generated from `tests/authz/matrix.py` by `python -m tests.authz.render > docs/authz-matrix.md`;",
           "`tests/authz/test_render.py` fails when this file is out of date. `make test` runs every cell",
           "(`tests/authz/test_matrix.py`) against the real HTTP layer.", "",
           "Each cell is what the account gets **inside / outside** its scope. Inside: side A,",
           "漓江路社区第1网格 (grid_member's cell, where resident lives, under community_staff's 漓江路社区 and",
           "street_admin's and responder's 天桥街道), or side B for grid_member_2 (翟庄社区第1网格). Outside:",
           "the other side; for the district-wide accounts (district, audit, system, security, unit), a twin",
           "account of the same role in a second district asking for the same object. A single number: the",
           "role is refused before anything is looked up (403; 401 without a token), or nothing in the",
           "request is scoped. ∅: 200 with nothing in it (a filter outside the scope finds nothing).",
           "A 403/409 inside for an allowed role comes after the object was found: the state or the step",
           "refuses, not the scope. Ids inside bodies, filters and sync batches are listed below the table.",
           "Every operation that is not public is also sent with a bad token for a live session — signed",
           "with another key, `alg: none` or expired, in turn by operation — and must answer 401.", "",
           "| operation | scoped by | " + " | ".join(SHORT[c] for c in CALLERS) + " |",
           "| --- | --- | " + " | ".join("---" for _ in CALLERS) + " |"]
    for row in ROWS:
        out.append(f"| `{row.op}` | {scoped_by(row)} | " + " | ".join(cell_text(row, c) for c in CALLERS) + " |")
    out += ["", "## Ids from outside in bodies, filters and sync batches", "",
            "Sent by each allowed account as itself, with its own object in the path (if any) and an id from",
            "outside its scope in the body or the query (side B for side-A accounts, side A for grid_member_2,",
            "the second district for the district-wide accounts).", "",
            "| operation | case | accounts | expected |", "| --- | --- | --- | --- |"]
    for row in ROWS:
        for case in row.cases:
            who = ", ".join(SHORT[a] for a in ACCOUNTS if a in (case.accounts or row.allow))
            out.append(f"| `{row.op}` | {case.label} | {who} | {_answer(case.expect)} |")
    notes = [row for row in ROWS if row.note]
    out += ["", "## Notes", ""] + [f"- `{row.op}`: {row.note}" for row in notes]
    cells = sum(1 for row in ROWS for c in CALLERS for w in ("in", "out")
                if (w == "in" or (c != ANONYMOUS and row.scoped())) and row.expected(c, w) is not None)
    cases = sum(len(case.accounts or row.allow) for row in ROWS for case in row.cases)
    out += ["", f"{len(ROWS)} operations, {cells} cells, {sum(len(r.cases) for r in ROWS)} cases of ids from "
                f"outside (at most {cases} requests; an account whose outside lacks the kind is left out).", ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(render())
