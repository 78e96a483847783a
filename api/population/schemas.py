from datetime import date

import marshmallow as ma

from api.auth.schemas import GridCellRefSchema
from api.extensions import MOBILE, InputSchema, OutputSchema, Text
from api.geo.coords import CoordSystem
from api.geo.fields import GeoJSONGeometry, PointInSchema, PointOutSchema
from models import RESIDENT_TAGS, Gender, Relation, ResidentKind

PHONE = MOBILE


def _age(born: date | None, today: date | None = None) -> int | None:
    if born is None:
        return None
    today = today or date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class RefSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    name = Text(required=True)


class HouseholdRefSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    address = Text(required=True)


# --- residents ---------------------------------------------------------------------------------

class ResidentQueryArgsSchema(InputSchema):
    grid_cell_id = ma.fields.UUID()
    household_id = ma.fields.UUID()
    kind = ma.fields.Enum(ResidentKind, by_value=True)
    tag = ma.fields.String(validate=ma.validate.OneOf(RESIDENT_TAGS))
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=50), metadata={"description": "Part of the name"})
    include_moved_out = ma.fields.Boolean(load_default=False)


class ResidentSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    name = Text(required=True)
    gender = ma.fields.Enum(Gender, by_value=True, allow_none=True)
    # The age, not the birth date: with the date, a masked number's hidden digits are guessable.
    age = ma.fields.Function(lambda r: _age(r.birth_date), allow_none=True, metadata={"description": "Years"})
    id_number_masked = ma.fields.String(allow_none=True, metadata={"description": "e.g. 4111**********1234"})
    phone = ma.fields.String(allow_none=True)
    kind = ma.fields.Enum(ResidentKind, by_value=True, required=True)
    relation = ma.fields.Enum(Relation, by_value=True, allow_none=True)
    tags = ma.fields.List(ma.fields.String(), required=True)
    household = ma.fields.Nested(HouseholdRefSchema, allow_none=True)
    grid_cell = ma.fields.Nested(GridCellRefSchema, required=True)
    moved_out_on = ma.fields.Date(allow_none=True)
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)


class ResidentCreateSchema(InputSchema):
    household_id = ma.fields.UUID(allow_none=True)
    grid_cell_id = ma.fields.UUID(allow_none=True, metadata={"description": "Needed when there is no household"})
    name = Text(required=True, validate=ma.validate.Length(min=1, max=50))
    gender = ma.fields.Enum(Gender, by_value=True, allow_none=True)
    id_number = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=30), load_only=True)
    phone = ma.fields.String(allow_none=True, validate=PHONE)
    kind = ma.fields.Enum(ResidentKind, by_value=True, required=True)
    relation = ma.fields.Enum(Relation, by_value=True, allow_none=True)
    tags = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(RESIDENT_TAGS)), load_default=list,
                          validate=ma.validate.Length(max=len(RESIDENT_TAGS)))


class ResidentUpdateSchema(InputSchema):
    household_id = ma.fields.UUID(allow_none=True)
    name = Text(validate=ma.validate.Length(min=1, max=50))
    gender = ma.fields.Enum(Gender, by_value=True, allow_none=True)
    id_number = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=30), load_only=True)
    phone = ma.fields.String(allow_none=True, validate=PHONE)
    kind = ma.fields.Enum(ResidentKind, by_value=True)
    relation = ma.fields.Enum(Relation, by_value=True, allow_none=True)
    tags = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(RESIDENT_TAGS)),
                          validate=ma.validate.Length(max=len(RESIDENT_TAGS)))
    moved_out_on = ma.fields.Date(allow_none=True, metadata={"description": "搬离: the person left on this date"})


class LookupSchema(InputSchema):
    id_number = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=30),
                                 metadata={"description": "The full identity number (in the body, so it never "
                                           "reaches an access log)"})


class RevealSchema(InputSchema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=200),
                              metadata={"description": "Why the full number is needed; kept in the audit log"})


class RevealedSchema(OutputSchema):
    id_number = ma.fields.String(required=True)


# --- households --------------------------------------------------------------------------------

class HouseholdQueryArgsSchema(InputSchema):
    grid_cell_id = ma.fields.UUID()
    building_id = ma.fields.UUID()
    weekly_follow_up = ma.fields.Boolean()
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=50), metadata={"description": "Part of the address"})


class HouseholdSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    address = Text(required=True)
    unit = Text(allow_none=True)
    room = Text(allow_none=True)
    building = ma.fields.Nested(RefSchema, allow_none=True)
    grid_cell = ma.fields.Nested(GridCellRefSchema, required=True)
    members = ma.fields.Integer(required=True, metadata={"description": "Residents living here now"})
    weekly_follow_up = ma.fields.Boolean(required=True, metadata={"description": "Visited every week, first in the plan"})
    follow_up_reason = Text(allow_none=True)
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)


class FollowUpFields(InputSchema):
    """The weekly follow-up flag (重点关注户) and why."""

    weekly_follow_up = ma.fields.Boolean()
    follow_up_reason = Text(allow_none=True, validate=ma.validate.Length(max=200))


class HouseholdCreateSchema(FollowUpFields):
    building_id = ma.fields.UUID(allow_none=True)
    grid_cell_id = ma.fields.UUID(allow_none=True, metadata={"description": "Needed when there is no building"})
    unit = Text(allow_none=True, validate=ma.validate.Length(max=20))
    room = Text(allow_none=True, validate=ma.validate.Length(max=20))
    address = Text(required=True, validate=ma.validate.Length(min=1, max=200))


class HouseholdUpdateSchema(FollowUpFields):
    unit = Text(allow_none=True, validate=ma.validate.Length(max=20))
    room = Text(allow_none=True, validate=ma.validate.Length(max=20))
    address = Text(validate=ma.validate.Length(min=1, max=200))


# --- buildings, compounds, property companies ----------------------------------------------------

class BuildingQueryArgsSchema(InputSchema):
    grid_cell_id = ma.fields.UUID()
    compound_id = ma.fields.UUID()
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=50))


class BuildingSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    name = Text(required=True)
    address = Text(required=True)
    location = ma.fields.Nested(PointOutSchema, required=True, metadata={"description": "WGS-84"})
    floors = ma.fields.Integer(allow_none=True)
    units = ma.fields.Integer(allow_none=True)
    compound = ma.fields.Nested(RefSchema, allow_none=True)
    grid_cell = ma.fields.Nested(GridCellRefSchema, required=True)
    households = ma.fields.Integer(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)


class BuildingCreateSchema(InputSchema):
    name = Text(required=True, validate=ma.validate.Length(min=1, max=50))
    address = Text(required=True, validate=ma.validate.Length(min=1, max=200))
    location = ma.fields.Nested(PointInSchema, required=True,
                                metadata={"description": "The building's cell is found from it"})
    compound_id = ma.fields.UUID(allow_none=True)
    floors = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(1, 200))
    units = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(1, 50))


class BuildingUpdateSchema(InputSchema):
    name = Text(validate=ma.validate.Length(min=1, max=50))
    address = Text(validate=ma.validate.Length(min=1, max=200))
    location = ma.fields.Nested(PointInSchema)
    compound_id = ma.fields.UUID(allow_none=True)
    floors = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(1, 200))
    units = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(1, 50))


class CompoundQueryArgsSchema(InputSchema):
    community_id = ma.fields.UUID()
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=50))


class PropertyCompanySchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    name = Text(required=True)
    phone = ma.fields.String(allow_none=True)


class PropertyCompanyCreateSchema(InputSchema):
    name = Text(required=True, validate=ma.validate.Length(min=1, max=100))
    phone = ma.fields.String(allow_none=True, validate=ma.validate.Regexp(r"^[0-9-]{7,20}$"))
    place_id = ma.fields.UUID(required=True, metadata={"description": "The street or community it works in"})


class _CompoundFields(InputSchema):
    boundary = ma.fields.Dict(allow_none=True, metadata={"description": "GeoJSON Polygon or MultiPolygon"})
    coord_system = ma.fields.Enum(CoordSystem, by_value=True, load_default=CoordSystem.wgs84)
    property_company_id = ma.fields.UUID(allow_none=True)
    owners_committee_name = Text(allow_none=True, validate=ma.validate.Length(max=100))
    owners_committee_chair = Text(allow_none=True, validate=ma.validate.Length(max=50))
    owners_committee_phone = ma.fields.String(allow_none=True, validate=ma.validate.Regexp(r"^[0-9-]{7,20}$"))


class CompoundCreateSchema(_CompoundFields):
    community_id = ma.fields.UUID(required=True)
    name = Text(required=True, validate=ma.validate.Length(min=1, max=100))


class CompoundUpdateSchema(_CompoundFields):
    name = Text(validate=ma.validate.Length(min=1, max=100))


class CompoundSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    name = Text(required=True)
    community = ma.fields.Nested(RefSchema, required=True)
    property_company = ma.fields.Nested(PropertyCompanySchema, allow_none=True)
    owners_committee_name = Text(allow_none=True)
    owners_committee_chair = Text(allow_none=True)
    owners_committee_phone = ma.fields.String(allow_none=True)
    boundary = GeoJSONGeometry(allow_none=True, metadata={"description": "GeoJSON MultiPolygon, WGS-84"})


# --- party members' households (党员联户) ----------------------------------------------------------

class PartyLinkQueryArgsSchema(InputSchema):
    resident_id = ma.fields.UUID()
    household_id = ma.fields.UUID()


class PartyLinkCreateSchema(InputSchema):
    resident_id = ma.fields.UUID(required=True)
    household_id = ma.fields.UUID(required=True)


class PartyLinkSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    resident = ma.fields.Nested(RefSchema, required=True)
    household = ma.fields.Nested(HouseholdRefSchema, required=True)
    created_at = ma.fields.AwareDateTime(required=True)
