import marshmallow as ma

from api.auth.schemas import GridCellRefSchema, PlaceRefSchema
from api.extensions import MOBILE, InputSchema, OutputSchema, Text
from api.governance.schemas import UserRefSchema
from models import AttentionLevel, DisputeKind, DisputeOutcome, DisputeStatus


class PartySchema(InputSchema):
    name = Text(required=True, validate=ma.validate.Length(min=1, max=50))
    phone = ma.fields.String(allow_none=True, validate=MOBILE)
    resident_id = ma.fields.UUID(allow_none=True, metadata={"description": "When the party is in the population base"})


class DisputeCreateSchema(InputSchema):
    kind = ma.fields.Enum(DisputeKind, by_value=True, required=True)
    summary = Text(required=True, validate=ma.validate.Length(min=2, max=500))
    parties = ma.fields.List(ma.fields.Nested(PartySchema), required=True, validate=ma.validate.Length(min=2, max=50))
    risk_level = ma.fields.Enum(AttentionLevel, by_value=True, required=True)
    grid_cell_id = ma.fields.UUID(metadata={"description": "Needed unless matter_id or visit_id gives the cell"})
    mediator_id = ma.fields.UUID(allow_none=True, metadata={"description": "A user within your area (调解员)"})
    mediation_team = Text(allow_none=True, validate=ma.validate.Length(max=100), metadata={"description": "e.g. 矛盾调解队"})
    matter_id = ma.fields.UUID(allow_none=True, metadata={"description": "The matter it started from"})
    visit_id = ma.fields.UUID(allow_none=True, metadata={"description": "The door-knock visit whose dispute finding it started from"})


class SessionCreateSchema(InputSchema):
    held_on = ma.fields.Date(required=True)
    notes = Text(required=True, validate=ma.validate.Length(min=2, max=2000), metadata={"description": "Sealed at rest"})


class CloseSchema(InputSchema):
    outcome = ma.fields.Enum(DisputeOutcome, by_value=True, required=True)
    note = Text(allow_none=True, validate=ma.validate.Length(max=500))


class DisputeQueryArgsSchema(InputSchema):
    status = ma.fields.Enum(DisputeStatus, by_value=True)
    kind = ma.fields.Enum(DisputeKind, by_value=True)
    risk_level = ma.fields.Enum(AttentionLevel, by_value=True)
    grid_cell_id = ma.fields.UUID()
    mine = ma.fields.Boolean(load_default=False, metadata={"description": "Only those the caller mediates"})


class SessionSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    held_on = ma.fields.Date(required=True)
    mediator = ma.fields.Nested(UserRefSchema, required=True)
    notes = ma.fields.String(required=True)


class DisputeSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    grid_cell = ma.fields.Nested(GridCellRefSchema, required=True)
    kind = ma.fields.Enum(DisputeKind, by_value=True, required=True)
    summary = ma.fields.String(required=True)
    party_count = ma.fields.Integer(required=True)
    parties = ma.fields.List(ma.fields.Dict(), metadata={"description": "Detail only"})
    risk_level = ma.fields.Enum(AttentionLevel, by_value=True, required=True)
    status = ma.fields.Enum(DisputeStatus, by_value=True, required=True)
    mediator = ma.fields.Nested(UserRefSchema, allow_none=True)
    mediation_team = ma.fields.String(allow_none=True)
    matter_id = ma.fields.UUID(allow_none=True)
    visit_id = ma.fields.UUID(allow_none=True)
    outcome = ma.fields.Enum(DisputeOutcome, by_value=True, allow_none=True)
    closing_note = ma.fields.String(allow_none=True)
    closed_at = ma.fields.AwareDateTime(allow_none=True)
    sessions = ma.fields.List(ma.fields.Nested(SessionSchema), metadata={"description": "Detail only"})
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)


class StatsArgsSchema(InputSchema):
    level = ma.fields.String(validate=ma.validate.OneOf(["grid_cell", "community", "street"]))


class StatsSchema(OutputSchema):
    place = ma.fields.Nested(PlaceRefSchema, required=True)
    registered = ma.fields.Integer(required=True)
    open = ma.fields.Integer(required=True)
    closed = ma.fields.Integer(required=True)
    agreements = ma.fields.Integer(required=True)
    success_rate_percent = ma.fields.Float(allow_none=True, metadata={"description": "Agreements ÷ closed"})
