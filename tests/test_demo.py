"""The demo district and its accounts (issue 2 point 11)."""

from __future__ import annotations

import json

from sqlalchemy import func, select, text

from api import create_app
from api.demo import loader
from config import ProductionConfig
from models import GridCell, HandlingUnit, Place, PlaceKind, Role, User

CONTRACT_ACCOUNTS = {"district_admin", "street_admin", "community_staff", "grid_member", "grid_member_2", "resident",
                     "responder", "unit_staff", "audit_admin"}


def _user(db, username) -> User:
    return db.scalars(select(User).where(User.username == username)).unique().one()


def test_district_streets_and_counts(db):
    """召陵区 with 天桥, 翟庄 and 东城 streets, at least 9 communities and 100 cells, all flagged demo."""
    district = db.scalars(select(Place).where(Place.kind == PlaceKind.district, Place.code == "411104")).one()
    assert district.name == "召陵区" and district.is_demo
    streets = {p.name for p in db.scalars(select(Place).where(Place.parent_id == district.id))}
    assert streets == {"天桥街道", "翟庄街道", "东城街道"}
    assert db.scalar(select(func.count()).where(Place.kind == PlaceKind.community, Place.is_demo)) >= 9
    assert db.scalar(select(func.count(GridCell.id)).where(GridCell.is_demo)) >= 100


def test_lijianglu_is_in_tianqiao(db):
    """漓江路社区 belongs to 天桥街道."""
    community = db.scalars(select(Place).where(Place.name == "漓江路社区")).one()
    assert community.parent.name == "天桥街道"


def test_cells_tile_their_community_near_luohe(db):
    """In PostGIS too, each community's cells cover it without overlapping, around 114.0 E 33.58 N."""
    gaps = db.execute(text("""
        SELECT c.name, ST_Area(ST_SymDifference(c.boundary, ST_Union(g.boundary))::geography) AS m2
        FROM places c JOIN places g ON g.parent_id = c.id
        WHERE c.kind = 'community' GROUP BY c.id""")).all()
    assert len(gaps) >= 9 and all(m2 < 1.0 for _, m2 in gaps), gaps
    overlaps = db.scalar(text("""
        SELECT count(*) FROM places a JOIN places b ON a.parent_id = b.parent_id AND a.id < b.id
        WHERE a.kind = 'grid_cell' AND b.kind = 'grid_cell' AND ST_Intersects(a.boundary, b.boundary)
          AND ST_Area(ST_Intersection(a.boundary, b.boundary)::geography) > 1"""))
    assert overlaps == 0
    assert db.scalar(text("SELECT bool_and(ST_IsValid(boundary)) FROM places")) is True
    lng, lat = db.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Union(boundary)) c "
                               "FROM places WHERE kind = 'grid_cell' AND is_demo) s")).one()
    assert 113.9 < lng < 114.1 and 33.5 < lat < 33.7


def test_demo_accounts_exist_where_the_contract_says(db):
    """Every contract account exists, is demo, and sits in its place."""
    users = {u.username: u for u in db.scalars(select(User).where(User.is_demo)).unique()}
    assert CONTRACT_ACCOUNTS <= set(users)
    assert users["street_admin"].place.name == "天桥街道"
    assert users["community_staff"].place.name == "漓江路社区"
    assert users["grid_member"].grid_cells[0].parent.name == "漓江路社区"
    assert users["grid_member_2"].grid_cells[0].parent.name != "漓江路社区"
    assert users["resident"].place_id == users["grid_member"].grid_cells[0].id
    assert users["unit_staff"].role == Role.unit_staff and users["unit_staff"].unit.name.startswith("召陵区城市管理局")
    assert users["audit_admin"].role == Role.audit_admin


def test_every_demo_account_logs_in_with_the_published_password(client):
    """Demo-pass-2026 opens every demo account, and /me gives the contract's fields."""
    for username in sorted(CONTRACT_ACCOUNTS):
        tokens = client.login(username).get_json()
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).get_json()
        assert me["username"] == username and me["role"] and me["place"]["id"]
        assert ("grid_cells" in me) == (me["role"] == "grid_member")
        assert ("unit" in me) == (me["role"] == "unit_staff")


def test_loading_twice_is_refused(db, app):
    """The loader does not write the demo district twice."""
    assert loader.is_loaded(db)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0 and "already loaded" in result.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "nothing loaded" in result.output
    assert db.scalar(select(func.count()).where(Place.code == "411104")) == 1


def test_production_settings_never_load_demo_data(monkeypatch, app):
    """`flask demo load` under production settings refuses and writes nothing."""
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    monkeypatch.setenv("PII_ENCRYPTION_KEY", app.config["PII_ENCRYPTION_KEY"])
    monkeypatch.setenv("PII_HASH_KEY", app.config["PII_HASH_KEY"])
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    production = create_app(ProductionConfig())
    result = production.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "production" in result.output


def test_demo_unit_is_flagged(db):
    """The demo handling unit is demo data too."""
    assert all(unit.is_demo for unit in db.scalars(select(HandlingUnit)))


def test_demo_matters_cover_every_state(db):
    """The demo has matters in every state of the case flow, a merged duplicate and a reopened one."""
    from models import Matter, MatterStatus

    statuses = set(db.scalars(select(Matter.status)))
    assert statuses == set(MatterStatus)
    assert db.scalar(select(func.count()).where(Matter.merged_into_id.isnot(None))) == 1
    assert db.scalar(select(func.count()).where(Matter.reopen_count > 0)) == 1
    assert db.scalar(select(func.count()).where(Matter.supervised.is_(True))) == 1


def test_demo_weeks_of_visits_and_patrols_with_gaps(client, as_user, db):
    """Six past weeks of visits (none this week), coverage that misses the target in the rainy week,
    households never reached, far-off positions flagged, weekday patrols with days of leave, and
    coverage figures that match the visit rows."""
    from datetime import UTC, datetime, timedelta

    from api.visits.service import iso_week
    from models import CheckIn, Household, Patrol, PatrolDay, Visit

    now = datetime.now(UTC)
    weeks = [iso_week(now - timedelta(weeks=n)) for n in range(6, 0, -1)]
    assert sorted(set(db.scalars(select(Visit.week)))) == weeks
    assert db.scalar(select(func.count()).where(Visit.far_from_household.is_(True))) > 0
    staff = as_user("community_staff")
    percents = []
    for week in weeks:
        rows = client.get(f"/api/v1/visits/coverage?week={week}&page_size=100", headers=staff).get_json()
        community = next(r for r in rows if r["place"]["code"] == "411104001001")
        counted = db.scalar(select(func.count(func.distinct(Visit.household_id))).join(GridCell, GridCell.id == Visit.grid_cell_id)
                            .where(Visit.week == week, GridCell.code.startswith("411104001001")))
        assert community["visited"] == counted
        percents.append(community["coverage_percent"])
    assert min(percents) < 80 <= max(percents)
    unvisited = client.get("/api/v1/visits/unvisited?weeks=4&page_size=100", headers=staff).get_json()
    assert any(h["last_visited_at"] is None for h in unvisited)  # never reached
    assert db.scalar(select(func.count()).where(Household.weekly_follow_up.is_(True))) == 2

    grid_member = _user(db, "grid_member")
    days = db.scalar(select(func.count(func.distinct(PatrolDay.day))).where(PatrolDay.user_id == grid_member.id))
    assert 20 <= days < 35  # weekdays of six weeks and this one up to yesterday, less days of leave
    assert db.scalar(select(func.count()).where(Patrol.user_id == grid_member.id, Patrol.active_seconds
                                                < func.extract("epoch", Patrol.ended_at - Patrol.started_at))) > 0
    assert db.scalar(select(func.count()).where(CheckIn.user_id == grid_member.id)) == 2 * days
    first, last = db.execute(select(func.min(PatrolDay.day), func.max(PatrolDay.day))).one()
    daily = client.get(f"/api/v1/patrols/daily?from={first.isoformat()}&to={last.isoformat()}&page_size=100",
                       headers=as_user("grid_member")).get_json()
    assert len(daily) == days  # each patrol day has its check-ins in the same row
    assert all(row["patrols"] == 1 and row["cells"] and row["active_minutes"] > 0 and row["first_check_in"]
               and row["last_check_out"] for row in daily)
    recent = client.get("/api/v1/patrols/daily", headers=as_user("grid_member")).get_json()  # the last seven days
    assert recent and all(row["patrols"] for row in recent)


def test_demo_key_persons_of_every_category_and_care_targets(client, as_user, db):
    """Every key-person category, care targets apart from them, some follow-ups overdue; all synthetic."""
    from models import CareTarget, KeyPerson, KeyPersonCategory

    assert set(db.scalars(select(KeyPerson.category))) == {c.value for c in KeyPersonCategory}
    assert db.scalar(select(func.count(CareTarget.id))) >= 4
    staff = as_user("community_staff")
    people = client.get("/api/v1/key-persons?page_size=100", headers=staff).get_json()
    assert all("演示" in json.dumps(p["details"], ensure_ascii=False) for p in people)
    alerts = client.get("/api/v1/key-persons/alerts?level=community", headers=staff).get_json()
    assert alerts[0]["overdue"] > 0


def test_demo_disputes_in_every_state(db):
    from models import Dispute, DisputeOutcome, DisputeStatus

    assert set(db.scalars(select(Dispute.status))) == set(DisputeStatus)
    assert {o for o in db.scalars(select(Dispute.outcome)) if o} >= {DisputeOutcome.agreement, DisputeOutcome.court}
    assert all("演示" in s for s in db.scalars(select(Dispute.summary)))


def test_demo_petitions_at_every_stage_with_overdue_alerts(client, as_user, db):
    from models import Petition, PetitionStatus

    statuses = set(db.scalars(select(Petition.status)))
    assert {PetitionStatus.registered, PetitionStatus.accepted, PetitionStatus.assigned,
            PetitionStatus.review_requested, PetitionStatus.closed} <= statuses
    overdue = client.get("/api/v1/petitions?overdue=true", headers=as_user("community_staff")).get_json()
    assert len(overdue) >= 2 and all(p["days_left"] < 0 for p in overdue)
    assert db.scalar(select(func.count()).where(Petition.collective.is_(True))) == 1
    # the overdue alerts are queued for the community's staff, and the street's leaders when red
    from models import OutboxMessage, User

    staff_id = db.scalar(select(User.id).where(User.username == "community_staff"))
    alerts = db.scalars(select(OutboxMessage.payload["petition_id"].astext).where(
        OutboxMessage.topic == "petition.overdue", OutboxMessage.recipient_id == staff_id)).all()
    assert {p["id"] for p in overdue} <= set(alerts)
    # one handed down from the district (三零 counts it); one repeating a petitioner answered on re-review
    stats = {r["place"]["code"]: r for r in client.get("/api/v1/petitions/stats?level=community",
                                                        headers=as_user("community_staff")).get_json()}
    assert stats["411104001001"]["went_up"] == 1 and stats["411104001001"]["zero_went_up"] is False
    registered = client.get("/api/v1/petitions?status=registered", headers=as_user("community_staff")).get_json()
    again = next(p for p in registered if p["summary"].startswith("再次反映"))
    detail = client.get(f"/api/v1/petitions/{again['id']}", headers=as_user("community_staff")).get_json()
    assert any(p["answered_on_re_review"] for p in detail["possible_repeats"]) and detail["repeat_warning"]
