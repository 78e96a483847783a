"""The population base (实有人口): who lives where, kept current by grid members. Plain functions.

Identity numbers never appear in plain text outside :func:`reveal_id_number`: they are stored as
AES-GCM ciphertext plus a keyed hash (for exact search and uniqueness) plus the masked form.
"""

from __future__ import annotations

import uuid

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import ColumnElement, Select, or_, select, text
from sqlalchemy.orm import Session

from api.errors import Conflict, NotFound, ValidationFailed
from api.geo.coords import CoordSystem
from api.grids.geometry import GeometryProblem, parse_boundary
from api.grids.service import AREA_TOLERANCE_M2, locate
from api.policy import Scope, cells_under, get_or_404, scope_rule, scoped, under
from api.population.identity import (
    IdentityCipher,
    InvalidIdNumber,
    birth_date,
    gender,
    mask_id_number,
    validate_id_number,
)
from models import (
    Building,
    Compound,
    Gender,
    GridCell,
    Household,
    PartyLink,
    Place,
    PlaceKind,
    PropertyCompany,
    Resident,
)


class Msg:
    cell_required = ("没有住户时须指定网格。", "Give a grid cell when there is no household.")
    cell_mismatch = ("与住户所在网格不一致。", "Differs from the household's grid cell.")
    gender_mismatch = ("与身份证号码中的性别不一致。", "Does not match the gender in the identity number.")
    duplicate_person = ("该身份证号码已登记。", "This identity number is already registered.")
    no_cell_here = ("该位置不在任何网格内。", "No grid cell covers this location.")
    cell_out_of_scope = ("该位置所在网格不在您的管辖范围内。", "This location is in a grid cell outside your area.")
    compound_elsewhere = ("小区须属于该楼栋所在社区。", "The compound must be in the building's community.")
    not_party_member = ("该居民未标记为党员。", "This resident is not tagged as a party member.")
    other_cell = ("党员与住户须在同一网格。", "The party member and the household must be in the same grid cell.")
    no_id_number = ("该居民没有登记身份证号码。", "No identity number is recorded for this resident.")
    already_linked = ("已关联。", "Already linked.")
    compound_outside = ("小区超出所在社区的边界。", "The compound extends beyond its community.")
    not_a_community = ("须为社区。", "Must be a community.")
    company_place = ("物业公司须登记在街道或社区。", "A property company is registered in a street or a community.")


# --- scope rules: everything hangs off a grid cell -------------------------------------------------

@scope_rule(Resident)
def _resident_rule(scope: Scope) -> ColumnElement[bool]:
    return Resident.grid_cell_id.in_(cells_under(scope.place_paths))


@scope_rule(Household)
def _household_rule(scope: Scope) -> ColumnElement[bool]:
    return Household.grid_cell_id.in_(cells_under(scope.place_paths))


@scope_rule(Building)
def _building_rule(scope: Scope) -> ColumnElement[bool]:
    return Building.grid_cell_id.in_(cells_under(scope.place_paths))


@scope_rule(Compound)
def _compound_rule(scope: Scope) -> ColumnElement[bool]:
    # a community's staff see its compounds; a grid member those with a building in their cells
    in_communities = Compound.community_id.in_(select(Place.id).where(under(Place.path, scope.place_paths)))
    with_buildings = Compound.id.in_(select(Building.compound_id).where(_building_rule(scope)))
    return or_(in_communities, with_buildings)


@scope_rule(PropertyCompany)
def _company_rule(scope: Scope) -> ColumnElement[bool]:
    in_places = PropertyCompany.place_id.in_(select(Place.id).where(under(Place.path, scope.place_paths)))
    managing = PropertyCompany.id.in_(select(Compound.property_company_id).where(_compound_rule(scope)))
    return or_(in_places, managing)


@scope_rule(PartyLink)
def _party_link_rule(scope: Scope) -> ColumnElement[bool]:
    return PartyLink.household_id.in_(select(Household.id).where(_household_rule(scope)))



# --- residents -----------------------------------------------------------------------------------

def list_residents(scope: Scope, *, grid_cell_id=None, household_id=None, kind=None, tag=None, q=None,
                   include_moved_out=False) -> Select:
    stmt = select(Resident)
    if not include_moved_out:
        stmt = stmt.where(Resident.moved_out_on.is_(None))
    for column, value in ((Resident.grid_cell_id, grid_cell_id), (Resident.household_id, household_id),
                          (Resident.kind, kind)):
        if value is not None:
            stmt = stmt.where(column == value)
    if tag:
        stmt = stmt.where(Resident.tags.any(tag))
    if q:
        stmt = stmt.where(Resident.name.contains(q, autoescape=True))
    return scoped(stmt, Resident, scope).order_by(Resident.grid_cell_id, Resident.household_id, Resident.name, Resident.id)


def lookup_resident(db: Session, scope: Scope, cipher: IdentityCipher, id_number: str) -> list[Resident]:
    """The resident with this identity number, if within scope (exact match on the keyed hash)."""
    stmt = select(Resident).where(Resident.id_number_hash == cipher.lookup_hash(_valid_id_number(id_number)))
    return db.scalars(scoped(stmt, Resident, scope)).unique().all()


def get_resident(db: Session, resident_id, scope: Scope, *, for_update: bool = False) -> Resident:
    return get_or_404(db, Resident, resident_id, scope, for_update=for_update)


def _valid_id_number(value: str) -> str:
    try:
        return validate_id_number(value)
    except InvalidIdNumber as exc:
        raise ValidationFailed({"id_number": [(exc.zh, exc.en)]}) from None


def _set_id_number(db: Session, cipher: IdentityCipher, resident: Resident, value: str | None) -> None:
    if value is None:
        resident.id_number_cipher = resident.id_number_hash = resident.id_number_masked = None
        return
    number = _valid_id_number(value)
    lookup = cipher.lookup_hash(number)
    clash = select(Resident.id).where(Resident.id_number_hash == lookup)
    if resident.id is not None:
        clash = clash.where(Resident.id != resident.id)
    if db.scalar(clash) is not None:
        raise Conflict("conflict", errors={"id_number": [Msg.duplicate_person]})
    resident.id_number_cipher = cipher.encrypt(number)
    resident.id_number_hash = lookup
    resident.id_number_masked = mask_id_number(number)
    resident.birth_date = birth_date(number)
    resident.gender = Gender(gender(number))


def _place_resident(db: Session, scope: Scope, resident: Resident, household_id, grid_cell_id) -> None:
    if household_id is not None:
        household = get_or_404(db, Household, household_id, scope, field="household_id")
        if grid_cell_id is not None and grid_cell_id != household.grid_cell_id:
            raise ValidationFailed({"grid_cell_id": [Msg.cell_mismatch]})
        resident.household_id, resident.grid_cell_id = household.id, household.grid_cell_id
    elif grid_cell_id is not None:
        resident.household_id = None
        resident.grid_cell_id = get_or_404(db, GridCell, grid_cell_id, scope, field="grid_cell_id").id
    else:
        raise ValidationFailed({"grid_cell_id": [Msg.cell_required]})


def create_resident(db: Session, scope: Scope, cipher: IdentityCipher, data: dict) -> Resident:
    resident = Resident(id=None, name=data["name"].strip(), phone=data.get("phone"), kind=data["kind"],
                        relation=data.get("relation"), tags=sorted(set(data.get("tags") or [])))
    _place_resident(db, scope, resident, data.get("household_id"), data.get("grid_cell_id"))
    if data.get("id_number"):
        _set_id_number(db, cipher, resident, data["id_number"])
    _check_gender(resident, data)
    resident.id = uuid.uuid4()
    db.add(resident)
    db.flush()
    return resident


def _check_gender(resident: Resident, data: dict) -> None:
    given = data.get("gender")
    if given is None:
        return
    if resident.id_number_hash is not None and resident.gender is not None and given != resident.gender:
        raise ValidationFailed({"gender": [Msg.gender_mismatch]})
    resident.gender = given


def update_resident(db: Session, scope: Scope, cipher: IdentityCipher, resident: Resident, data: dict) -> Resident:
    if "household_id" in data:
        _place_resident(db, scope, resident, data["household_id"],
                        None if data["household_id"] is not None else resident.grid_cell_id)
    if "id_number" in data:
        _set_id_number(db, cipher, resident, data["id_number"])
    for name in ("name", "phone", "kind", "relation", "moved_out_on"):
        if name in data:
            setattr(resident, name, data[name].strip() if name == "name" else data[name])
    if "tags" in data:
        resident.tags = sorted(set(data["tags"]))
    _check_gender(resident, data)
    db.flush()
    return resident


def reveal_id_number(cipher: IdentityCipher, resident: Resident) -> str:
    if resident.id_number_cipher is None:
        raise NotFound(errors={"id_number": [Msg.no_id_number]})
    return cipher.decrypt(resident.id_number_cipher)


# --- households ----------------------------------------------------------------------------------

def list_households(scope: Scope, *, grid_cell_id=None, building_id=None, q=None, weekly_follow_up=None) -> Select:
    stmt = select(Household)
    if weekly_follow_up is not None:
        stmt = stmt.where(Household.weekly_follow_up.is_(weekly_follow_up))
    if grid_cell_id is not None:
        stmt = stmt.where(Household.grid_cell_id == grid_cell_id)
    if building_id is not None:
        stmt = stmt.where(Household.building_id == building_id)
    if q:
        stmt = stmt.where(Household.address.contains(q, autoescape=True))
    return scoped(stmt, Household, scope).order_by(Household.grid_cell_id, Household.address, Household.id)


def create_household(db: Session, scope: Scope, data: dict) -> Household:
    household = Household(id=uuid.uuid4(), unit=data.get("unit"), room=data.get("room"), address=data["address"].strip(),
                          weekly_follow_up=data.get("weekly_follow_up", False),
                          follow_up_reason=data.get("follow_up_reason"))
    if data.get("building_id") is not None:
        building = get_or_404(db, Building, data["building_id"], scope, field="building_id")
        if data.get("grid_cell_id") is not None and data["grid_cell_id"] != building.grid_cell_id:
            raise ValidationFailed({"grid_cell_id": [Msg.cell_mismatch]})
        household.building_id, household.grid_cell_id = building.id, building.grid_cell_id
    elif data.get("grid_cell_id") is not None:
        household.grid_cell_id = get_or_404(db, GridCell, data["grid_cell_id"], scope, field="grid_cell_id").id
    else:
        raise ValidationFailed({"grid_cell_id": [Msg.cell_required]})
    db.add(household)
    db.flush()
    return household


def update_household(db: Session, household: Household, data: dict) -> Household:
    for name in ("unit", "room", "address", "weekly_follow_up", "follow_up_reason"):
        if name in data:
            setattr(household, name, data[name].strip() if name == "address" else data[name])
    db.flush()
    return household


# --- buildings, compounds, companies -------------------------------------------------------------

def list_buildings(scope: Scope, *, grid_cell_id=None, compound_id=None, q=None) -> Select:
    stmt = select(Building)
    if grid_cell_id is not None:
        stmt = stmt.where(Building.grid_cell_id == grid_cell_id)
    if compound_id is not None:
        stmt = stmt.where(Building.compound_id == compound_id)
    if q:
        stmt = stmt.where(or_(Building.name.contains(q, autoescape=True), Building.address.contains(q, autoescape=True)))
    return scoped(stmt, Building, scope).order_by(Building.grid_cell_id, Building.name, Building.id)


def _locate_building(db: Session, scope: Scope, building: Building, lng: float, lat: float) -> None:
    cell = locate(db, lng, lat)
    if cell is None:
        raise ValidationFailed({"location": [Msg.no_cell_here]})
    if not any(cell.path.startswith(p) for p in scope.place_paths):
        raise ValidationFailed({"location": [Msg.cell_out_of_scope]})
    building.grid_cell_id = cell.id
    building.location = from_shape(Point(lng, lat), srid=4326)


def _set_compound(db: Session, scope: Scope, building: Building, compound_id) -> None:
    if compound_id is None:
        building.compound_id = None
        return
    compound = get_or_404(db, Compound, compound_id, scope, field="compound_id")
    cell = db.get(Place, building.grid_cell_id)
    if compound.community_id != cell.parent_id:
        raise ValidationFailed({"compound_id": [Msg.compound_elsewhere]})
    building.compound_id = compound.id


def create_building(db: Session, scope: Scope, data: dict) -> Building:
    building = Building(id=uuid.uuid4(), name=data["name"].strip(), address=data["address"].strip(),
                        floors=data.get("floors"), units=data.get("units"))
    _locate_building(db, scope, building, *data["location"])
    _set_compound(db, scope, building, data.get("compound_id"))
    db.add(building)
    db.flush()
    return building


def update_building(db: Session, scope: Scope, building: Building, data: dict) -> Building:
    if "location" in data:
        _locate_building(db, scope, building, *data["location"])
        # households follow their building into its new cell, and their residents with them
        for household in db.scalars(select(Household).where(Household.building_id == building.id)):
            household.grid_cell_id = building.grid_cell_id
            for resident in db.scalars(select(Resident).where(Resident.household_id == household.id)):
                resident.grid_cell_id = building.grid_cell_id
    for name in ("name", "address", "floors", "units"):
        if name in data:
            setattr(building, name, data[name].strip() if isinstance(data[name], str) else data[name])
    if "compound_id" in data or "location" in data:
        _set_compound(db, scope, building, data.get("compound_id", building.compound_id))
    db.flush()
    return building


def list_compounds(scope: Scope, *, community_id=None, q=None) -> Select:
    stmt = select(Compound)
    if community_id is not None:
        stmt = stmt.where(Compound.community_id == community_id)
    if q:
        stmt = stmt.where(Compound.name.contains(q, autoescape=True))
    return scoped(stmt, Compound, scope).order_by(Compound.name, Compound.id)


def create_property_company(db: Session, scope: Scope, data: dict) -> PropertyCompany:
    place = get_or_404(db, Place, data["place_id"], scope, field="place_id")
    if place.kind not in (PlaceKind.street, PlaceKind.community):
        raise ValidationFailed({"place_id": [Msg.company_place]})
    company = PropertyCompany(id=uuid.uuid4(), name=data["name"].strip(), phone=data.get("phone"), place_id=place.id)
    db.add(company)
    db.flush()
    return company


def _compound_boundary(db: Session, compound: Compound, data: dict) -> None:
    """A compound's polygon is checked like a cell's: valid, and inside its community."""
    if data.get("boundary") is None:
        compound.boundary = None
        return
    try:
        geom = parse_boundary(data["boundary"], data.get("coord_system", CoordSystem.wgs84))
    except GeometryProblem as problem:
        raise ValidationFailed({"boundary": [problem.pair]}) from None
    outside = db.scalar(text("""
        SELECT ST_Area(ST_Difference(ST_GeomFromWKB(:wkb, 4326), c.boundary)::geography)
        FROM places c WHERE c.id = :community AND c.boundary IS NOT NULL"""),
        {"wkb": geom.wkb, "community": compound.community_id})
    if outside is not None and outside > AREA_TOLERANCE_M2:
        raise ValidationFailed({"boundary": [Msg.compound_outside]})
    compound.boundary = from_shape(geom, srid=4326)


def save_compound(db: Session, scope: Scope, data: dict, compound: Compound | None = None) -> Compound:
    if compound is None:
        community = get_or_404(db, Place, data["community_id"], scope, field="community_id")
        if community.kind != PlaceKind.community:
            raise ValidationFailed({"community_id": [Msg.not_a_community]})
        compound = Compound(id=uuid.uuid4(), community_id=community.id, name=data["name"].strip())
        db.add(compound)
    elif "name" in data:
        compound.name = data["name"].strip()
    if "boundary" in data:
        _compound_boundary(db, compound, data)
    if "property_company_id" in data:
        company_id = data["property_company_id"]
        compound.property_company_id = (
            get_or_404(db, PropertyCompany, company_id, scope, field="property_company_id").id if company_id else None)
    for name in ("owners_committee_name", "owners_committee_chair", "owners_committee_phone"):
        if name in data:
            setattr(compound, name, data[name])
    db.flush()
    return compound


def list_property_companies(scope: Scope) -> Select:
    return scoped(select(PropertyCompany), PropertyCompany, scope).order_by(PropertyCompany.name, PropertyCompany.id)


# --- party links ---------------------------------------------------------------------------------

def list_party_links(scope: Scope, *, resident_id=None, household_id=None) -> Select:
    stmt = select(PartyLink)
    if resident_id is not None:
        stmt = stmt.where(PartyLink.resident_id == resident_id)
    if household_id is not None:
        stmt = stmt.where(PartyLink.household_id == household_id)
    return scoped(stmt, PartyLink, scope).order_by(PartyLink.created_at, PartyLink.id)


def create_party_link(db: Session, scope: Scope, resident_id, household_id) -> PartyLink:
    resident = get_or_404(db, Resident, resident_id, scope, field="resident_id")
    household = get_or_404(db, Household, household_id, scope, field="household_id")
    if "party_member" not in resident.tags:
        raise ValidationFailed({"resident_id": [Msg.not_party_member]})
    if resident.grid_cell_id != household.grid_cell_id:
        raise ValidationFailed({"household_id": [Msg.other_cell]})
    exists = db.scalar(select(PartyLink.id).where(PartyLink.resident_id == resident.id,
                                                  PartyLink.household_id == household.id))
    if exists is not None:
        raise Conflict("conflict", errors={"household_id": [Msg.already_linked]})
    link = PartyLink(id=uuid.uuid4(), resident_id=resident.id, household_id=household.id)
    db.add(link)
    db.flush()
    db.refresh(link)
    return link





def people_in_scope(db: Session, scope: Scope, people: list[dict], field: str) -> list[dict]:
    """Parties or petitioners as given, each ``resident_id`` checked to be within scope (404 naming
    ``<field>.<n>.resident_id``) and made a string, ready to be sealed."""
    checked = []
    for index, person in enumerate(people):
        if person.get("resident_id") is not None:
            get_or_404(db, Resident, person["resident_id"], scope, field=f"{field}.{index}.resident_id")
        checked.append({k: (str(v) if k == "resident_id" and v else v) for k, v in person.items()})
    return checked
