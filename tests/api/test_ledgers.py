"""Ledgers (台账) of visits, key persons, care targets, disputes, petitions and incidents as Excel
workbooks: exactly the rows the list gives the same caller with the same filters, masked where the
ledger leaves the office, refused to roles that may not read the list, and audited."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models import AuditEvent


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))


def _total(client, headers, path: str) -> int:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return json.loads(response.headers["X-Pagination"])["total"]


# (list path with filters, who reads it, the first columns of the ledger, who may not)
LEDGERS = [
    ("/api/v1/visits", "", "community_staff", ("走访时间", "周次", "网格"), "resident"),
    ("/api/v1/visits", "mine=true", "grid_member", ("走访时间", "周次", "网格"), "unit_staff"),
    ("/api/v1/key-persons", "", "community_staff", ("姓名", "身份证号", "网格"), "resident"),
    ("/api/v1/care-targets", "overdue=false", "street_admin", ("姓名", "身份证号", "网格"), "unit_staff"),
    ("/api/v1/disputes", "", "community_staff", ("登记时间", "网格", "类型"), "resident"),
    ("/api/v1/disputes", "status=closed", "street_admin", ("登记时间", "网格", "类型"), "responder"),
    ("/api/v1/petitions", "", "community_staff", ("收件日期", "网格", "渠道"), "grid_member"),
    ("/api/v1/petitions", "", "unit_staff", ("收件日期", "网格", "渠道"), "resident"),
    ("/api/v1/incidents", "open=true", "street_admin", ("编号", "标题", "类型"), "unit_staff"),
]


@pytest.mark.parametrize(("path", "query", "username", "columns", "refused"), LEDGERS)
def test_each_ledger_holds_exactly_the_filtered_list(client, as_user, db, path, query, username, columns, refused):
    headers = as_user(username)
    listed = _total(client, headers, f"{path}?{query}")
    rows = _sheet(client.get(f"{path}/export.xlsx?{query}", headers=headers))
    assert rows[0][:3] == columns
    assert len(rows) - 1 == listed
    assert client.get(f"{path}/export.xlsx?{query}", headers=as_user(refused)).status_code == 403
    action = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(2)).all()
    assert any(a.endswith(".export") for a in action)  # the export is on the audit log


def test_the_demo_ledgers_are_not_empty(client, as_user):
    """The cases above compare counts; here each ledger has rows to compare (the demo's)."""
    staff = as_user("community_staff")
    for path in ("/api/v1/visits", "/api/v1/key-persons", "/api/v1/care-targets", "/api/v1/disputes",
                 "/api/v1/petitions"):
        assert len(_sheet(client.get(f"{path}/export.xlsx", headers=staff))) > 1, path
    assert len(_sheet(client.get("/api/v1/incidents/export.xlsx", headers=as_user("street_admin")))) > 1


def test_key_persons_leave_the_office_masked(client, as_user):
    headers = as_user("community_staff")
    people = client.get("/api/v1/key-persons?page_size=100", headers=headers).get_json()
    rows = _sheet(client.get("/api/v1/key-persons/export.xlsx", headers=headers))[1:]
    assert sorted(r[0] for r in rows) == sorted(p["resident"]["name"][0] + "*" * (len(p["resident"]["name"]) - 1)
                                                for p in people)
    assert all("*" in r[1] for r in rows if r[1])  # identity numbers masked too
    names = {p["resident"]["name"] for p in people}
    assert not any(cell in names for row in rows for cell in row if isinstance(cell, str))


def test_the_petition_ledger_never_names_a_petitioner(client, as_user):
    headers = as_user("community_staff")
    listed = client.get("/api/v1/petitions?page_size=100", headers=headers).get_json()
    names = {person["name"] for p in listed for person in (p["petitioners"] or [])}
    assert names  # petition staff see who wrote in the list ...
    rows = _sheet(client.get("/api/v1/petitions/export.xlsx", headers=headers))
    assert not any(name in cell for row in rows for cell in row if isinstance(cell, str) for name in names)  # ... not here


def test_a_grid_member_exports_only_their_cells(client, as_user):
    mine = _sheet(client.get("/api/v1/visits/export.xlsx", headers=as_user("grid_member")))[1:]
    other = _sheet(client.get("/api/v1/visits/export.xlsx", headers=as_user("grid_member_2")))[1:]
    assert mine and {r[2] for r in mine}.isdisjoint({r[2] for r in other})
