"""The cockpit's figures (驾驶舱) kept per day by the trigger, and the assessment of places (考核)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select, text

from api.china_time import today
from api.cockpit import facts
from models import Dispute, GridCell, HandlingUnit, Household, Matter, Place, User, VisitCoverage
from tests.api.matter_helpers import LIJIANGLU_1, act, report

pytestmark = pytest.mark.usefixtures("clean_matters")


def _figures(client, headers, **params):
    response = client.get("/api/v1/matters/figures", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _exact(db):
    db.flush()
    assert facts.differences(db) == {}


def _close(client, as_user, db, matter):
    staff = as_user("community_staff")
    unit = db.scalars(select(HandlingUnit)).first()
    for headers, action, body in [(staff, "accept", {}), (staff, "register", {}),
                                  (staff, "dispatch", {"unit_id": str(unit.id)}),
                                  (as_user("unit_staff"), "handle", {"note": "已修复"}),
                                  (as_user("grid_member"), "verify", {}), (staff, "close", {})]:
        assert act(client, headers, matter, action, **body).status_code == 200, action


def test_every_step_keeps_the_figures_equal_to_a_recount(client, as_user, db):
    """Report, the whole flow, rating, reopening, rejection, merging and placement: after each,
    the trigger-kept table equals a recomputation from the matters, and the figures add up."""
    first, second, third = (report(client, as_user, db) for _ in range(3))
    _exact(db)
    _close(client, as_user, db, first)
    _exact(db)
    act(client, as_user("resident"), first, "rate", rating="dissatisfied")
    _exact(db)
    figures = _figures(client, as_user("community_staff"))
    assert (figures["reported"], figures["closed"], figures["merged"]) == (3, 1, 0)
    assert figures["satisfaction"] == {"satisfied": 0, "basically_satisfied": 0, "dissatisfied": 1, "rated": 1,
                                       "percent": 0.0}
    assert figures["on_time"]["accept"] == {"done": 1, "on_time": 1, "percent": 100.0}
    assert figures["on_time"]["handle"]["done"] == figures["on_time"]["verify"]["done"] == 1
    assert figures["average_handling_hours"] == 0.0  # minutes in a test
    assert figures["open"]["by_status"]["submitted"] == 2 and figures["open"]["total"] == 2

    act(client, as_user("resident"), first, "reopen", note="灯又坏了")  # back to work: no longer closed
    _exact(db)
    act(client, as_user("community_staff"), second, "reject", note="不属于受理范围")
    act(client, as_user("community_staff"), third, "merge", into_id=first)
    _exact(db)
    figures = _figures(client, as_user("community_staff"))
    assert (figures["reported"], figures["closed"], figures["merged"]) == (3, 0, 1)
    assert figures["satisfaction"]["rated"] == 0  # the rating went with the reopening
    assert figures["on_time"]["accept"]["done"] == 3  # accepted, rejected and merged all ended 受理

    outside = client.post("/api/v1/matters", headers=as_user("resident"), json={
        "category": "ROAD-LIGHT", "description": "边界外", "location": {"lng": 121.47, "lat": 31.23}}).get_json()["id"]
    _exact(db)
    assert _figures(client, as_user("district_admin"))["reported"] == 3  # outside every cell: not counted yet
    cell = db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one()
    act(client, as_user("district_admin"), outside, "place", grid_cell_id=str(cell.id))
    _exact(db)
    assert _figures(client, as_user("district_admin"))["reported"] == 4
    db.execute(text("DELETE FROM matters WHERE id = :id"), {"id": outside})
    _exact(db)


def test_a_late_stage_lowers_the_on_time_rate_and_days_are_china_days(client, as_user, db):
    late, prompt = report(client, as_user, db), report(client, as_user, db)
    db.execute(text("UPDATE matters SET stage_due_at = now() - interval '1 hour' WHERE id = :id"), {"id": late})
    db.flush()
    for matter in (late, prompt):
        act(client, as_user("community_staff"), matter, "accept")
    assert db.get(Matter, uuid.UUID(late)).accept_late is True
    assert db.get(Matter, uuid.UUID(prompt)).accept_late is False
    figures = _figures(client, as_user("community_staff"))
    assert figures["on_time"]["accept"] == {"done": 2, "on_time": 1, "percent": 50.0}
    # a matter reported at 23:30 UTC is reported the next day in China
    db.execute(text("UPDATE matters SET created_at = :at WHERE id = :id"),
               {"at": datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "id": late})
    _exact(db)
    march = _figures(client, as_user("community_staff"), **{"from": "2026-03-01", "to": "2026-03-02"})
    assert [(d["day"], d["reported"]) for d in march["days"]] == [("2026-03-01", 0), ("2026-03-02", 1)]
    assert [c["category"]["code"] for c in march["categories"]] == ["ROAD"]  # the primary category
    assert march["categories"][0]["reported"] == 1


def test_figures_follow_scope_and_a_chosen_place(client, as_user, db):
    report(client, as_user, db)
    assert _figures(client, as_user("community_staff"))["reported"] == 1
    assert _figures(client, as_user("grid_member"))["reported"] == 1  # it lies in the member's cell
    assert _figures(client, as_user("grid_member_2"))["reported"] == 0
    songshan = db.scalars(select(Place).where(Place.code == "411104001002")).one()
    lijianglu = db.scalars(select(Place).where(Place.code == "411104001001")).one()
    assert _figures(client, as_user("street_admin"), place_id=str(songshan.id))["reported"] == 0
    assert _figures(client, as_user("street_admin"), place_id=str(lijianglu.id))["reported"] == 1
    # a grid member may narrow to a cell of theirs, never widen to the community around them
    assert client.get("/api/v1/matters/figures", query_string={"place_id": str(lijianglu.id)},
                      headers=as_user("grid_member")).status_code == 404
    foreign = client.get("/api/v1/matters/figures", query_string={"place_id": str(songshan.id)},
                         headers=as_user("community_staff"))
    assert foreign.status_code == 404 and "place_id" in foreign.get_json()["errors"]
    assert client.get("/api/v1/matters/figures", headers=as_user("resident")).status_code == 403


def test_the_period_is_checked_and_every_day_listed(client, as_user):
    staff = as_user("community_staff")
    default = _figures(client, staff)
    assert len(default["days"]) == 30 and default["to"] == today().isoformat()
    backwards = client.get("/api/v1/matters/figures?from=2026-05-02&to=2026-05-01", headers=staff)
    assert backwards.status_code == 422 and list(backwards.get_json()["errors"]) == ["to"]
    too_long = client.get("/api/v1/matters/figures?from=2024-01-01&to=2026-01-01", headers=staff)
    assert too_long.status_code == 422 and list(too_long.get_json()["errors"]) == ["from"]
    english = client.get("/api/v1/matters/figures?from=2024-01-01&to=2026-01-01",
                         headers={**staff, "Accept-Language": "en"}).get_json()
    assert english["errors"]["from"] == ["The period may be at most 366 days long."]
    year = _figures(client, staff, **{"from": "2025-01-01", "to": "2025-12-31"})
    assert len(year["days"]) == 365 and year["days"][0]["day"] == "2025-01-01"


def test_the_rebuild_command_recomputes_the_table(app, db, client, as_user):
    report(client, as_user, db)
    db.execute(text("DELETE FROM matter_day_facts"))
    assert facts.differences(db)
    assert facts.rebuild(db) >= 4  # the cell, community, street and district of today's report at least
    assert facts.differences(db) == {}


def test_each_place_holds_the_sum_of_its_cells(client, as_user, db):
    """A matter counts once for its cell and once for each place above it."""
    report(client, as_user, db)
    rows = db.execute(text("SELECT p.kind, sum(f.reported) FROM matter_day_facts f JOIN places p ON p.id = f.place_id "
                           "GROUP BY p.kind")).all()
    assert dict(rows) == {"grid_cell": 1, "community": 1, "street": 1, "district": 1}


def _visit(household, visited_at):
    return {"id": str(uuid.uuid4()), "household_id": str(household.id), "visited_at": visited_at.isoformat(),
            "result": "met", "findings": []}


@pytest.mark.usefixtures("clean_activity")
def test_visits_synced_more_than_a_day_late_count_against_timely_reporting(client, as_user, db):
    cell = db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one()
    households = db.scalars(select(Household).where(Household.grid_cell_id == cell.id)
                            .order_by(Household.address).limit(3)).unique().all()
    now = datetime.now(UTC)
    batch = [_visit(households[0], now - timedelta(minutes=30)), _visit(households[1], now - timedelta(minutes=20)),
             _visit(households[2], now - timedelta(days=3))]  # made offline three days ago, sent only now
    assert client.post("/api/v1/visits/sync", json={"visits": batch}, headers=as_user("grid_member")).status_code == 200
    rows = db.scalars(select(VisitCoverage).where(VisitCoverage.grid_cell_id == cell.id)).all()
    assert sum(r.visits for r in rows) == len(batch) and sum(r.late for r in rows) == 1
    months = {"from_month": (today() - timedelta(days=3)).strftime("%Y-%m"), "to_month": today().strftime("%Y-%m")}
    ranked = client.get("/api/v1/assessment", query_string={"level": "grid_cell", "page_size": 100, **months},
                        headers=as_user("community_staff")).get_json()
    mine = next(r for r in ranked if r["place"]["code"] == LIJIANGLU_1)
    assert mine["timely_reporting_percent"] == 66.7
    # the community's weeks, kept by the trigger, equal its cells' coverage; a street and its
    # community rank from them (the only visits of the street are these three)
    db.flush()
    assert facts.visit_week_differences(db) == {}
    for level, headers in (("community", "community_staff"), ("street", "street_admin")):
        ranked = client.get("/api/v1/assessment", query_string={"level": level, **months},
                            headers=as_user(headers)).get_json()
        assert [r["timely_reporting_percent"] for r in ranked if r["timely_reporting_percent"] is not None] == [66.7]
    # an edit that moves a visit to another week moves it in the community's weeks too
    db.execute(text("UPDATE visit_coverage SET week = '2020-W01' WHERE grid_cell_id = :cell AND late = 1"),
               {"cell": cell.id})
    db.execute(text("DELETE FROM visit_coverage WHERE grid_cell_id = :cell AND late = 0"), {"cell": cell.id})
    assert facts.visit_week_differences(db) == {}
    rebuilt = facts.rebuild_visit_weeks(db)
    assert rebuilt >= 1 and facts.visit_week_differences(db) == {}


def test_assessment_ranks_every_place_by_the_mean_of_its_figures(client, as_user, db):
    """Satisfaction from rated matters, mediation success from closed disputes, patrols and
    visits from the demo's weeks: the best score first, places with nothing to rate last."""
    matter = report(client, as_user, db)
    _close(client, as_user, db, matter)
    act(client, as_user("resident"), matter, "rate", rating="basically_satisfied")
    staff = as_user("community_staff")
    ranked = client.get("/api/v1/assessment?level=grid_cell&page_size=100", headers=staff)
    assert ranked.status_code == 200
    rows = ranked.get_json()
    assert len(rows) == 12 and [r["rank"] for r in rows] == list(range(1, 13))  # the community's cells, all
    first = next(r for r in rows if r["place"]["code"] == LIJIANGLU_1)
    assert first["satisfaction_percent"] == 100.0
    rated = [Decimal(str(v)) for k, v in first.items() if k.endswith("_percent") and v is not None]
    assert first["score"] == float((sum(rated) / len(rated)).quantize(Decimal("0.1"), ROUND_HALF_UP))
    scores = [r["score"] for r in rows if r["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    assert rows[0]["place"]["code"] == LIJIANGLU_1  # the demo's patrolled, visited, rated cell

    # ranked and paged in SQL: a later page goes on with the ranks, and the total rides along
    page = client.get("/api/v1/assessment?level=grid_cell&page_size=5&page=3", headers=staff)
    assert [r["rank"] for r in page.get_json()] == [11, 12]
    assert [r["place"]["code"] for r in page.get_json()] == [r["place"]["code"] for r in rows[10:]]
    assert json.loads(page.headers["X-Pagination"])["total"] == 12
    past = client.get("/api/v1/assessment?level=grid_cell&page_size=5&page=4", headers=staff)
    assert past.get_json() == [] and json.loads(past.headers["X-Pagination"])["total"] == 12

    # mediation: two disputes closed today in the street admin's communities, one agreed
    dispute_cell = db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one()
    registrar = db.scalars(select(User).where(User.username == "community_staff")).one()
    db.execute(text("DELETE FROM disputes"))
    for outcome in ("agreement", "court"):
        db.add(Dispute(grid_cell_id=dispute_cell.id, kind="neighbour", summary="楼上漏水", parties_sealed="x",
                       party_count=2, risk_level="low", status="closed", outcome=outcome, closed_at=datetime.now(UTC),
                       registered_by_id=registrar.id))
    db.flush()
    communities = client.get("/api/v1/assessment", headers=as_user("street_admin")).get_json()
    assert {r["place"]["kind"] for r in communities} == {"community"}
    lijianglu = next(r for r in communities if r["place"]["code"] == "411104001001")
    assert lijianglu["mediation_success_percent"] == 50.0
    earlier = client.get("/api/v1/assessment?from_month=2025-01&to_month=2025-01",
                         headers=as_user("street_admin")).get_json()
    assert all(r["mediation_success_percent"] is None and r["satisfaction_percent"] is None for r in earlier)
    assert client.get("/api/v1/assessment", headers=as_user("grid_member")).status_code == 403
    assert client.get("/api/v1/assessment?level=house", headers=staff).status_code == 422


@pytest.mark.parametrize(("query", "field"), [
    ("from_month=2026-05&to_month=2026-04", "to_month"),
    ("from_month=2025-01&to_month=2026-01", "from_month"),  # thirteen months
    ("from_month=2026-13", "from_month"),
    ("to_month=26-01", "to_month"),
])
def test_assessment_months_are_checked(client, as_user, query, field):
    response = client.get(f"/api/v1/assessment?{query}", headers=as_user("street_admin"))
    assert response.status_code == 422 and list(response.get_json()["errors"]) == [field]


def test_month_facts_are_the_sums_of_the_days(client, as_user, db):
    """Closings and ratings per month equal the days' figures; a report alone adds no month row."""
    matter = report(client, as_user, db)
    assert db.execute(text("SELECT count(*) FROM matter_month_facts WHERE closed + satisfied + basically_satisfied"
                           " + dissatisfied <> 0")).scalar() == 0
    _close(client, as_user, db, matter)
    act(client, as_user("resident"), matter, "rate", rating="satisfied")
    month = today().replace(day=1)
    rows = db.execute(text("SELECT p.kind, m.closed, m.satisfied FROM matter_month_facts m JOIN places p "
                           "ON p.id = m.place_id WHERE m.month = :month AND m.closed <> 0"), {"month": month}).all()
    assert sorted(rows) == [("community", 1, 1), ("district", 1, 1), ("grid_cell", 1, 1), ("street", 1, 1)]
    _exact(db)


def test_working_days_and_weeks_of_a_period():
    from api.cockpit.service import weeks_of, working_days

    assert working_days(date(2026, 11, 23), date(2026, 11, 29)) == 5  # Monday to Sunday
    assert weeks_of(date(2026, 11, 29), date(2026, 11, 30)) == ["2026-W48", "2026-W49"]
    assert weeks_of(date(2026, 1, 1), date(2026, 1, 1)) == ["2026-W01"]
