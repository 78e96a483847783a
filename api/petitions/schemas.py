import marshmallow as ma

from api.auth.schemas import GridCellRefSchema, PlaceRefSchema, UnitRefSchema
from api.extensions import MOBILE, InputSchema, OutputSchema, Text
from models import PetitionChannel, PetitionKind, PetitionStatus


class PetitionerSchema(InputSchema):
    name = Text(required=True, validate=ma.validate.Length(min=1, max=50))
    phone = ma.fields.String(allow_none=True, validate=MOBILE)
    resident_id = ma.fields.UUID(allow_none=True, metadata={"description": "When in the population base"})


class PetitionCreateSchema(InputSchema):
    channel = ma.fields.Enum(PetitionChannel, by_value=True, required=True)
    received_on = ma.fields.Date(required=True, metadata={"description": "Deadlines count from this date"})
    kind = ma.fields.Enum(PetitionKind, by_value=True, required=True)
    summary = Text(required=True, validate=ma.validate.Length(min=2, max=2000))
    grid_cell_id = ma.fields.UUID(required=True)
    petitioners = ma.fields.List(ma.fields.Nested(PetitionerSchema), required=True,
                                 validate=ma.validate.Length(min=1, max=500),
                                 metadata={"description": "Sealed at rest; five or more make it collective (集体访)"})
    repeat_of_id = ma.fields.UUID(allow_none=True, metadata={"description": "The earlier petition it repeats"})
    matter_id = ma.fields.UUID(allow_none=True)
    accused_user_ids = ma.fields.List(ma.fields.UUID(), load_default=list, validate=ma.validate.Length(max=20),
                                      metadata={"description": "Users it complains about: they never see it"})


class PetitionTransitionSchema(InputSchema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(
        ["accept", "not_accept", "route", "assign", "extend", "reply", "request_review", "review_reply",
         "request_re_review", "re_review_reply", "close"]))
    on = ma.fields.Date(metadata={"description": "The day it happened (default today; never before receipt)"})
    note = Text(allow_none=True, validate=ma.validate.Length(max=2000), metadata={
        "description": "Needed for not_accept, route (to whom), extend (why), reply and the review replies"})
    unit_id = ma.fields.UUID(metadata={"description": "assign"})
    days = ma.fields.Integer(metadata={"description": "extend: at most PETITION_MAX_EXTENSION_DAYS (30)"})
    satisfaction = ma.fields.String(allow_none=True, metadata={
        "description": "close: satisfied, basically_satisfied or dissatisfied"})


class PetitionQueryArgsSchema(InputSchema):
    status = ma.fields.Enum(PetitionStatus, by_value=True)
    kind = ma.fields.Enum(PetitionKind, by_value=True)
    channel = ma.fields.Enum(PetitionChannel, by_value=True)
    grid_cell_id = ma.fields.UUID()
    overdue = ma.fields.Boolean(metadata={"description": "Only those past their running deadline"})


class PetitionSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    grid_cell = ma.fields.Nested(GridCellRefSchema, required=True)
    channel = ma.fields.Enum(PetitionChannel, by_value=True, required=True)
    kind = ma.fields.Enum(PetitionKind, by_value=True, required=True)
    summary = ma.fields.String(required=True)
    received_on = ma.fields.Date(required=True)
    petitioner_count = ma.fields.Integer(required=True)
    collective = ma.fields.Boolean(required=True)
    petitioners = ma.fields.List(ma.fields.Dict(), allow_none=True, metadata={
        "description": "Only for petition staff (never for the unit it is assigned to)"})
    repeat_of_id = ma.fields.UUID(allow_none=True)
    repeats_final = ma.fields.Boolean(required=True, metadata={
        "description": "It repeats a petition answered on re-review: the same facts are not accepted again"})
    matter_id = ma.fields.UUID(allow_none=True)
    status = ma.fields.Enum(PetitionStatus, by_value=True, required=True)
    unit = ma.fields.Nested(UnitRefSchema, allow_none=True)
    accepted_on = ma.fields.Date(allow_none=True)
    extension_days = ma.fields.Integer(required=True)
    replied_on = ma.fields.Date(allow_none=True)
    closed_on = ma.fields.Date(allow_none=True)
    accept_due = ma.fields.Date(required=True)
    reply_due = ma.fields.Date(allow_none=True)
    review_request_due = ma.fields.Date(allow_none=True)
    review_due = ma.fields.Date(allow_none=True)
    re_review_request_due = ma.fields.Date(allow_none=True)
    re_review_due = ma.fields.Date(allow_none=True)
    running_deadline = ma.fields.String(allow_none=True, metadata={"description": "Which due date is running now"})
    days_left = ma.fields.Integer(allow_none=True, metadata={"description": "Of the running deadline; negative: overdue"})
    overdue = ma.fields.Boolean(required=True)
    timeline = ma.fields.List(ma.fields.Dict(), metadata={"description": "Detail only"})
    created_at = ma.fields.AwareDateTime(required=True)


class PetitionStatsArgsSchema(InputSchema):
    level = ma.fields.String(validate=ma.validate.OneOf(["grid_cell", "community", "street"]))


class PetitionStatsSchema(OutputSchema):
    place = ma.fields.Nested(PlaceRefSchema, required=True)
    registered = ma.fields.Integer(required=True)
    open = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True, metadata={"description": "Past the running statutory deadline"})
    collective = ma.fields.Integer(required=True)
    repeats = ma.fields.Integer(required=True)
    closed = ma.fields.Integer(required=True)
    satisfied = ma.fields.Integer(required=True, metadata={"description": "Closed satisfied or basically satisfied"})
    kind_suggestion = ma.fields.Integer(required=True)
    kind_accusation = ma.fields.Integer(required=True)
    kind_claim = ma.fields.Integer(required=True)
    channel_letter = ma.fields.Integer(required=True)
    channel_visit = ma.fields.Integer(required=True)
    channel_online = ma.fields.Integer(required=True)
    channel_phone = ma.fields.Integer(required=True)
