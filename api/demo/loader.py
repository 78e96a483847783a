"""The demo district (演示数据): 召陵区 with three streets, their communities and grid cells, a
handling unit, and the demo accounts. Everything it writes is flagged ``is_demo``; production
settings refuse to load it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from flask import current_app
from geoalchemy2.shape import from_shape
from sqlalchemy import exists, func, insert, select
from sqlalchemy.orm import Session

from api.auth import passwords
from api.demo import activity, emergency, governance, petitions
from api.demo.geography import build_demo_district
from api.demo.population import build_demo_population
from api.open311.resources import hash_key
from api.population import identity
from models import (
    Building,
    Compound,
    Gender,
    GridMemberCell,
    GridResponsibility,
    HandlingUnit,
    Household,
    Open311Key,
    PartyLink,
    Place,
    PlaceKind,
    PropertyCompany,
    Relation,
    Resident,
    ResidentKind,
    Role,
    User,
)

DEMO_PASSWORD = "Demo-pass-2026"

# username, display name, role, where (a place code or a key below), phone
DEMO_ACCOUNTS = [
    ("district_admin", "区管理员（演示）", Role.district_admin, "district", "13800000001"),
    ("street_admin", "天桥街道管理员（演示）", Role.street_admin, "tianqiao", "13800000002"),
    ("community_staff", "漓江路社区工作人员（演示）", Role.community_staff, "lijianglu", "13800000003"),
    ("grid_member", "漓江路社区网格员（演示）", Role.grid_member, "lijianglu", "13800000004"),
    ("grid_member_2", "翟庄街道网格员（演示）", Role.grid_member, "other_community", "13800000005"),
    ("resident", "居民（演示）", Role.resident, "grid_member_cell", "13800000006"),
    ("responder", "应急队员（演示）", Role.responder, "tianqiao", "13800000007"),
    ("unit_staff", "城管局工作人员（演示）", Role.unit_staff, "district", "13800000008"),
    ("audit_admin", "审计管理员（演示）", Role.audit_admin, "district", "13800000009"),
    ("system_admin", "系统管理员（演示）", Role.system_admin, "district", "13800000010"),
    ("security_admin", "安全管理员（演示）", Role.security_admin, "district", "13800000011"),
]

DEMO_OPEN311_KEY = "demo-open311-key"
DEMO_UNIT_NAME = "召陵区城市管理局（演示）"
HISTORY_MATTERS = 1500  # closed or rejected, over the half year before the last two days


class DemoRefused(RuntimeError):
    pass


def is_empty(db: Session) -> bool:
    return not db.scalar(select(exists().where(Place.id.isnot(None))))


def is_loaded(db: Session) -> bool:
    return bool(db.scalar(select(exists().where(Place.is_demo.is_(True)))))


def _add_place(db: Session, kind: PlaceKind, spec, parent: Place | None) -> Place:
    place_id = uuid.uuid4()
    place = Place(
        id=place_id,
        kind=kind,
        code=spec.code,
        name=spec.name,
        parent_id=parent.id if parent else None,
        path=(parent.path if parent else "/") + f"{place_id}/",
        boundary=from_shape(spec.boundary, srid=4326),
        cell_kind=getattr(spec, "kind", None) if kind == PlaceKind.grid_cell else None,
        is_demo=True,
    )
    db.add(place)
    return place


def load(db: Session, hasher, cipher) -> dict:
    """Write the demo district and accounts in the caller's transaction. Returns what it made."""
    if is_loaded(db):
        raise DemoRefused("the demo district is already loaded")
    spec = build_demo_district()
    district = _add_place(db, PlaceKind.district, spec, None)
    places: dict[str, Place] = {"district": district}
    cells: list[Place] = []
    for s_index, street_spec in enumerate(spec.streets):
        street = _add_place(db, PlaceKind.street, street_spec, district)
        if street_spec.name == "天桥街道":
            places["tianqiao"] = street
        for c_index, community_spec in enumerate(street_spec.communities):
            community = _add_place(db, PlaceKind.community, community_spec, street)
            if community_spec.name == "漓江路社区":
                places["lijianglu"] = community
            elif s_index == 1 and c_index == 0:
                places["other_community"] = community
            for cell_spec in community_spec.cells:
                cells.append(_add_place(db, PlaceKind.grid_cell, cell_spec, community))
    db.flush()
    lijianglu_cells = sorted((c for c in cells if c.parent_id == places["lijianglu"].id), key=lambda c: c.code)
    other_cells = sorted((c for c in cells if c.parent_id == places["other_community"].id), key=lambda c: c.code)
    places["grid_member_cell"] = lijianglu_cells[0]

    unit = HandlingUnit(id=uuid.uuid4(), name=DEMO_UNIT_NAME, place_id=district.id, is_demo=True)
    db.add(unit)
    db.flush()

    password_hash = None
    users = {}
    for username, display_name, role, where, phone in DEMO_ACCOUNTS:
        # One hash per account would cost ~11 argon2 runs for the same published password.
        password_hash = password_hash or passwords.hash_password(hasher, DEMO_PASSWORD)
        user = User(
            id=uuid.uuid4(), username=username, display_name=display_name, role=role, phone=phone,
            place_id=places[where].id, unit_id=unit.id if role == Role.unit_staff else None,
            password_hash=password_hash, is_demo=True,
        )
        db.add(user)
        users[username] = user
    db.flush()
    db.add(GridMemberCell(user_id=users["grid_member"].id, grid_cell_id=lijianglu_cells[0].id))
    db.add(GridMemberCell(user_id=users["grid_member_2"].id, grid_cell_id=other_cells[0].id))
    db.flush()
    counts = {
        "streets": len(spec.streets),
        "communities": sum(len(s.communities) for s in spec.streets),
        "grid_cells": len(cells),
        "accounts": len(users),
    }
    counts.update(_load_population(db, spec, cells, district, cipher))
    _load_chain(db, cells, users)
    counts["matters"] = _load_matters(db, users, unit)
    counts["past_matters"] = _load_history(db, users, unit)
    counts.update(activity.load(db, users))
    counts.update(governance.load(db, users, cipher, current_app.config))
    counts["petitions"] = petitions.load(db, users, cipher, current_app.config)
    counts.update(emergency.load(db, users, password_hash, current_app.config))
    db.add(Open311Key(name="演示 12345 热线（演示）", key_hash=hash_key(DEMO_OPEN311_KEY), place_id=district.id, is_demo=True))
    db.flush()
    return counts


# (category, description, the steps it goes through after the report) — every state appears
DEMO_MATTERS = [
    ("ROAD-LIGHT", "漓江路 3 号楼前路灯不亮（演示）", []),
    ("ENV-GARBAGE", "小区东门垃圾堆放三天未清运（演示）", []),
    ("PROP-ELEVATOR", "2 号楼电梯停运（演示）", ["accept"]),
    ("ROAD-PARKING", "消防通道被车辆占用（演示）", ["reject"]),
    ("PROP-STAIR-LIGHT", "楼道灯坏了一个星期（演示）", ["accept", "register"]),
    ("ROAD-PAVEMENT", "人行道地砖破损（演示）", ["accept", "register", "dispatch_unit"]),
    ("ENV-SEWAGE", "下水道返水（演示）", ["accept", "register", "dispatch_member"]),
    ("ROAD-MANHOLE", "井盖缺失，有安全隐患（演示）", ["accept", "register", "dispatch_unit", "handle_unit"]),
    ("ENV-GREENERY", "绿化带被踩踏（演示）", ["accept", "register", "dispatch_unit", "handle_unit", "verify"]),
    ("ROAD-LIGHT", "路口信号灯旁路灯闪烁（演示）", ["accept", "register", "dispatch_unit", "handle_unit", "verify",
                                              "close", "rate_satisfied"]),
    ("PROP-LEAK", "顶楼漏水（演示）", ["resolve_on_spot", "rate_dissatisfied", "reopen"]),
    ("DISP-NEIGHBOUR", "楼上楼下噪音纠纷（演示）", ["accept", "escalate", "supervise", "urge"]),
    ("ROAD-LIGHT", "漓江路 3 号楼前路灯不亮，重复上报（演示）", ["merge_first"]),
]


def _demo_photo(db: Session, user: User):
    """A plain generated picture standing in for a photo of the result."""
    import io

    from PIL import Image

    from api.photos.service import store

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 200)).save(buffer, format="JPEG")
    return store(db, user, buffer.getvalue()).id


def _load_matters(db: Session, users: dict[str, User], unit: HandlingUnit) -> int:
    """Matters in every state of the case flow, taken there by the demo accounts themselves."""
    from api.matters import service as matters
    from api.matters import workflow
    from api.policy import Scope

    cell = db.scalars(select(Place).join(GridMemberCell, GridMemberCell.grid_cell_id == Place.id)
                      .where(GridMemberCell.user_id == users["grid_member"].id)).first()
    point = db.scalar(select(func.ST_AsText(func.ST_PointOnSurface(Place.boundary))).where(Place.id == cell.id))
    lng, lat = (float(v) for v in point.removeprefix("POINT(").removesuffix(")").split())
    first = None
    for index, (category, description, steps) in enumerate(DEMO_MATTERS):
        matter = matters.submit(db, users["resident"], {"category": category, "description": description,
                                                        "location": (lng + index * 1e-5, lat), "address": "漓江路社区"})
        first = first or matter
        for step in steps:
            action, who, data = {
                "accept": ("accept", "community_staff", {}),
                "reject": ("reject", "community_staff", {"note": "属于交警职责，已告知市民拨打 122（演示）"}),
                "register": ("register", "community_staff", {}),
                "dispatch_unit": ("dispatch", "community_staff", {"unit_id": unit.id}),
                "dispatch_member": ("dispatch", "community_staff", {"assignee_id": users["grid_member"].id}),
                "handle_unit": ("handle", "unit_staff", {"note": "已处置完毕（演示）"}),
                "verify": ("verify", "grid_member", {}),
                "close": ("close", "community_staff", {}),
                "rate_satisfied": ("rate", "resident", {"rating": "satisfied"}),
                "rate_dissatisfied": ("rate", "resident", {"rating": "dissatisfied"}),
                "resolve_on_spot": ("resolve_on_spot", "grid_member", {"note": "已当场处理（演示）",
                                                                       "photo_ids": [_demo_photo(db, users["grid_member"])]}),
                "reopen": ("reopen", "resident", {"note": "还在漏（演示）"}),
                "escalate": ("escalate", "community_staff", {"note": "需街道协调（演示）"}),
                "supervise": ("supervise", "street_admin", {}),
                "urge": ("urge", "community_staff", {"note": "请尽快处理（演示）"}),
                "merge_first": ("merge", "community_staff", {"into_id": first.id}),
            }[step]
            actor = users[who]
            workflow.apply(db, Scope.for_user(actor), actor, matter, action, data)
    return len(DEMO_MATTERS)


def _load_history(db: Session, users: dict[str, User], unit: HandlingUnit) -> int:
    """Half a year of closed and rejected matters across 天桥街道, with their timelines, so the
    cockpit has months to show; the desk's open work stays the hand-made matters above."""
    from api.demo import history

    street = db.get(Place, users["street_admin"].place_id)
    return history.generate(db.connection().connection, HISTORY_MATTERS, now=datetime.now(UTC), days=180,
                            youngest_days=2, final_only=True, path=street.path, reporter_id=users["resident"].id,
                            unit_id=unit.id, label="（往期演示）")


def _load_population(db: Session, spec, cells: list[Place], district: Place, cipher) -> dict:
    """Buildings, households and a few thousand residents (Faker zh_CN, fixed seed), in bulk."""
    population = build_demo_population(spec)
    companies = {c.key: uuid.uuid4() for c in population.property_companies}
    db.execute(insert(PropertyCompany), [
        {"id": companies[c.key], "name": c.name, "phone": c.phone, "place_id": district.id, "is_demo": True}
        for c in population.property_companies])
    community_ids = {p.code: p.id for p in db.scalars(select(Place).where(Place.kind == PlaceKind.community,
                                                                           Place.is_demo.is_(True)))}
    compounds = {c.key: uuid.uuid4() for c in population.compounds}
    db.execute(insert(Compound), [
        {"id": compounds[c.key], "community_id": community_ids[c.community_code], "name": c.name,
         "boundary": f"SRID=4326;{c.boundary.wkt}",
         "property_company_id": companies.get(c.property_company_key), "owners_committee_name": c.owners_committee_name,
         "owners_committee_chair": c.owners_committee_chair, "owners_committee_phone": c.owners_committee_phone,
         "is_demo": True} for c in population.compounds])
    cell_ids = {cell.code: cell.id for cell in cells}
    buildings = {b.key: uuid.uuid4() for b in population.buildings}
    db.execute(insert(Building), [
        {"id": buildings[b.key], "grid_cell_id": cell_ids[b.cell_code], "compound_id": compounds.get(b.compound_key),
         "name": b.name, "address": b.address, "location": f"SRID=4326;POINT({b.lng} {b.lat})", "floors": b.floors,
         "units": b.units, "is_demo": True} for b in population.buildings])
    households = {h.key: uuid.uuid4() for h in population.households}
    db.execute(insert(Household), [
        {"id": households[h.key], "grid_cell_id": cell_ids[h.cell_code], "building_id": buildings.get(h.building_key),
         "unit": h.unit, "room": h.room, "address": h.address, "is_demo": True} for h in population.households])
    residents = {r.key: uuid.uuid4() for r in population.residents}
    db.execute(insert(Resident), [
        {"id": residents[r.key], "grid_cell_id": cell_ids[r.cell_code], "household_id": households[r.household_key],
         "name": r.name, "gender": Gender(r.gender), "birth_date": identity.birth_date(r.id_number),
         "id_number_cipher": cipher.encrypt(r.id_number), "id_number_hash": cipher.lookup_hash(r.id_number),
         "id_number_masked": identity.mask_id_number(r.id_number), "phone": r.phone, "kind": ResidentKind(r.kind),
         "relation": Relation(r.relation), "tags": list(r.tags), "is_demo": True} for r in population.residents])
    db.execute(insert(PartyLink), [
        {"id": uuid.uuid4(), "resident_id": residents[link.resident_key], "household_id": households[link.household_key]}
        for link in population.party_links])
    return {"buildings": len(buildings), "households": len(households), "residents": len(residents)}


def _load_chain(db: Session, cells: list[Place], users: dict[str, User]) -> None:
    """四长一员 for the cells of the two demo grid members: the grid member and a grid leader."""
    started = date(2026, 1, 1)
    for username in ("grid_member", "grid_member_2"):
        user = users[username]
        for cell in db.scalars(select(Place).join(GridMemberCell, GridMemberCell.grid_cell_id == Place.id)
                               .where(GridMemberCell.user_id == user.id)):
            db.add(GridResponsibility(grid_cell_id=cell.id, post_code="grid_member", user_id=user.id,
                                      name=user.display_name, phone=user.phone, starts_on=started, is_demo=True))
            leader = db.scalars(select(Resident).where(Resident.grid_cell_id == cell.id,
                                                       Resident.tags.any("party_member")).order_by(Resident.name)).first()
            if leader is not None:
                db.add(GridResponsibility(grid_cell_id=cell.id, post_code="grid_leader", resident_id=leader.id,
                                          name=leader.name, phone=leader.phone, starts_on=started, is_demo=True))
    db.flush()
