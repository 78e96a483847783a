from datetime import date

import marshmallow as ma

from api.auth.schemas import GridCellRefSchema, PlaceRefSchema
from api.extensions import MOBILE, InputSchema, OutputSchema, Text
from api.geo.fields import PointInSchema, PointOutSchema
from api.i18n import register_messages
from models import FollowUpAssessment, ResidentKind, VisitResult

WEEK_FORMAT = "An ISO week such as 2026-W48, of a year from 2000 to 2099 that has that week."
register_messages({WEEK_FORMAT: "须为 ISO 周，如 2026-W48（2000 至 2099 年间该年确有的周）。"})


def _week_exists(value: str) -> None:
    """An ISO week the calendar has: 2026-W53 is refused, 2020-W53 (a 53-week year) is not."""
    try:  # marshmallow runs this even when the shape was refused: anything unparsable is refused too
        year, number = value.split("-W")
        date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise ma.ValidationError(WEEK_FORMAT) from None


# The shape first (it is also the pattern the OpenAPI document shows), then the calendar.
WEEK = [ma.validate.Regexp(r"^20[0-9]{2}-W(0[1-9]|[1-4][0-9]|5[0-3])$", error=WEEK_FORMAT), _week_exists]


FINDING_TAGS = ("hazard", "dispute", "needs_help", "information_change", "other")
MAX_BATCH = 500


class FindingSchema(InputSchema):
    tag = ma.fields.String(required=True, validate=ma.validate.OneOf(FINDING_TAGS))
    needs_action = ma.fields.Boolean(load_default=False)
    note = Text(allow_none=True, validate=ma.validate.Length(max=500))


class RosterChangeSchema(InputSchema):
    """One change to the household's roster seen on the visit."""

    change = ma.fields.String(required=True, validate=ma.validate.OneOf(["moved_in", "moved_out", "phone_changed"]))
    resident_id = ma.fields.UUID(allow_none=True, metadata={"description": "moved_out, phone_changed"})
    name = Text(allow_none=True, validate=ma.validate.Length(min=1, max=50), metadata={"description": "moved_in"})
    kind = ma.fields.Enum(ResidentKind, by_value=True, allow_none=True, metadata={"description": "moved_in"})
    phone = ma.fields.String(allow_none=True, validate=MOBILE)


class FollowUpItemSchema(InputSchema):
    """A follow-up of a key person or care target living in the visited household."""

    person_id = ma.fields.UUID(required=True, metadata={"description": "A key person or care target"})
    assessment = ma.fields.Enum(FollowUpAssessment, by_value=True, required=True)
    observations = Text(allow_none=True, validate=ma.validate.Length(max=1000),
                        metadata={"description": "Sealed at rest; shown only to those who may see the details"})


class VisitItemSchema(InputSchema):
    id = ma.fields.UUID(required=True, metadata={"description": "Made by the phone"})
    household_id = ma.fields.UUID(required=True)
    visited_at = ma.fields.AwareDateTime(required=True)
    location = ma.fields.Nested(PointInSchema, allow_none=True)
    result = ma.fields.Enum(VisitResult, by_value=True, required=True)
    findings = ma.fields.List(ma.fields.Nested(FindingSchema), load_default=list, validate=ma.validate.Length(max=20))
    notes = Text(allow_none=True, validate=ma.validate.Length(max=2000))
    roster_changes = ma.fields.List(ma.fields.Nested(RosterChangeSchema), load_default=list,
                                    validate=ma.validate.Length(max=20))
    photo_ids = ma.fields.List(ma.fields.UUID(), load_default=list, validate=ma.validate.Length(max=9),
                               metadata={"description": "Photos uploaded first with POST /api/v1/photos"})
    follow_ups = ma.fields.List(ma.fields.Nested(FollowUpItemSchema), load_default=list,
                                validate=ma.validate.Length(max=10))
    version = ma.fields.Integer(allow_none=True, metadata={"description": "The server version this edit starts from"})

    @ma.post_load
    def _findings_as_dicts(self, data, **kwargs):
        data["findings"] = [dict(f) for f in data.get("findings") or []]
        data["follow_ups"] = [{"person_id": str(f["person_id"]), "assessment": f["assessment"].value,
                               "observations": f.get("observations")} for f in data.get("follow_ups") or []]
        data["roster_changes"] = [{k: (str(v) if k in ("resident_id", "kind") and v is not None else v)
                                   for k, v in change.items()} for change in data.get("roster_changes") or []]
        return data


class SyncSchema(InputSchema):
    visits = ma.fields.List(ma.fields.Raw(), required=True, validate=ma.validate.Length(min=1),
                            metadata={"maxItems": MAX_BATCH, "description": f"At most {MAX_BATCH} visits (413 above)"})


class SyncResultSchema(OutputSchema):
    id = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, metadata={"description": "created, updated, unchanged or rejected"})
    version = ma.fields.Integer(metadata={"description": "The server's version of the visit now"})
    reason = ma.fields.String(metadata={"description": "Why it was rejected"})


class SyncAnswerSchema(OutputSchema):
    results = ma.fields.List(ma.fields.Nested(SyncResultSchema), required=True)


class VisitQueryArgsSchema(InputSchema):
    week = ma.fields.String(validate=WEEK)
    household_id = ma.fields.UUID()
    mine = ma.fields.Boolean(load_default=False)


class VisitSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    household_id = ma.fields.UUID(required=True)
    grid_cell_id = ma.fields.UUID(required=True)
    visitor_id = ma.fields.UUID(required=True)
    visited_at = ma.fields.AwareDateTime(required=True)
    week = ma.fields.String(required=True)
    location = ma.fields.Nested(PointOutSchema, allow_none=True)
    far_from_household = ma.fields.Boolean(required=True, metadata={
        "description": "Recorded farther than VISIT_FAR_METRES (200 m) from the building"})
    result = ma.fields.Enum(VisitResult, by_value=True, required=True)
    findings = ma.fields.List(ma.fields.Dict(), required=True)
    notes = ma.fields.String(allow_none=True)
    roster_changes = ma.fields.List(ma.fields.Dict(), required=True)
    photo_ids = ma.fields.List(ma.fields.UUID(), required=True)
    version = ma.fields.Integer(required=True)


class VisitCoverageArgsSchema(InputSchema):
    week = ma.fields.String(required=True, validate=WEEK)
    level = ma.fields.String(validate=ma.validate.OneOf(["grid_cell", "community", "street"]),
                             metadata={"description": "Only cells, communities or streets"})


class VisitCoverageSchema(OutputSchema):
    place = ma.fields.Nested(PlaceRefSchema, required=True, metadata={"description": "A grid cell, community or street"})
    households = ma.fields.Integer(required=True)
    visited = ma.fields.Integer(required=True, metadata={"description": "Households visited that week"})
    coverage_percent = ma.fields.Float(required=True)
    target_percent = ma.fields.Float(required=True)
    meets_target = ma.fields.Boolean(required=True)


class PlanArgsSchema(InputSchema):
    week = ma.fields.String(required=True, validate=WEEK)
    grid_cell_id = ma.fields.UUID()


class UnvisitedArgsSchema(InputSchema):
    weeks = ma.fields.Integer(load_default=4, validate=ma.validate.Range(1, 52),
                              metadata={"description": "Not visited for at least this many weeks"})
    grid_cell_id = ma.fields.UUID()


class HouseholdVisitSchema(OutputSchema):
    household_id = ma.fields.UUID(required=True)
    address = ma.fields.String(required=True)
    grid_cell = ma.fields.Nested(GridCellRefSchema, required=True)
    members = ma.fields.Integer(required=True)
    weekly_follow_up = ma.fields.Boolean(required=True)
    follow_up_reason = ma.fields.String(allow_none=True)
    last_visited_at = ma.fields.AwareDateTime(allow_none=True)
    weeks_since_visit = ma.fields.Integer(allow_none=True, metadata={"description": "Whole weeks; null: never visited"})


class PlanItemSchema(HouseholdVisitSchema):
    follow_up_due = ma.fields.Boolean(required=True, metadata={
        "description": "Someone here (a key person or care target) is due a follow-up by the end of the week"})
    visited = ma.fields.Boolean(required=True, metadata={"description": "Visited in this week"})
    visited_at = ma.fields.AwareDateTime(allow_none=True)
    due = ma.fields.Boolean(required=True)
