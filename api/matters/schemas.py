import marshmallow as ma

from api.auth.schemas import GridCellRefSchema, PlaceRefSchema, UnitRefSchema
from api.extensions import InputSchema, OutputSchema, Text
from api.geo.coords import CoordSystem
from api.geo.fields import PointInSchema, PointOutSchema
from api.grids.schemas import MapArgsSchema
from api.matters.workflow import TRANSITIONS
from models import IncidentKind, IncidentLevel, MatterLevel, MatterSource, MatterStatus, Rating

HOURS = ma.validate.Range(1, 24 * 365)


class CategorySchema(OutputSchema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)
    parent = ma.fields.Function(lambda c: c.parent.code if c.parent else None, allow_none=True,
                                metadata={"description": "The primary category's code; null for a primary"})
    level = ma.fields.Function(lambda c: "secondary" if c.parent_id else "primary", required=True)
    accept_hours = ma.fields.Function(lambda c: c.limit("accept"), required=True,
                                      metadata={"description": "Hours to accept (受理); a secondary inherits its primary's"})
    handle_hours = ma.fields.Function(lambda c: c.limit("handle"), required=True)
    verify_hours = ma.fields.Function(lambda c: c.limit("verify"), required=True)
    default_unit = ma.fields.Function(lambda c: {"id": str(c.default_unit.id), "name": c.default_unit.name}
                                      if c.default_unit else None, allow_none=True)
    photo_required = ma.fields.Boolean(required=True)
    is_active = ma.fields.Boolean(required=True)
    sort_order = ma.fields.Integer(required=True)


class CategoryQueryArgsSchema(InputSchema):
    include_inactive = ma.fields.Boolean(load_default=False)


class CategoryUpdateSchema(InputSchema):
    name = Text(validate=ma.validate.Length(min=1, max=50))
    name_en = Text(validate=ma.validate.Length(min=1, max=80))
    accept_hours = ma.fields.Integer(allow_none=True, validate=HOURS)
    handle_hours = ma.fields.Integer(allow_none=True, validate=HOURS)
    verify_hours = ma.fields.Integer(allow_none=True, validate=HOURS)
    default_unit_id = ma.fields.UUID(allow_none=True)
    photo_required = ma.fields.Boolean()
    is_active = ma.fields.Boolean()
    sort_order = ma.fields.Integer(validate=ma.validate.Range(0, 100000))


class CategoryCreateSchema(CategoryUpdateSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Z][A-Z0-9_-]{1,19}$"))
    parent = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20),
                              metadata={"description": "Code of the primary category"})
    name = Text(required=True, validate=ma.validate.Length(min=1, max=50))
    name_en = Text(required=True, validate=ma.validate.Length(min=1, max=80))


class MatterCreateSchema(InputSchema):
    category = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20),
                                metadata={"description": "A secondary category's code"})
    description = Text(required=True, validate=ma.validate.Length(min=1, max=2000))
    location = ma.fields.Nested(PointInSchema, required=True)
    address = Text(allow_none=True, validate=ma.validate.Length(max=200))
    anonymous = ma.fields.Boolean(load_default=False,
                                  metadata={"description": "Hide the reporter's name from everyone but staff"})
    photo_ids = ma.fields.List(ma.fields.UUID(), load_default=list, validate=ma.validate.Length(max=9),
                               metadata={"description": "Photos uploaded first with POST /api/v1/photos"})
    source = ma.fields.Enum(MatterSource, by_value=True,
                            metadata={"description": "app (default); staff may enter console and hotline_12345 reports"})


class MatterQueryArgsSchema(InputSchema):
    status = ma.fields.Enum(MatterStatus, by_value=True)
    open = ma.fields.Boolean(metadata={"description": "true: not yet closed or rejected; false: closed or rejected"})
    source = ma.fields.Enum(MatterSource, by_value=True, metadata={"description": "e.g. door_knock findings"})
    category = ma.fields.String(validate=ma.validate.Length(min=1, max=20),
                                metadata={"description": "A category code; a primary includes its secondaries"})
    grid_cell_id = ma.fields.UUID()
    mine = ma.fields.Boolean(load_default=False, metadata={"description": "Only the matters I reported"})
    needs_placement = ma.fields.Boolean(metadata={"description": "Matters outside every cell"})
    level = ma.fields.Enum(MatterLevel, by_value=True, metadata={"description": "Who owns it now (for each level's desk)"})
    supervised = ma.fields.Boolean(metadata={"description": "督办 by a leader"})
    deadline_colour = ma.fields.String(validate=ma.validate.OneOf(["green", "yellow", "red"]),
                                       metadata={"description": "red: overdue; yellow: in the last quarter of its stage"})
    community_id = ma.fields.UUID()
    created_from = ma.fields.AwareDateTime()
    created_to = ma.fields.AwareDateTime()
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=50), metadata={"description": "Text in the description or address"})
    number = ma.fields.Integer(validate=ma.validate.Range(1, 2**63 - 1), metadata={"description": "The matter's number"})


class CategoryRefSchema(OutputSchema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class ReporterSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    display_name = ma.fields.String(required=True)


class MatterSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    number = ma.fields.Integer(required=True, metadata={"description": "Case number for people"})
    category = ma.fields.Nested(CategoryRefSchema, required=True)
    description = ma.fields.String(required=True)
    address = ma.fields.String(allow_none=True)
    location = ma.fields.Nested(PointOutSchema, required=True, metadata={"description": "WGS-84"})
    grid_cell = ma.fields.Nested(GridCellRefSchema, allow_none=True)
    needs_placement = ma.fields.Boolean(required=True, metadata={"description": "No cell covers the point"})
    source = ma.fields.Enum(MatterSource, by_value=True, required=True)
    status = ma.fields.Enum(MatterStatus, by_value=True, required=True)
    anonymous = ma.fields.Boolean(required=True)
    reporter = ma.fields.Nested(ReporterSchema, allow_none=True,
                                metadata={"description": "Null for anonymous matters, except for staff and the reporter"})
    level = ma.fields.Enum(MatterLevel, by_value=True, required=True,
                           metadata={"description": "Who owns it now: grid, community, street, district"})
    unit = ma.fields.Nested(UnitRefSchema, allow_none=True, metadata={"description": "Dispatched to this unit"})
    assignee = ma.fields.Nested(ReporterSchema, allow_none=True, metadata={"description": "Dispatched to this person"})
    rating = ma.fields.Enum(Rating, by_value=True, allow_none=True)
    reopen_count = ma.fields.Integer(required=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    photos = ma.fields.List(ma.fields.Dict(), metadata={"description": "Detail only: [{id, purpose}]"})
    incident_id = ma.fields.UUID(allow_none=True, metadata={"description": "The incident it was escalated to"})
    actions = ma.fields.List(ma.fields.String(), metadata={
        "description": "One matter only: the steps you may take now (what a screen should offer)"})
    merged_into = ma.fields.UUID(allow_none=True, metadata={"description": "The original, when merged as a duplicate"})
    supervised = ma.fields.Boolean(required=True, metadata={"description": "督办"})
    urge_count = ma.fields.Integer(required=True, metadata={"description": "催办 so far"})
    deadline = ma.fields.AwareDateTime(allow_none=True, metadata={"description": "When the current stage is due"})
    deadline_colour = ma.fields.String(allow_none=True, metadata={"description": "green / yellow / red (红黄牌)"})
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)


class TransitionSchema(InputSchema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(sorted(TRANSITIONS)))
    note = Text(allow_none=True, validate=ma.validate.Length(max=1000),
                metadata={"description": "Reason or feedback; required by reject, return, handle, rework, escalate, "
                          "resolve_on_spot and reopen (the reporter sees a rejection's reason)"})
    unit_id = ma.fields.UUID(allow_none=True, metadata={"description": "dispatch: to a handling unit"})
    assignee_id = ma.fields.UUID(allow_none=True, metadata={"description": "dispatch: to a grid member or responder"})
    rating = ma.fields.Enum(Rating, by_value=True, allow_none=True, metadata={"description": "rate"})
    into_id = ma.fields.UUID(allow_none=True, metadata={"description": "merge: the original this duplicates"})
    grid_cell_id = ma.fields.UUID(allow_none=True, metadata={"description": "place: the cell of a matter outside every cell"})
    photo_ids = ma.fields.List(ma.fields.UUID(), load_default=list, validate=ma.validate.Length(max=9),
                               metadata={"description": "handle / resolve_on_spot: photos of the result"})
    level = ma.fields.Enum(IncidentLevel, by_value=True, allow_none=True, metadata={
        "description": "escalate: make it an incident (突发事件) of this level, I (highest) to IV"})
    kind = ma.fields.Enum(IncidentKind, by_value=True, allow_none=True, metadata={
        "description": "escalate with level: the incident's kind (default by category)"})
    subtype = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=32), metadata={
        "description": "escalate with level: the incident's subtype"})


class NearbyArgsSchema(InputSchema):
    category = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20))
    lng = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    lat = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-90, 90))
    coord_system = ma.fields.Enum(CoordSystem, by_value=True, load_default=CoordSystem.wgs84)
    radius_m = ma.fields.Integer(load_default=250, validate=ma.validate.Range(10, 1000))


class NearbySchema(OutputSchema):
    id = ma.fields.UUID(allow_none=True, metadata={"description": "Only for matters within your scope"})
    number = ma.fields.Integer(allow_none=True)
    category = ma.fields.Nested(CategoryRefSchema, required=True)
    status = ma.fields.Enum(MatterStatus, by_value=True, required=True)
    distance_m = ma.fields.Float(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    description = ma.fields.String(allow_none=True, metadata={"description": "Staff only"})


class TimelineEntrySchema(OutputSchema):
    id = ma.fields.Integer(required=True)
    at = ma.fields.AwareDateTime(required=True)
    action = ma.fields.String(required=True)
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(required=True)
    actor_role = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True)
    data = ma.fields.Dict(allow_none=True)


class MatterStatsArgsSchema(InputSchema):
    level = ma.fields.String(validate=ma.validate.OneOf(["grid_cell", "community", "street"]))


class MatterStatsSchema(OutputSchema):
    place = ma.fields.Nested(PlaceRefSchema, required=True)
    open = ma.fields.Integer(required=True, metadata={"description": "Not closed or rejected"})
    overdue = ma.fields.Integer(required=True, metadata={"description": "Open and past the stage deadline"})
    to_accept = ma.fields.Integer(required=True, metadata={"description": "Submitted, not yet accepted"})
    closed = ma.fields.Integer(required=True)


def _open_status() -> ma.fields.Enum:
    return ma.fields.Enum(MatterStatus, by_value=True, metadata={"description": "One open status only"},
                          validate=ma.validate.OneOf([s for s in MatterStatus
                                                      if s not in (MatterStatus.closed, MatterStatus.rejected)]))


class MapMattersArgsSchema(MapArgsSchema):
    status = _open_status()


class MatterTileArgsSchema(InputSchema):
    status = _open_status()


class MapMattersSchema(OutputSchema):
    type = ma.fields.String(required=True)
    features = ma.fields.List(ma.fields.Dict(), required=True)
    truncated = ma.fields.Boolean(required=True, metadata={"description": "The box held more than the 5,000 sent"})
