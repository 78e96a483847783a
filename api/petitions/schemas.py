import marshmallow as ma

from api.auth.schemas import GridCellRefSchema, PlaceRefSchema, UnitRefSchema
from api.extensions import MOBILE, InputSchema, OutputSchema, Text
from models import LEVELS_UP, PetitionChannel, PetitionKind, PetitionStatus


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
    photo_ids = ma.fields.List(ma.fields.UUID(), load_default=list, validate=ma.validate.Length(max=20), metadata={
        "description": "Attachments: your own uploads from POST /api/v1/photos (petition staff only see them)"})
    went_up_to = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(LEVELS_UP), metadata={
        "description": "It reached us from a higher level the petitioner went to first (上级交办): that level"})
    went_up_on = ma.fields.Date(allow_none=True, metadata={"description": "When it went up (default received_on)"})


class PetitionTransitionSchema(InputSchema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(
        ["accept", "not_accept", "route", "assign", "extend", "reply", "request_review", "review_reply",
         "request_re_review", "re_review_reply", "close", "went_up", "link_repeat"]))
    on = ma.fields.Date(metadata={"description": "The day it happened (default today; never before receipt)"})
    note = Text(allow_none=True, validate=ma.validate.Length(max=2000), metadata={
        "description": "Needed for not_accept (why), extend (why), reply and the review replies"})
    reason = Text(allow_none=True, validate=ma.validate.Length(max=2000), metadata={
        "description": "The same as note (extend: the reason the petitioner is told)"})
    routed_to = Text(allow_none=True, validate=ma.validate.Length(max=200), metadata={
        "description": "route: the body it is routed to (e.g. 区人民法院)"})
    level = ma.fields.String(validate=ma.validate.OneOf(LEVELS_UP), metadata={
        "description": "went_up: the level the petitioner took it to"})
    repeat_of_id = ma.fields.UUID(metadata={"description": "link_repeat: the earlier petition it repeats"})
    unit_id = ma.fields.UUID(metadata={"description": "assign"})
    days = ma.fields.Integer(metadata={"description": "extend: at most PETITION_MAX_EXTENSION_DAYS (30)"})
    satisfaction = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=30), metadata={
        "description": "close: satisfied, basically_satisfied or dissatisfied"})


class PetitionQueryArgsSchema(InputSchema):
    status = ma.fields.Enum(PetitionStatus, by_value=True)
    kind = ma.fields.Enum(PetitionKind, by_value=True)
    channel = ma.fields.Enum(PetitionChannel, by_value=True)
    grid_cell_id = ma.fields.UUID()
    overdue = ma.fields.Boolean(metadata={"description": "Only those past their running deadline"})


class PetitionEventSchema(OutputSchema):
    at = ma.fields.AwareDateTime(required=True)
    action = ma.fields.String(required=True)
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(required=True)
    data = ma.fields.Dict(required=True, metadata={"description": "The step's note, unit, days, level…"})


class PossibleRepeatSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    received_on = ma.fields.Date(required=True)
    summary = ma.fields.String(required=True)
    answered_on_re_review = ma.fields.Boolean(required=True, metadata={
        "description": "Answered on re-review (复核), itself or up its chain: the same facts are not accepted again"})


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
    decision = ma.fields.String(allow_none=True, metadata={
        "description": "The 15-day decision: accepted, not_accepted or routed (kept after closing)"})
    decided_on = ma.fields.Date(allow_none=True)
    routed_to = ma.fields.String(allow_none=True)
    went_up_to = ma.fields.String(allow_none=True, metadata={
        "description": "The highest level above the community the petitioner took it to (越级; 三零 counts these)"})
    went_up_on = ma.fields.Date(allow_none=True)
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
    photo_ids = ma.fields.List(ma.fields.UUID(), metadata={"description": "Detail, petition staff only"})
    possible_repeats = ma.fields.List(ma.fields.Nested(PossibleRepeatSchema), metadata={
        "description": "Detail, petition staff only: earlier petitions within scope naming the same petitioner "
                       "(phone or population-base person), with whether each was answered on re-review"})
    repeat_warning = ma.fields.String(allow_none=True, metadata={
        "description": "Detail, petition staff only: said when it may repeat an earlier petition, and that the same "
                       "facts are not accepted again when that one was answered on re-review"})
    timeline = ma.fields.List(ma.fields.Nested(PetitionEventSchema), metadata={"description": "Detail only"})
    created_at = ma.fields.AwareDateTime(required=True)


class PetitionStatsArgsSchema(InputSchema):
    level = ma.fields.String(validate=ma.validate.OneOf(["grid_cell", "community", "street"]))
    received_from = ma.fields.Date(metadata={"description": "Only petitions received on or after (e.g. a year's 三零)"})
    received_to = ma.fields.Date(metadata={"description": "Only petitions received on or before"})


class PetitionStatsSchema(OutputSchema):
    place = ma.fields.Nested(PlaceRefSchema, required=True)
    registered = ma.fields.Integer(required=True)
    open = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True, metadata={"description": "Past the running statutory deadline"})
    collective = ma.fields.Integer(required=True)
    repeats = ma.fields.Integer(required=True)
    closed = ma.fields.Integer(required=True)
    satisfied = ma.fields.Integer(required=True, metadata={"description": "Closed satisfied or basically satisfied"})
    dissatisfied = ma.fields.Integer(required=True)
    accepted = ma.fields.Integer(required=True, metadata={"description": "Decided: accepted"})
    not_accepted = ma.fields.Integer(required=True, metadata={"description": "Decided: not accepted"})
    routed = ma.fields.Integer(required=True, metadata={"description": "Decided: routed to another body"})
    replied = ma.fields.Integer(required=True, metadata={"description": "Answered in writing"})
    reviewed = ma.fields.Integer(required=True, metadata={"description": "Review (复查) answered"})
    re_reviewed = ma.fields.Integer(required=True, metadata={"description": "Re-review (复核) answered"})
    went_up = ma.fields.Integer(required=True, metadata={
        "description": "Went up a level (越级); 三零 is this figure being zero"})
    zero_went_up = ma.fields.Boolean(required=True, metadata={"description": "三零's first zero: none went up"})
    kind_suggestion = ma.fields.Integer(required=True)
    kind_accusation = ma.fields.Integer(required=True)
    kind_claim = ma.fields.Integer(required=True)
    channel_letter = ma.fields.Integer(required=True)
    channel_visit = ma.fields.Integer(required=True)
    channel_online = ma.fields.Integer(required=True)
    channel_phone = ma.fields.Integer(required=True)
