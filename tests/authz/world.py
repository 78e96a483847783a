"""The objects and callers of the authorization matrix: two sides of the demo district and a
second district.

Side A is 漓江路社区第1网格 (grid_member's cell; resident lives there; community_staff's 漓江路社区,
street_admin's and responder's 天桥街道). Side B is grid_member_2's cell, 翟庄社区第1网格 in 翟庄街道:
outside every side-A account's scope, and side A is outside grid_member_2's.

The district-wide accounts (district_admin, the three administrators, unit_staff) see both sides,
so their "outside" cell is made the other way round: a twin account of the same role in a second
district (tests/factories.place_chain), sent the same side-A object. The same role and the same
object, only the place differs: exactly what the scope rules decide on.

Everything is built lazily (only what an operation's row names) inside the test's transaction,
and rolled back with it.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
from flask import current_app
from geoalchemy2.shape import to_shape
from PIL import Image
from sqlalchemy import select, text

from api.auth.service import AuthSettings, start_session
from models import (
    Building,
    Compound,
    Dispatch,
    DispatchStatus,
    Dispute,
    FollowedPerson,
    GridCell,
    HandlingUnit,
    Household,
    Incident,
    Matter,
    Open311Key,
    PartyLink,
    Patrol,
    Petition,
    Photo,
    Place,
    Resident,
    Responder,
    Role,
    Team,
    TeamKind,
    User,
    Visit,
)
from models.db import db_session
from tests.factories import UserFactory, place_chain

ACCOUNTS = ("district_admin", "street_admin", "community_staff", "grid_member", "grid_member_2", "resident",
            "responder", "unit_staff", "audit_admin", "system_admin", "security_admin")
ANONYMOUS = "anonymous"
CALLERS = (*ACCOUNTS, ANONYMOUS)

SIDE_A_ACCOUNTS = frozenset({"street_admin", "community_staff", "grid_member", "resident", "responder"})
SIDE_B_ACCOUNTS = frozenset({"grid_member_2"})
DISTRICT_ACCOUNTS = frozenset({"district_admin", "audit_admin", "system_admin", "security_admin", "unit_staff"})
assert SIDE_A_ACCOUNTS | SIDE_B_ACCOUNTS | DISTRICT_ACCOUNTS == set(ACCOUNTS)

CELL_A, CELL_B = "411104001001001", "411104002001001"
SIDES = {"A": CELL_A, "B": CELL_B}

# An account whose own things are not geographic gets its own "inside" object of some kinds: a
# responder sees matters dispatched to them, a handling unit those dispatched to it, and each
# their own photo uploads. Kinds in PER_ACCOUNT are made for each account (its own notification,
# its own dispatch); "*" applies to every account.
OWN_KIND = {
    ("matter", "responder"): "matter_of_responder",
    ("incident", "responder"): "incident_of_responder",
    ("photo", "responder"): "own_photo",
    ("photo", "unit_staff"): "own_photo",
    ("notification", "*"): "own_notification",
    ("dispatch", "*"): "own_dispatch",
}
PER_ACCOUNT = frozenset({"own_photo", "own_notification", "own_dispatch"})


def placement(account: str, where: str) -> tuple[str, str]:
    """Who calls and from which side the object comes: ("caller", "A"|"B") for ``where`` in/out.
    The caller is the account itself, or ``twin:<account>`` (same role, second district)."""
    if account in SIDE_B_ACCOUNTS:
        return account, ("B" if where == "in" else "A")
    if account in SIDE_A_ACCOUNTS:
        return account, ("A" if where == "in" else "B")
    return (account if where == "in" else f"twin:{account}"), "A"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


@dataclass
class World:
    client: object  # tests.conftest.ApiClient
    app: object = None
    _users: dict = field(default_factory=dict)
    _headers: dict = field(default_factory=dict)
    _refresh: dict = field(default_factory=dict)
    _objects: dict = field(default_factory=dict)
    _district: dict | None = None

    # --- callers ---------------------------------------------------------------------------------

    def user(self, name: str) -> User:
        if name not in self._users:
            if name.startswith("twin:"):
                self._users[name] = self._twin(name.removeprefix("twin:"))
            else:
                self._users[name] = db_session.scalars(select(User).where(User.username == name)).unique().one()
        return self._users[name]

    def user_id(self, name: str) -> str:
        return str(self.user(name).id)

    def refresh_token(self, caller: str) -> str:
        self.headers("resident" if caller == ANONYMOUS else caller)
        return self._refresh["resident" if caller == ANONYMOUS else caller]

    def headers(self, caller: str) -> dict:
        """A bearer token for ``caller``: a real session row and a signed access token, minted
        directly for every demo account at once (and every twin at once): the login itself is
        tested in tests/api/test_auth.py, and a login per caller and operation is slow."""
        if caller == ANONYMOUS:
            return {}
        if caller not in self._headers:
            if caller.startswith("twin:"):
                self._mint([self.user(f"twin:{a}") for a in sorted(DISTRICT_ACCOUNTS)], prefix="twin:")
            else:
                self._mint(db_session.scalars(select(User).where(User.username.in_(ACCOUNTS))).unique().all())
        return self._headers[caller]

    def bad_headers(self, kind: str) -> dict:
        """A token for resident's live session that must not pass (RELIABILITY API2): signed with
        another key, unsigned (``alg: none``), or expired — everything else about it is right."""
        live = self.headers("resident")["Authorization"].removeprefix("Bearer ")
        claims = jwt.decode(live, options={"verify_signature": False})
        if kind == "forged":
            token = jwt.encode(claims, "not-the-secret-key-not-the-secret-key-0123", algorithm="HS256")
        elif kind == "alg:none":
            token = jwt.encode(claims, None, algorithm="none")
        else:
            claims["exp"] = claims["iat"] - 60
            token = jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm="HS256")
        return {"Authorization": f"Bearer {token}"}

    def _mint(self, users, prefix: str = "") -> None:
        """A live session per user, opened as a login opens one (api.auth.service.start_session)."""
        settings = AuthSettings.from_config(current_app.config)
        now = datetime.now(UTC)
        for user in users:
            issued = start_session(db_session, user, settings, ip="127.0.0.1", user_agent="authz-matrix", now=now)
            name = prefix + user.username.removeprefix("twin_")
            self._headers[name] = {"Authorization": f"Bearer {issued.access_token}"}
            self._refresh[name] = issued.refresh_token
        db_session.commit()

    def second_district(self) -> dict:
        if self._district is None:
            chain = place_chain("419977")
            unit = HandlingUnit(id=uuid.uuid4(), name="测试区城管局", place_id=chain["district"].id)
            db_session.add(unit)
            db_session.flush()
            self._district = {"ids": {k: v.id for k, v in chain.items()}, "unit_id": unit.id}
            # the twins' place: the second district (made with it, so that they always exist together)
            db_session.commit()
        return self._district

    def _twin(self, account: str) -> User:
        demo = self.user(account)
        district = self.second_district()
        twin = UserFactory(username=f"twin_{account}", role=demo.role, place=db_session.get(Place, district["ids"]["district"]),
                           unit_id=district["unit_id"] if demo.role == Role.unit_staff else None)
        db_session.commit()
        return twin

    # --- objects ---------------------------------------------------------------------------------

    def obj(self, kind: str, side: str, account: str | None = None, where: str = "in") -> str:
        """The id of an object of ``kind`` on ``side``; an account's own variant when it calls
        from the inside (:data:`OWN_KIND`)."""
        if account == ANONYMOUS:
            account = None
        if where == "in" and account is not None:
            kind = OWN_KIND.get((kind, account), OWN_KIND.get((kind, "*"), kind))
        key = (kind, side, account if kind in PER_ACCOUNT else None)
        if key not in self._objects:
            if kind in PER_ACCOUNT:
                self._objects[key] = str(OWN_BUILDERS[kind](self, side, account))
            elif side == "X":
                self._objects[key] = str(X_BUILDERS[kind](self))
            else:
                self._objects[key] = str(BUILDERS[kind](self, side))
            db_session.commit()
            db_session.remove()
        return self._objects[key]

    def value(self, kind: str, side: str, account: str, where: str, attr: str = "id") -> str:
        object_id = self.obj(kind, side, account, where)
        if attr == "id":
            return object_id
        if attr == "code":
            return db_session.scalar(select(Place.code).where(Place.id == uuid.UUID(object_id)))
        if attr == "id_number":
            sealed = db_session.scalar(select(Resident.id_number_cipher).where(Resident.id == uuid.UUID(object_id)))
            return current_app.extensions["gridgov.identity"].decrypt(sealed)
        raise LookupError(attr)

    def outside(self, account: str) -> str:
        """The side outside the account's scope while it calls as itself: B for the side-A
        accounts, A for grid_member_2, the second district (X) for the district-wide accounts."""
        if account in SIDE_A_ACCOUNTS:
            return "B"
        if account in SIDE_B_ACCOUNTS:
            return "A"
        return "X"

    def has_outside(self, account: str, kinds: set[str]) -> bool:
        return self.outside(account) != "X" or kinds <= set(X_BUILDERS)

    def cell(self, side: str) -> GridCell:
        if side == "X":
            return db_session.get(GridCell, self.second_district()["ids"]["grid_cell"])
        return db_session.scalars(select(GridCell).where(GridCell.code == SIDES[side])).one()

    def point(self, side: str) -> dict:
        p = to_shape(self.cell(side).boundary).representative_point()
        return {"lng": p.x, "lat": p.y}

    def api(self, caller: str, method: str, url: str, **kw):
        response = self.client.open(url, method=method, headers=self.headers(caller), **kw)
        assert response.status_code < 300, (method, url, response.status_code, response.get_json())
        return response.get_json()

    def upload(self, caller: str) -> str:
        return self.api(caller, "POST", "/api/v1/photos", data={"file": (io.BytesIO(jpeg()), "p.jpg")},
                        content_type="multipart/form-data")["id"]


def _first(stmt):
    row = db_session.scalars(stmt.limit(1)).unique().first()
    assert row is not None, "no row: " + str(stmt).split("WHERE", 1)[-1][:300]
    return row.id


def _resident(w: World, side: str):
    return _first(select(Resident).where(Resident.grid_cell_id == w.cell(side).id, Resident.id_number_cipher.isnot(None),
                                         Resident.moved_out_on.is_(None)).order_by(Resident.name, Resident.id))


def _household(w: World, side: str):
    return _first(select(Household).where(Household.grid_cell_id == w.cell(side).id).order_by(Household.address,
                                                                                               Household.id))


def _building(w: World, side: str):
    return _first(select(Building).where(Building.grid_cell_id == w.cell(side).id).order_by(Building.name, Building.id))


def _compound(w: World, side: str):
    """A compound with a building in the side's cell (what a grid member sees of compounds)."""
    cell = w.cell(side)
    found = db_session.scalar(select(Building.compound_id).where(Building.grid_cell_id == cell.id,
                                                                Building.compound_id.isnot(None)).limit(1))
    if found is not None:
        return found
    compound = Compound(id=uuid.uuid4(), name="翟庄测试小区", community_id=cell.parent_id)
    db_session.add(compound)
    db_session.flush()
    building = db_session.get(Building, _building(w, side))
    building.compound_id = compound.id
    db_session.flush()
    return compound.id


def _party_link(w: World, side: str):
    return _first(select(PartyLink).join(Household, Household.id == PartyLink.household_id)
                  .where(Household.grid_cell_id == w.cell(side).id).order_by(PartyLink.id))


def _visit(w: World, side: str):
    return _first(select(Visit).where(Visit.grid_cell_id == w.cell(side).id).order_by(Visit.visited_at.desc(), Visit.id))


def _patrol(w: World, side: str):
    owner = "grid_member" if side == "A" else "grid_member_2"
    return _first(select(Patrol).where(Patrol.user_id == w.user(owner).id).order_by(Patrol.id))


def _matter(w: World, side: str):
    if side == "A":
        # the demo's matter dispatched to 召陵区城市管理局: reported by resident in cell A, so it is
        # inside for the resident, the cell's member, the staff above it and the unit
        unit = w.user("unit_staff").unit_id
        return _first(select(Matter).where(Matter.grid_cell_id == w.cell("A").id, Matter.unit_id == unit,
                                           Matter.status == "dispatched").order_by(Matter.number))
    return w.api("grid_member_2", "POST", "/api/v1/matters", json={
        "category": "ROAD-LIGHT", "description": "翟庄路灯不亮（矩阵测试）", "location": w.point("B"),
        "photo_ids": [w.upload("grid_member_2")]})["id"]


def _matter_of_responder(w: World, side: str):
    """A matter of the side dispatched to the demo responder (a person, not a unit)."""
    created = w.api("resident", "POST", "/api/v1/matters", json={
        "category": "ROAD-LIGHT", "description": "派给应急队员的事件（矩阵测试）", "location": w.point(side)})
    matter = db_session.get(Matter, uuid.UUID(created["id"]))
    matter.status, matter.assignee_id = "dispatched", w.user("responder").id
    db_session.flush()
    return matter.id


def _photo(w: World, side: str):
    """A photo of a matter of the side: attached to matter B (grid_member_2's upload), or to a
    matter the resident reports in cell A with a photo of their own."""
    if side == "B":
        return _first(select(Photo).where(Photo.matter_id == uuid.UUID(w.obj("matter", "B"))))
    matter = w.api("resident", "POST", "/api/v1/matters", json={
        "category": "ROAD-LIGHT", "description": "路灯不亮，附照片（矩阵测试）", "location": w.point("A"),
        "photo_ids": [w.upload("resident")]})["id"]
    return _first(select(Photo).where(Photo.matter_id == uuid.UUID(matter)))


def _demo_or(stmt, create):
    """The demo's row when the side has one (the demo district is generated: do not count on it),
    else one made through the API."""
    row = db_session.scalars(stmt.limit(1)).unique().first()
    return row.id if row is not None else create()


def _followed(kind: str, category: str):
    def build(w: World, side: str):
        path = "key-persons" if kind == "key_person" else "care-targets"
        return _demo_or(
            select(FollowedPerson).where(FollowedPerson.grid_cell_id == w.cell(side).id, FollowedPerson.kind == kind,
                                         FollowedPerson.status == "active").order_by(FollowedPerson.id),
            lambda: w.api("district_admin", "POST", f"/api/v1/{path}", json={
                "resident_id": str(_resident(w, side)), "category": category, "attention_level": "high"})["id"])
    return build


def _dispute(w: World, side: str):
    return _demo_or(
        select(Dispute).where(Dispute.grid_cell_id == w.cell(side).id, Dispute.status != "closed").order_by(Dispute.id),
        lambda: w.api("district_admin", "POST", "/api/v1/disputes", json={
            "kind": "neighbour", "summary": "邻里噪音（矩阵测试）", "risk_level": "low",
            "grid_cell_id": str(w.cell(side).id),
            "parties": [{"name": "甲（合成）", "phone": "13911112222"}, {"name": "乙（合成）"}]})["id"])


def _petition(w: World, side: str):
    """An open petition of the side assigned to the demo unit (so that the unit sees it too)."""
    unit = w.user("unit_staff").unit_id

    def create():
        petition = w.api("district_admin", "POST", "/api/v1/petitions", json={
            "channel": "letter", "received_on": datetime.now(UTC).date().isoformat(), "kind": "claim",
            "summary": "供暖不达标（矩阵测试）", "grid_cell_id": str(w.cell(side).id),
            "petitioners": [{"name": "丙（合成）", "phone": "13933334444"}]})["id"]
        for step in ({"action": "accept"}, {"action": "assign", "unit_id": str(unit)}):
            w.api("district_admin", "POST", f"/api/v1/petitions/{petition}/transitions", json=step)
        return petition

    return _demo_or(select(Petition).where(Petition.grid_cell_id == w.cell(side).id, Petition.unit_id == unit,
                                           Petition.status == "assigned").order_by(Petition.id), create)


def _accepted_petition(w: World, side: str):
    """A petition of the side accepted and not yet assigned (to assign it)."""
    def create():
        petition = w.api("district_admin", "POST", "/api/v1/petitions", json={
            "channel": "visit", "received_on": datetime.now(UTC).date().isoformat(), "kind": "claim",
            "summary": "待交办（矩阵测试）", "grid_cell_id": str(w.cell(side).id), "petitioners": [{"name": "戊（合成）"}]})
        w.api("district_admin", "POST", f"/api/v1/petitions/{petition['id']}/transitions", json={"action": "accept"})
        return petition["id"]

    return create()


def _incident(w: World, side: str):
    return _demo_or(
        select(Incident).where(Incident.grid_cell_id == w.cell(side).id, Incident.status != "closed")
        .order_by(Incident.id),
        lambda: w.api("district_admin", "POST", "/api/v1/incidents", json={
            "title": "燃气泄漏（矩阵测试）", "kind": "accident", "subtype": "gas_leak", "level": "IV",
            "location": w.point(side)})["id"])


def _dispatch_to(w: World, incident_id: str, username: str) -> uuid.UUID:
    now = datetime.now(UTC)
    item = Dispatch(id=uuid.uuid4(), incident_id=uuid.UUID(incident_id), responder_id=w.user(username).id,
                    status=DispatchStatus.dispatched, dispatched_at=now, ack_due_at=now + timedelta(minutes=10))
    db_session.add(item)
    db_session.flush()
    return item.id


def _dispatch_of_responder(w: World, side: str):
    return _dispatch_to(w, w.obj("incident", side), "responder")


def _own_dispatch(w: World, side: str, account: str):
    return _dispatch_to(w, w.obj("incident", side), account)


def _incident_of_responder(w: World, side: str):
    incident = w.obj("incident", side)
    w.obj("dispatch_of_responder", side)
    return incident


def _dispatch(w: World, side: str):
    """A live dispatch of the side's incident to somebody else than the demo responder."""
    incident = uuid.UUID(w.obj("incident", side))
    return _demo_or(select(Dispatch).where(Dispatch.incident_id == incident, Dispatch.responder_id != w.user("responder").id,
                                           Dispatch.status.in_(["dispatched", "acknowledged", "en_route", "on_scene"]))
                    .order_by(Dispatch.id),
                    lambda: _dispatch_to(w, str(incident), "responder_01"))


def _rescue_incident(w: World, side: str):
    """An open incident of the side that needs the rescue team (the demo responder's)."""
    return w.api("district_admin", "POST", "/api/v1/incidents", json={
        "title": "楼道起火（矩阵测试）", "kind": "accident", "subtype": "fire", "level": "IV", "teams": ["rescue"],
        "location": w.point(side)})["id"]


def _team(w: World, side: str):
    cell = w.cell(side)
    if side == "A":
        return _first(select(Team).where(Team.place_id == cell.parent_id).order_by(Team.kind))
    team = Team(id=uuid.uuid4(), place_id=cell.parent_id, kind=TeamKind.patrol, name="翟庄社区治安巡防队（测试）")
    db_session.add(team)
    db_session.flush()
    return team.id


def _responder_user(w: World, side: str):
    """A responder of the side's teams (for tracks)."""
    if side == "A":
        return w.user("responder").id
    team = uuid.UUID(w.obj("team", "B"))
    community = db_session.get(Place, w.cell("B").parent_id)
    user = UserFactory(username="zhaizhuang_responder", role=Role.responder, place=community)
    db_session.add(Responder(user_id=user.id, team_id=team))
    db_session.flush()
    return user.id


def _user(w: World, side: str):
    """An account living in the side's cell (a resident's account)."""
    if side == "A":
        return w.user("resident").id
    user = UserFactory(username="zhaizhuang_resident", role=Role.resident, place=w.cell("B"))
    return user.id


def _open311_key(w: World, side: str):
    return _first(select(Open311Key).order_by(Open311Key.created_at))


def _notification(w: World, side: str):
    """A notification of the side's resident account (somebody else's, from outside)."""
    return _notify(w, "resident" if side == "A" else "grid_member_2")


def _notify(w: World, username: str):
    outbox = db_session.scalar(text("INSERT INTO outbox (topic, recipient_id, payload, delivered_at) "
                                    "VALUES ('matter.accepted', :u, '{\"number\": 1}', now()) RETURNING id"),
                               {"u": w.user(username).id})
    notification = uuid.uuid4()
    db_session.execute(text("INSERT INTO notifications (id, outbox_id, user_id, topic, payload) "
                            "VALUES (:id, :o, :u, 'matter.accepted', '{\"number\": 1}')"),
                       {"id": notification, "o": outbox, "u": w.user(username).id})
    return notification


def _patroller(w: World, side: str):
    """The grid member of the side (whose check-ins and patrols the demo holds)."""
    return w.user("grid_member" if side == "A" else "grid_member_2").id


def _party_household(w: World, side: str):
    return db_session.get(PartyLink, _party_link(w, side)).household_id


def _team_candidate(w: World, side: str):
    """Somebody of the side who may join a team (a grid member)."""
    return _patroller(w, side)


def _on_duty_responder(w: World, side: str):
    """A responder on duty at the side's point: the demo responder (天桥街道's rescue team) on side A."""
    user = w.user("responder").id if side == "A" else uuid.UUID(w.obj("responder_user", "B"))
    db_session.execute(text("UPDATE responders SET duty_status = 'on_duty', position = "
                            "ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)::geography, position_at = now() "
                            "WHERE user_id = :u"), {**w.point(side), "u": user})
    return user


def cell_feature(side: str) -> dict:
    """The side's cell as an import feature, exactly as stored."""
    from api.grids.service import place_feature  # noqa: PLC0415

    cell = db_session.scalars(select(GridCell).where(GridCell.code == SIDES[side])).one()
    return place_feature(cell)


def unlinked_party_pair(side: str) -> tuple[str, str]:
    """A party member of the side's cell and a household of the cell they do not look after yet."""
    cell = db_session.scalars(select(GridCell).where(GridCell.code == SIDES[side])).one()
    member = db_session.scalars(select(Resident).where(Resident.grid_cell_id == cell.id,
                                                       Resident.tags.any("party_member"),
                                                       Resident.moved_out_on.is_(None))
                                .order_by(Resident.id).limit(1)).first()
    if member is None:  # the cell has no party member yet: tag one
        member = db_session.get(Resident, _resident(World(client=None), side))
        member.tags = sorted({*member.tags, "party_member"})
        db_session.commit()
    linked = select(PartyLink.household_id).where(PartyLink.resident_id == member.id)
    household = db_session.scalar(select(Household.id).where(Household.grid_cell_id == cell.id,
                                                             Household.id.not_in(linked)).order_by(Household.id))
    return str(member.id), str(household)


def _unit(w: World, side: str):
    """A handling unit of the side's street: outside the line of the other side's staff."""
    street = db_session.get(Place, w.cell(side).parent_id).parent_id
    return _demo_or(select(HandlingUnit).where(HandlingUnit.place_id == street).order_by(HandlingUnit.id),
                    lambda: _add(HandlingUnit(id=uuid.uuid4(), name="街道城管中队（测试）", place_id=street)))


def _add(row):
    db_session.add(row)
    db_session.flush()
    return row.id


def _registered_matter(w: World, side: str):
    """A matter of the side waiting for dispatch (registered)."""
    created = w.api("grid_member" if side == "A" else "grid_member_2", "POST", "/api/v1/matters", json={
        "category": "ROAD-LIGHT", "description": "待派遣（矩阵测试）", "location": w.point(side)})
    matter = db_session.get(Matter, uuid.UUID(created["id"]))
    matter.status = "registered"
    db_session.flush()
    return matter.id


def _foreign_photo(w: World, side: str):
    """A photo uploaded (not yet attached) by the side's grid member: somebody else's photo."""
    return w.upload("grid_member" if side == "A" else "grid_member_2")


def _dispute_visit(w: World, side: str):
    """A door-knock visit of the side with a dispute finding (a dispute may start from it)."""
    member = "grid_member" if side == "A" else "grid_member_2"
    visit = {"id": str(uuid.uuid4()), "household_id": str(_household(w, side)),
             "visited_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(), "result": "met",
             "findings": [{"tag": "dispute", "needs_action": False, "note": "邻里纠纷（矩阵测试）"}]}
    result = w.api(member, "POST", "/api/v1/visits/sync", json={"visits": [visit]})["results"][0]
    assert result["status"] == "created", result
    return visit["id"]


# The second district (X) holds only what the district-wide accounts' cases need.
def _x_resident(w: World):
    cell = w.cell("X")
    return _add(Resident(id=uuid.uuid4(), name="测试区居民", kind="registered", grid_cell_id=cell.id, tags=[]))


def _x_household(w: World):
    return _add(Household(id=uuid.uuid4(), grid_cell_id=w.cell("X").id, address="测试区 1 号"))


def _x_user(w: World):
    return UserFactory(username="testqu_resident", role=Role.resident, place=w.cell("X")).id


def _x_matter(w: World):
    w.headers("twin:district_admin")
    return w.api("twin:district_admin", "POST", "/api/v1/matters", json={
        "category": "ROAD-LIGHT", "description": "测试区路灯（矩阵测试）", "location": w.point("X")})["id"]


X_BUILDERS = {
    "grid_cell": lambda w: w.cell("X").id,
    "community": lambda w: w.second_district()["ids"]["community"],
    "street": lambda w: w.second_district()["ids"]["street"],
    "unit": lambda w: w.second_district()["unit_id"],
    "user": _x_user,
    "household": _x_household,
    "resident": _x_resident,
    "matter": _x_matter,
    "foreign_photo": lambda w: w.upload("twin:district_admin"),
}


BUILDERS = {
    "grid_cell": lambda w, side: w.cell(side).id,
    "community": lambda w, side: w.cell(side).parent_id,
    "street": lambda w, side: db_session.get(Place, w.cell(side).parent_id).parent_id,
    "patroller": _patroller,
    "party_household": _party_household,
    "team_candidate": _team_candidate,
    "on_duty_responder": _on_duty_responder,
    "resident": _resident,
    "household": _household,
    "building": _building,
    "compound": _compound,
    "party_link": _party_link,
    "matter": _matter,
    "matter_of_responder": _matter_of_responder,
    "photo": _photo,
    "visit": _visit,
    "patrol": _patrol,
    "key_person": _followed("key_person", "released_prisoner"),
    "care_target": _followed("care_target", "elderly_alone"),
    "dispute": _dispute,
    "petition": _petition,
    "incident": _incident,
    "incident_of_responder": _incident_of_responder,
    "rescue_incident": _rescue_incident,
    "dispatch": _dispatch,
    "dispatch_of_responder": _dispatch_of_responder,
    "team": _team,
    "responder_user": _responder_user,
    "user": _user,
    "open311_key": _open311_key,
    "notification": _notification,
    "unit": _unit,
    "registered_matter": _registered_matter,
    "accepted_petition": _accepted_petition,
    "foreign_photo": _foreign_photo,
    "dispute_visit": _dispute_visit,
}
OWN_BUILDERS = {
    "own_photo": lambda w, side, account: w.upload(account),
    "own_notification": lambda w, side, account: _notify(w, account),
    "own_dispatch": _own_dispatch,
}
