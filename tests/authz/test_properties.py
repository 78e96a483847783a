"""Property level (RELIABILITY.md, API3): each role's answers hold only the fields it may see.

Identity numbers are masked in every read but the audited reveal; category details of key
persons and care targets reach community staff and above and the responsible grid member only;
the petitioner never reaches the handling unit or anyone the petition accuses; an anonymous
reporter is hidden from the unit; dispute parties are in the detail only. The matrix
(test_matrix.py) also reads every answer it collects for full identity numbers, password hashes,
sealed tokens and internal fields; the first test shows that check catches them.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date

import openpyxl
import pytest
from flask import Response
from sqlalchemy import select

from models import GridCell, HandlingUnit, Resident, User
from tests.api.matter_helpers import inside, photo
from tests.authz import harness
from tests.authz.spec import Row
from tests.authz.world import ACCOUNTS
from tests.factories import grid_member

CELL_A = "411104001001001"
MASKED = re.compile(r"^\d{4}\*{10}\d{3}[\dX]$")
DIAGNOSIS = "矩阵测试诊断（合成数据）"
PETITIONER = {"name": "信访人甲（合成）", "phone": "13955556666"}


def _cell(db, code=CELL_A) -> GridCell:
    return db.scalars(select(GridCell).where(GridCell.code == code)).one()


def _resident_ids(db, n=2) -> list[str]:
    cell = _cell(db)
    return [str(i) for i in db.scalars(select(Resident.id).where(
        Resident.grid_cell_id == cell.id, Resident.id_number_cipher.isnot(None), Resident.moved_out_on.is_(None))
        .order_by(Resident.name, Resident.id).limit(n))]


def _xlsx_text(response) -> str:
    sheet = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True).active
    return "\n".join("\t".join("" if v is None else str(v) for v in r) for r in sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("payload, leak", [
    ({"id_number": "110101199003074514"}, "identity number"),
    ({"note": "身份证 11010119900307451X 已核实"}, "identity number"),
    ({"hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"}, "password hash"),
    ({"sealed": "v1:" + "A" * 60}, "sealed token"),
    ({"h": "ab" * 32}, "hash"),
    ({"password_hash": None}, "internal fields"),
    ({"id_number_masked": "1101**********4514", "phone": "13800000001", "number": 1234567}, None),
])
def test_the_leak_check_catches_what_it_is_for(payload, leak):
    """The check run on every answer of the matrix finds a full identity number, a password hash, a
    sealed token, a keyed hash and an internal field, and lets a masked number through."""
    response = Response(json.dumps(payload), mimetype="application/json")
    problem = harness.leaks(Row("GET /api/v1/anything", frozenset()), response)
    assert (problem is None) if leak is None else (leak in problem), problem


def test_a_reveal_is_the_only_answer_with_a_full_number(client, as_user, db):
    """A reveal answers the full number (so the leak check would see it), which masks to what every
    read of the same person shows."""
    resident_id = _resident_ids(db, 1)[0]
    number = client.post(f"/api/v1/residents/{resident_id}/reveal", json={"reason": "核实身份"},
                         headers=as_user("community_staff")).get_json()["id_number"]
    assert harness.FULL_ID_NUMBER.fullmatch(number)
    revealed = Response(json.dumps({"id_number": number}), mimetype="application/json")
    assert harness.leaks(Row("POST /api/v1/residents/{resident_id}/reveal", frozenset()), revealed) is None
    assert "identity number" in harness.leaks(Row("GET /api/v1/residents/{resident_id}", frozenset()), revealed)
    masked = client.get(f"/api/v1/residents/{resident_id}", headers=as_user("grid_member")).get_json()
    assert masked["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]


def test_identity_numbers_are_masked_for_every_role_that_reads_people(client, as_user, db):
    """Residents, key persons and care targets, in lists, details and ledgers: masked for every role
    allowed to read them (4111**********1234)."""
    staff = as_user("community_staff")
    first, second = _resident_ids(db)
    key = client.post("/api/v1/key-persons", headers=staff, json={
        "resident_id": first, "category": "drug_user", "attention_level": "high"}).get_json()
    care = client.post("/api/v1/care-targets", headers=staff, json={
        "resident_id": second, "category": "low_income", "attention_level": "low"}).get_json()
    cell = str(_cell(db).id)
    for username in ("grid_member", "community_staff", "street_admin", "district_admin"):
        headers = as_user(username)
        people = client.get(f"/api/v1/residents?grid_cell_id={cell}&page_size=100", headers=headers).get_json()
        assert people and all(MASKED.match(p["id_number_masked"]) for p in people if p["id_number_masked"]), username
        assert MASKED.match(client.get(f"/api/v1/residents/{first}", headers=headers).get_json()["id_number_masked"])
        for path, record in (("key-persons", key), ("care-targets", care)):
            listed = client.get(f"/api/v1/{path}?grid_cell_id={cell}", headers=headers).get_json()
            assert all(MASKED.match(p["resident"]["id_number_masked"]) for p in listed), (username, path)
            one = client.get(f"/api/v1/{path}/{record['id']}", headers=headers).get_json()
            assert MASKED.match(one["resident"]["id_number_masked"]), (username, path)
            ledger = _xlsx_text(client.get(f"/api/v1/{path}/export.xlsx?grid_cell_id={cell}", headers=headers))
            assert one["resident"]["id_number_masked"] in ledger and not harness.FULL_ID_NUMBER.search(ledger)
            assert one["resident"]["name"] not in ledger  # the family name only, masked


@pytest.mark.parametrize("path, category, details", [
    ("key-persons", "severe_mental_disorder", {"diagnosis": DIAGNOSIS, "risk_grade": 3, "guardian_name": "监护人乙",
                                              "guardian_phone": "13912340000", "on_medication": True}),
    ("care-targets", "elderly_alone", {"health_note": DIAGNOSIS, "children_contact": "监护人乙"}),
])
def test_category_details_reach_only_staff_and_the_responsible_member(client, as_user, db, path, category, details):
    """Per role: community staff and above and the responsible grid member see the details; another
    grid member of the same cell sees the record without them; a member of another cell gets 404;
    residents, units, responders and the administrators 403. Ledgers never carry them."""
    created = client.post(f"/api/v1/{path}", headers=as_user("community_staff"), json={
        "resident_id": _resident_ids(db, 1)[0], "category": category, "attention_level": "high",
        "details": details})
    if created.status_code == 422 and "details" in created.get_json()["errors"]:
        pytest.fail(f"the details of {category} are not what this test sends: {created.get_json()['errors']}")
    assert created.status_code == 201, created.get_json()
    record = created.get_json()
    assert record["responsible"]["id"] == str(db.scalar(select(User.id).where(User.username == "grid_member")))
    colleague = grid_member(_cell(db), username="matrix_colleague")
    db.commit()
    token = client.login(colleague.username, "Test-pass-2026").get_json()["access_token"]
    callers = {name: as_user(name) for name in ACCOUNTS} | {"colleague": {"Authorization": f"Bearer {token}"}}
    sees = {"district_admin", "street_admin", "community_staff", "grid_member"}
    url = f"/api/v1/{path}/{record['id']}"
    for name, headers in callers.items():
        response = client.get(url, headers=headers)
        listed = client.get(f"/api/v1/{path}?grid_cell_id={_cell(db).id}", headers=headers)
        if name in sees:
            assert response.status_code == 200 and response.get_json()["details_visible"] is True, name
            assert DIAGNOSIS in json.dumps(response.get_json()["details"], ensure_ascii=False)
            assert any(p["details"] for p in listed.get_json() if p["id"] == record["id"]), name
        elif name == "colleague":
            body = response.get_json()
            assert response.status_code == 200 and body["details"] is None and body["details_visible"] is False
            assert body["category"] == category  # the record, not what is sealed in it
            assert DIAGNOSIS not in listed.get_data(as_text=True)
        elif name == "grid_member_2":
            assert response.status_code == 404 and record["id"] not in listed.get_data(as_text=True)
        else:
            assert response.status_code == listed.status_code == 403, name
        if name in sees or name == "colleague":
            ledger = _xlsx_text(client.get(f"/api/v1/{path}/export.xlsx", headers=headers))
            assert DIAGNOSIS not in ledger and "监护人乙" not in ledger, name


def test_the_petitioner_never_reaches_the_unit_or_the_accused(client, as_user, db):
    """Petition staff see the petitioner; the unit it is assigned to sees the petition without the
    petitioner, attachments or possible repeats — in the detail, the list, the ledger and its
    notifications; the person it accuses gets 404 for it and its attachment and never finds it
    in a list; everyone else 403."""
    staff = as_user("community_staff")
    accused = db.scalar(select(User.id).where(User.username == "street_admin"))
    attachment = photo(client, staff)
    created = client.post("/api/v1/petitions", headers=staff, json={
        "channel": "letter", "received_on": date.today().isoformat(), "kind": "accusation", "summary": "反映街道工作人员作风问题",
        "grid_cell_id": str(_cell(db).id), "petitioners": [PETITIONER], "photo_ids": [attachment],
        "accused_user_ids": [str(accused)]})
    assert created.status_code == 201, created.get_json()
    petition = created.get_json()["id"]
    unit = db.scalar(select(User.unit_id).where(User.username == "unit_staff"))
    assert db.get(HandlingUnit, unit) is not None
    for step in ({"action": "accept"}, {"action": "assign", "unit_id": str(unit)}):
        moved = client.post(f"/api/v1/petitions/{petition}/transitions", json=step, headers=staff)
        assert moved.status_code == 200, moved.get_json()
    url = f"/api/v1/petitions/{petition}"
    for name in ACCOUNTS:
        headers = as_user(name)
        one, listed = client.get(url, headers=headers), client.get("/api/v1/petitions?page_size=100", headers=headers)
        picture = client.get(f"/api/v1/photos/{attachment}", headers=headers)
        if name in ("community_staff", "district_admin"):
            assert one.status_code == 200 and one.get_json()["petitioners"] == [PETITIONER], name
            assert one.get_json()["photo_ids"] == [attachment] and picture.status_code == 200
        elif name == "unit_staff":
            body = one.get_json()
            assert one.status_code == 200 and body["petitioners"] is None, body
            assert "photo_ids" not in body and "possible_repeats" not in body and picture.status_code == 404
            for answer in (one, listed, client.get("/api/v1/petitions/export.xlsx", headers=headers),
                           client.get("/api/v1/notifications", headers=headers)):
                text = answer.get_data(as_text=True) if answer.is_json else _xlsx_text(answer)
                assert PETITIONER["name"] not in text and PETITIONER["phone"] not in text
            assert petition in listed.get_data(as_text=True)
        elif name == "street_admin":  # the accused
            assert one.status_code == 404 and picture.status_code == 404
            assert petition not in listed.get_data(as_text=True)
            assert PETITIONER["name"] not in _xlsx_text(client.get("/api/v1/petitions/export.xlsx", headers=headers))
        else:
            assert one.status_code == listed.status_code == 403, name


def test_an_anonymous_reporter_is_hidden_from_the_unit(client, as_user, db):
    """Staff see who reported an anonymous matter; the handling unit it is dispatched to does not."""
    point = inside(db)
    created = client.post("/api/v1/matters", headers=as_user("resident"), json={
        "category": "ROAD-PAVEMENT", "description": "匿名上报：地砖破损", "anonymous": True,
        "location": {"lng": point.x, "lat": point.y}})
    assert created.status_code == 201, created.get_json()
    matter = created.get_json()["id"]
    staff = as_user("community_staff")
    unit = db.scalar(select(User.unit_id).where(User.username == "unit_staff"))
    for step in ({"action": "accept"}, {"action": "register"}, {"action": "dispatch", "unit_id": str(unit)}):
        moved = client.post(f"/api/v1/matters/{matter}/transitions", json=step, headers=staff)
        assert moved.status_code == 200, moved.get_json()
    url = f"/api/v1/matters/{matter}"
    assert client.get(url, headers=as_user("unit_staff")).get_json()["reporter"] is None
    listed = client.get(f"/api/v1/matters?number={created.get_json()['number']}", headers=as_user("unit_staff"))
    assert [m["reporter"] for m in listed.get_json()] == [None]
    for name in ("resident", "grid_member", "community_staff", "street_admin", "district_admin"):
        assert client.get(url, headers=as_user(name)).get_json()["reporter"] is not None, name


def test_dispute_parties_only_in_the_detail(client, as_user, db):
    """The list and the ledger give a dispute without its parties; the detail (audited) gives them to
    the staff of its cell."""
    party = {"name": "当事人丙（合成）", "phone": "13977778888"}
    created = client.post("/api/v1/disputes", headers=as_user("grid_member"), json={
        "kind": "neighbour", "summary": "楼上漏水纠纷", "risk_level": "medium", "grid_cell_id": str(_cell(db).id),
        "parties": [party, {"name": "当事人丁（合成）"}]})
    assert created.status_code == 201, created.get_json()
    dispute = created.get_json()["id"]
    for name in ("grid_member", "community_staff", "street_admin", "district_admin"):
        headers = as_user(name)
        listed = client.get(f"/api/v1/disputes?grid_cell_id={_cell(db).id}", headers=headers)
        assert dispute in listed.get_data(as_text=True) and party["name"] not in listed.get_data(as_text=True)
        assert party["name"] not in _xlsx_text(client.get("/api/v1/disputes/export.xlsx", headers=headers))
        assert client.get(f"/api/v1/disputes/{dispute}", headers=headers).get_json()["parties"][0] == party
