"""Deadlines, supervision, urges, reminders and notifications through the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select, update

from api.matters.deadlines import sweep
from api.notifications.service import deliver_pending
from models import GridCell, HandlingUnit, Matter, Notification, OutboxMessage
from tests.api.matter_helpers import LIJIANGLU_1, act, report

pytestmark = pytest.mark.usefixtures("clean_matters")


def _inbox(client, headers):
    return client.get("/api/v1/notifications", headers=headers).get_json()


def test_reporter_and_handlers_are_notified_through_the_outbox(client, as_user, db):
    """Acceptance and dispatch write outbox rows in the same transaction; the worker turns them into notifications once."""
    matter = report(client, as_user, db)
    staff = as_user("community_staff")
    unit = db.scalars(select(HandlingUnit)).first()
    for action, body in (("accept", {}), ("register", {}), ("dispatch", {"unit_id": str(unit.id)})):
        act(client, staff, matter, action, **body)
    assert db.scalar(select(func.count(OutboxMessage.id))) == 3  # accepted, dispatched → reporter; assigned → unit
    assert _inbox(client, as_user("resident")) == []  # nothing until the worker runs
    assert deliver_pending(db) == 3
    db.execute(update(OutboxMessage).values(delivered_at=None))  # a crash before marking: delivered again
    deliver_pending(db)
    db.commit()
    titles = [n["title"] for n in _inbox(client, as_user("resident"))]
    assert sorted(titles) == ["事件已受理", "事件已派遣"]
    unit_inbox = _inbox(client, {**as_user("unit_staff"), "Accept-Language": "en"})
    assert [n["title"] for n in unit_inbox] == ["New matter for you"] and "ROAD" not in unit_inbox[0]["body"]
    marked = client.post("/api/v1/notifications/read", json={}, headers=as_user("resident")).get_json()
    assert marked == {"marked": 2}
    assert client.get("/api/v1/notifications?unread=true", headers=as_user("resident")).get_json() == []


def test_leaders_supervise_and_urge(client, as_user, db):
    """A street admin marks 督办; community staff urge, and the assignee hears about it."""
    matter = report(client, as_user, db)
    staff = as_user("community_staff")
    unit = db.scalars(select(HandlingUnit)).first()
    for action, body in (("accept", {}), ("register", {}), ("dispatch", {"unit_id": str(unit.id)})):
        act(client, staff, matter, action, **body)
    assert act(client, staff, matter, "supervise").status_code == 403
    supervised = act(client, as_user("street_admin"), matter, "supervise").get_json()
    assert supervised["supervised"] is True
    urged = act(client, staff, matter, "urge", note="请今天处理").get_json()
    assert urged["urge_count"] == 1
    deliver_pending(db)
    db.commit()
    assert any(n["topic"] == "matter.urged" for n in _inbox(client, as_user("unit_staff")))
    listed = client.get("/api/v1/matters?supervised=true", headers=as_user("street_admin")).get_json()
    assert [m["id"] for m in listed] == [matter]


def test_deadline_colours_and_the_sweep(client, as_user, db):
    """A matter in its last quarter is yellow, past due red; the sweep reminds once per deadline."""
    matter_id = report(client, as_user, db)
    now = datetime.now(UTC)
    db.execute(update(Matter).values(stage_started_at=now - timedelta(hours=1), stage_due_at=now + timedelta(minutes=10)))
    db.commit()
    body = client.get(f"/api/v1/matters/{matter_id}", headers=as_user("community_staff")).get_json()
    assert body["deadline_colour"] == "yellow"
    assert [m["id"] for m in client.get("/api/v1/matters?deadline_colour=yellow",
                                        headers=as_user("community_staff")).get_json()] == [matter_id]
    assert sweep(db) == {"red": 0, "yellow": 1}
    assert sweep(db) == {"red": 0, "yellow": 0}
    db.execute(update(Matter).values(stage_due_at=now - timedelta(minutes=1)))
    assert sweep(db) == {"red": 1, "yellow": 0}
    deliver_pending(db)
    db.commit()
    topics = {n["topic"] for n in _inbox(client, as_user("grid_member"))}
    assert {"matter.due_soon", "matter.overdue"} <= topics
    overdue = client.get("/api/v1/matters?deadline_colour=red&level=grid", headers=as_user("community_staff")).get_json()
    assert [m["id"] for m in overdue] == [matter_id]


def test_worker_command_runs_a_round(app, client, as_user, db):
    """`flask worker run --once` delivers what is pending."""
    report(client, as_user, db)
    matter = db.scalars(select(Matter)).first()
    act(client, as_user("community_staff"), matter.id, "accept")
    result = app.test_cli_runner().invoke(args=["worker", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert db.scalar(select(func.count(Notification.id))) == 1


def test_likely_duplicates_and_merging(client, as_user, db):
    """Before reporting, the app sees the open matter nearby (without others' words); staff merge the duplicate."""
    original = report(client, as_user, db)
    point = to_shape(db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one().boundary).representative_point()
    query = f"/api/v1/matters/nearby?category=ROAD-LIGHT&lng={point.x + 0.001}&lat={point.y}"
    near = client.get(query, headers=as_user("grid_member")).get_json()
    assert [m["id"] for m in near] == [original] and 80 < near[0]["distance_m"] < 110
    assert near[0]["description"] == "路灯不亮"  # staff see the words
    assert client.get(query.replace("ROAD-LIGHT", "SEC-GAS"), headers=as_user("grid_member")).get_json() == []
    assert client.get(query + "&radius_m=50", headers=as_user("grid_member")).get_json() == []
    duplicate = report(client, as_user, db)
    merged = act(client, as_user("community_staff"), duplicate, "merge", into_id=original)
    assert merged.status_code == 200
    assert merged.get_json()["status"] == "closed" and merged.get_json()["merged_into"] == original
    assert act(client, as_user("community_staff"), original, "merge", into_id=duplicate).status_code == 422


def test_search_and_ledger_export(client, as_user, db):
    """Staff filter by text and community, and export the list as a CSV ledger for Excel; residents may not export."""
    matter = report(client, as_user, db)
    community = db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one().parent_id
    headers = as_user("community_staff")
    found = client.get(f"/api/v1/matters?q=路灯&community_id={community}", headers=headers).get_json()
    assert [m["id"] for m in found] == [matter]
    assert client.get("/api/v1/matters?q=下水道", headers=headers).get_json() == []
    export = client.get("/api/v1/matters/export.csv?q=路灯", headers=headers)
    assert export.status_code == 200 and export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert text.startswith("\ufeff编号,类别") and "路灯不亮" in text and len(text.strip().splitlines()) == 2
    assert client.get("/api/v1/matters/export.csv", headers=as_user("resident")).status_code == 403


def test_ledger_cells_are_never_formulas(client, as_user, db):
    """A description starting with '=' is written so Excel shows it as text (no CSV injection)."""
    point = to_shape(db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one().boundary).representative_point()
    client.post("/api/v1/matters", headers=as_user("resident"), json={
        "category": "ROAD-LIGHT", "description": "=HYPERLINK(\"http://x\")", "location": {"lng": point.x, "lat": point.y}})
    text = client.get("/api/v1/matters/export.csv", headers=as_user("community_staff")).get_data(as_text=True)
    assert "'=HYPERLINK" in text


def test_nearby_for_a_resident_hides_others_reports(client, as_user, db):
    """A resident sees that a matter exists nearby, but not its id, words or exact distance; private categories never."""
    report(client, as_user, db)  # reported by `resident`: in their scope
    point = to_shape(db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one().boundary).representative_point()
    other = client.post("/api/v1/matters", headers=as_user("grid_member"), json={
        "category": "ROAD-LIGHT", "description": "网格员发现的", "location": {"lng": point.x, "lat": point.y}})
    assert other.status_code == 201
    near = client.get(f"/api/v1/matters/nearby?category=ROAD-LIGHT&lng={point.x}&lat={point.y}",
                      headers=as_user("resident")).get_json()
    hidden = [m for m in near if m["id"] is None]
    assert len(hidden) == 1 and hidden[0]["description"] is None and hidden[0]["distance_m"] % 50 == 0
    assert client.get(f"/api/v1/matters/nearby?category=DISP-NEIGHBOUR&lng={point.x}&lat={point.y}",
                      headers=as_user("community_staff")).get_json() == []


def test_ledger_as_an_excel_workbook_exactly_as_filtered(client, as_user, db):
    """The same filters give the same rows in .xlsx; text stays text, even when it looks like a formula."""
    import io

    from openpyxl import load_workbook

    report(client, as_user, db)
    point = to_shape(db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one().boundary).representative_point()
    client.post("/api/v1/matters", headers=as_user("resident"), json={
        "category": "ROAD-LIGHT", "description": "=HYPERLINK(\"http://x\") 路灯", "location": {"lng": point.x, "lat": point.y}})
    headers = as_user("community_staff")
    listed = client.get("/api/v1/matters?q=路灯&page_size=100", headers=headers).get_json()
    export = client.get("/api/v1/matters/export.xlsx?q=路灯", headers=headers)
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("编号", "类别")
    assert sorted(r[0] for r in rows[1:]) == sorted(m["number"] for m in listed)
    formula_like = next(r for r in rows[1:] if str(r[6]).startswith("=HYPERLINK"))
    cell = next(c for c in sheet.iter_rows(min_row=2) if c[0].value == formula_like[0])[6]
    assert cell.data_type == "s"  # stored as text: Excel shows it, never runs it
    assert client.get("/api/v1/matters/export.xlsx", headers=as_user("resident")).status_code == 403
