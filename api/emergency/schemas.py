import marshmallow as ma

from api.auth.schemas import GridCellRefSchema, PlaceRefSchema
from api.extensions import InputSchema, OutputSchema, Text
from api.geo.coords import to_wgs84
from api.geo.fields import PointInSchema, PointOutSchema
from models import DispatchStatus, DutyStatus, IncidentKind, IncidentLevel, IncidentStatus, TeamKind

TEAM_KINDS = [k.value for k in TeamKind]


class IncidentCreateSchema(InputSchema):
    title = Text(validate=ma.validate.Length(min=2, max=200), metadata={"description": "Default: the matter's category"})
    description = Text(allow_none=True, validate=ma.validate.Length(max=4000))
    kind = ma.fields.Enum(IncidentKind, by_value=True, metadata={
        "description": "natural_disaster, accident, public_health or public_security (from a matter: by its category)"})
    subtype = ma.fields.String(validate=ma.validate.Length(max=32), metadata={
        "description": "e.g. gas_leak, fire, flood, fight, medical_emergency (default other)"})
    level = ma.fields.Enum(IncidentLevel, by_value=True, required=True, metadata={
        "description": "I (特别重大, red) … IV (一般, blue)"})
    location = ma.fields.Nested(PointInSchema, metadata={"description": "Required unless escalating a matter"})
    address = Text(allow_none=True, validate=ma.validate.Length(max=200))
    teams = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(TEAM_KINDS)),
                           validate=ma.validate.Length(min=1, max=4), metadata={
                               "description": "Team kinds it needs (default by kind)"})
    commander_id = ma.fields.UUID(allow_none=True, metadata={"description": "Default: the caller, if staff"})
    matter_id = ma.fields.UUID(allow_none=True, metadata={"description": "Escalate this matter (linked both ways)"})


class IncidentQueryArgsSchema(InputSchema):
    status = ma.fields.Enum(IncidentStatus, by_value=True)
    level = ma.fields.Enum(IncidentLevel, by_value=True)
    kind = ma.fields.Enum(IncidentKind, by_value=True)
    open = ma.fields.Boolean(data_key="open", attribute="open_only", metadata={"description": "Not closed"})


class IncidentTransitionSchema(InputSchema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(
        ["respond", "contain", "close", "reopen", "regrade", "command"]))
    note = Text(allow_none=True, validate=ma.validate.Length(max=2000), metadata={"description": "reopen needs one"})
    level = ma.fields.Enum(IncidentLevel, by_value=True, metadata={"description": "regrade"})
    commander_id = ma.fields.UUID(metadata={"description": "command"})


class IncidentMessageSchema(InputSchema):
    message = Text(required=True, validate=ma.validate.Length(min=1, max=2000))


class DispatchCreateSchema(InputSchema):
    responder_ids = ma.fields.List(ma.fields.UUID(), required=True, validate=ma.validate.Length(min=1, max=50),
                                   metadata={"description": "User ids from the recommendations"})


class DispatchTransitionSchema(InputSchema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(
        ["acknowledge", "decline", "en_route", "on_scene", "done"]))
    note = Text(allow_none=True, validate=ma.validate.Length(max=500), metadata={"description": "decline needs one"})


class RecommendationArgsSchema(InputSchema):
    limit = ma.fields.Integer(load_default=10, validate=ma.validate.Range(1, 100))
    radius_m = ma.fields.Integer(validate=ma.validate.Range(100, 50_000), metadata={
        "description": "Default INCIDENT_RADIUS_METRES"})


class RecommendationSchema(OutputSchema):
    user_id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    team = ma.fields.String(required=True, metadata={"description": "governance, mediation, patrol or rescue"})
    team_name = ma.fields.String(required=True)
    skills = ma.fields.List(ma.fields.String(), required=True)
    position_at = ma.fields.AwareDateTime(required=True)
    distance_m = ma.fields.Float(required=True, metadata={"description": "On the sphere, metres"})


class DispatchIncidentSchema(OutputSchema):
    number = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    level = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    subtype = ma.fields.String(required=True)
    address = ma.fields.String(allow_none=True)
    lng = ma.fields.Float(required=True)
    lat = ma.fields.Float(required=True)


class DispatchSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    incident_id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in DispatchStatus]), metadata={
        "description": "dispatched, acknowledged, en_route, on_scene, done or declined"})
    responder_id = ma.fields.UUID(required=True)
    responder_name = ma.fields.String(required=True)
    automatic = ma.fields.Boolean(required=True, metadata={"description": "Sent by the worker replacing a late one"})
    distance_m = ma.fields.Float(allow_none=True, metadata={"description": "When dispatched"})
    dispatched_at = ma.fields.AwareDateTime(required=True)
    ack_due_at = ma.fields.AwareDateTime(required=True)
    overdue = ma.fields.Boolean(required=True, metadata={"description": "Not acknowledged in time"})
    incident = ma.fields.Nested(DispatchIncidentSchema)


class IncidentEventSchema(OutputSchema):
    at = ma.fields.AwareDateTime(required=True)
    actor_id = ma.fields.UUID(allow_none=True)
    action = ma.fields.String(required=True)
    message = ma.fields.String(allow_none=True)
    data = ma.fields.Dict(required=True)


class SummarySchema(OutputSchema):
    dispatches = ma.fields.Integer(required=True)
    declined = ma.fields.Integer(required=True)
    not_acknowledged_in_time = ma.fields.Integer(required=True)
    automatic = ma.fields.Integer(required=True)
    seconds_to_first_dispatch = ma.fields.Integer(allow_none=True)
    seconds_to_first_acknowledgement = ma.fields.Integer(allow_none=True)
    seconds_to_first_arrival = ma.fields.Integer(allow_none=True)
    median_seconds_to_acknowledge = ma.fields.Integer(allow_none=True)
    median_seconds_to_arrive = ma.fields.Integer(allow_none=True)
    seconds_to_contain = ma.fields.Integer(allow_none=True)
    seconds_to_close = ma.fields.Integer(allow_none=True)


class IncidentSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    number = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(allow_none=True)
    kind = ma.fields.Enum(IncidentKind, by_value=True, required=True)
    subtype = ma.fields.String(required=True)
    level = ma.fields.Enum(IncidentLevel, by_value=True, required=True)
    colour = ma.fields.String(required=True, metadata={"description": "red (I), orange (II), yellow (III), blue (IV)"})
    status = ma.fields.Enum(IncidentStatus, by_value=True, required=True)
    location = ma.fields.Nested(PointOutSchema, required=True)
    address = ma.fields.String(allow_none=True)
    grid_cell = ma.fields.Nested(GridCellRefSchema, allow_none=True)
    teams = ma.fields.List(ma.fields.String(), required=True)
    commander_id = ma.fields.UUID(allow_none=True)
    matter_id = ma.fields.UUID(allow_none=True)
    opened_at = ma.fields.AwareDateTime(required=True)
    responding_at = ma.fields.AwareDateTime(allow_none=True)
    contained_at = ma.fields.AwareDateTime(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    dispatches = ma.fields.List(ma.fields.Nested(DispatchSchema), metadata={"description": "Detail only"})
    timeline = ma.fields.List(ma.fields.Nested(IncidentEventSchema), metadata={
        "description": "Detail only: the command log"})
    summary = ma.fields.Nested(SummarySchema, metadata={"description": "Detail only: the after-action summary"})


class TeamCreateSchema(InputSchema):
    place_id = ma.fields.UUID(required=True, metadata={"description": "A street or community"})
    kind = ma.fields.Enum(TeamKind, by_value=True, required=True)
    name = Text(required=True, validate=ma.validate.Length(min=2, max=100))


class TeamMemberSchema(InputSchema):
    user_id = ma.fields.UUID(required=True)
    skills = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=32)), load_default=list,
                            validate=ma.validate.Length(max=20), metadata={"description": "e.g. first_aid, swimming"})


class TeamSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    place = ma.fields.Nested(PlaceRefSchema, required=True)
    kind = ma.fields.Enum(TeamKind, by_value=True, required=True)
    name = ma.fields.String(required=True)
    members = ma.fields.Integer(required=True)
    on_duty = ma.fields.Integer(required=True)


class ResponderSchema(OutputSchema):
    user_id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    team_id = ma.fields.UUID(required=True)
    team = ma.fields.String(required=True)
    skills = ma.fields.List(ma.fields.String(), required=True)
    duty_status = ma.fields.Enum(DutyStatus, by_value=True, required=True)
    position = ma.fields.Nested(PointOutSchema, allow_none=True)
    position_at = ma.fields.AwareDateTime(allow_none=True)
    accuracy_m = ma.fields.Float(allow_none=True)


class ResponderQueryArgsSchema(InputSchema):
    team_id = ma.fields.UUID()
    duty_status = ma.fields.Enum(DutyStatus, by_value=True)


class PositionSchema(PointInSchema):
    at = ma.fields.AwareDateTime(metadata={"description": "The fix's time (default now)"})
    accuracy_m = ma.fields.Float(allow_none=True, validate=ma.validate.Range(0, 10_000))

    @ma.post_load
    def to_wgs84(self, data, **kwargs):
        lng, lat = to_wgs84(data["lng"], data["lat"], data["coord_system"])
        return {"lng": lng, "lat": lat, "at": data.get("at"), "accuracy_m": data.get("accuracy_m")}


class DutySchema(InputSchema):
    duty_status = ma.fields.Enum(DutyStatus, by_value=True, required=True,
                                 validate=ma.validate.OneOf([DutyStatus.on_duty, DutyStatus.off_duty]), metadata={
                                     "description": "on_duty or off_duty (busy comes with a dispatch)"})


class TrackArgsSchema(InputSchema):
    since = ma.fields.AwareDateTime(metadata={"description": "Default: the last hour"})


class ResponderTrackPointSchema(OutputSchema):
    at = ma.fields.AwareDateTime(required=True)
    lng = ma.fields.Float(required=True)
    lat = ma.fields.Float(required=True)
    accuracy_m = ma.fields.Float(allow_none=True)


class MyDispatchArgsSchema(InputSchema):
    active = ma.fields.Boolean(metadata={"description": "Only those not done or declined"})
