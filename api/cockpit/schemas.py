from datetime import date, timedelta

import marshmallow as ma

from api.auth.schemas import PlaceRefSchema
from api.china_time import today
from api.cockpit.service import MAX_DAYS, MAX_MONTHS
from api.extensions import InputSchema, OutputSchema
from api.i18n import register_messages

PERIOD_ORDER = "The period must not end before it starts."
PERIOD_LENGTH = f"The period may be at most {MAX_DAYS} days long."
MONTHS_LENGTH = f"An assessment may span at most {MAX_MONTHS} months."
MONTH_FORMAT = "A month as YYYY-MM, e.g. 2026-01."
register_messages({PERIOD_ORDER: "结束日期不能早于开始日期。", PERIOD_LENGTH: f"统计期间最长 {MAX_DAYS} 天。",
                   MONTHS_LENGTH: f"考核期间最长 {MAX_MONTHS} 个月。", MONTH_FORMAT: "月份格式为 YYYY-MM，例如 2026-01。"})
MONTH = ma.validate.Regexp(r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", error=MONTH_FORMAT)
DEFAULT_DAYS = 30


class PeriodArgsSchema(InputSchema):
    """A period of China-time days, both ends included; the last 30 days by default."""

    start = ma.fields.Date(data_key="from", metadata={"description": "First day (China time); default 29 days before `to`"})
    end = ma.fields.Date(data_key="to", metadata={"description": "Last day, included; default today (China time)"})

    @ma.post_load
    def _period(self, data, **kwargs):
        end = data.get("end") or today()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if end < start:
            raise ma.ValidationError({"to": [PERIOD_ORDER]})
        if (end - start).days + 1 > MAX_DAYS:
            raise ma.ValidationError({"from": [PERIOD_LENGTH]})
        return {**data, "start": start, "end": end}


class FiguresArgsSchema(PeriodArgsSchema):
    place_id = ma.fields.UUID(metadata={"description": "Only this street, community or cell of your area"})


class AssessmentArgsSchema(InputSchema):
    """Whole months, as assessments (考核) are made: this month (to date) by default."""

    from_month = ma.fields.String(validate=MONTH, metadata={"description": "First month, e.g. 2026-01; default this month"})
    to_month = ma.fields.String(validate=MONTH, metadata={"description": "Last month, included; default this month"})
    level = ma.fields.String(load_default="community", validate=ma.validate.OneOf(["grid_cell", "community", "street"]),
                             metadata={"description": "Rank cells, communities or streets"})

    @ma.post_load
    def _months(self, data, **kwargs):
        this_month = today().replace(day=1)
        first = _month(data.get("from_month")) or this_month
        last = _month(data.get("to_month")) or max(first, this_month)
        if last < first:
            raise ma.ValidationError({"to_month": [PERIOD_ORDER]})
        if (last.year - first.year) * 12 + last.month - first.month + 1 > MAX_MONTHS:
            raise ma.ValidationError({"from_month": [MONTHS_LENGTH]})
        return {"level": data["level"], "first": first, "last": last}


def _month(text: str | None) -> date | None:
    return date(int(text[:4]), int(text[5:]), 1) if text else None


class StageOnTimeSchema(OutputSchema):
    done = ma.fields.Integer(required=True, metadata={"description": "Stages that ended in the period"})
    on_time = ma.fields.Integer(required=True)
    percent = ma.fields.Float(required=True, allow_none=True, metadata={"description": "None when none ended"})


class OnTimeSchema(OutputSchema):
    accept = ma.fields.Nested(StageOnTimeSchema, required=True, metadata={"description": "受理"})
    handle = ma.fields.Nested(StageOnTimeSchema, required=True, metadata={"description": "处置"})
    verify = ma.fields.Nested(StageOnTimeSchema, required=True, metadata={"description": "核查"})


class SatisfactionSchema(OutputSchema):
    satisfied = ma.fields.Integer(required=True)
    basically_satisfied = ma.fields.Integer(required=True)
    dissatisfied = ma.fields.Integer(required=True)
    rated = ma.fields.Integer(required=True)
    percent = ma.fields.Float(required=True, allow_none=True,
                              metadata={"description": "Satisfied or basically satisfied ÷ rated"})


class DaySchema(OutputSchema):
    day = ma.fields.Date(required=True)
    reported = ma.fields.Integer(required=True)
    closed = ma.fields.Integer(required=True)


class CategoryNameSchema(OutputSchema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    name_en = ma.fields.String(required=True)


class CategoryFiguresSchema(OutputSchema):
    category = ma.fields.Nested(CategoryNameSchema, required=True, metadata={"description": "A primary category (大类)"})
    reported = ma.fields.Integer(required=True)
    closed = ma.fields.Integer(required=True)
    average_handling_hours = ma.fields.Float(required=True, allow_none=True)
    satisfaction_percent = ma.fields.Float(required=True, allow_none=True)


class OpenMattersSchema(OutputSchema):
    by_status = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
                               metadata={"description": "Every open status, zeros included"})
    total = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True, metadata={"description": "Past their stage deadline now"})


class MatterFiguresSchema(OutputSchema):
    start = ma.fields.Date(data_key="from", required=True)
    end = ma.fields.Date(data_key="to", required=True)
    reported = ma.fields.Integer(required=True, metadata={"description": "Matters reported in the period"})
    closed = ma.fields.Integer(required=True, metadata={"description": "Closed in the period (merged duplicates apart)"})
    merged = ma.fields.Integer(required=True, metadata={"description": "Closed as duplicates in the period"})
    on_time = ma.fields.Nested(OnTimeSchema, required=True, metadata={
        "description": "Stages that ended in the period and how many within their time limit"})
    average_handling_hours = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": "Report to closing, over the matters closed in the period"})
    satisfaction = ma.fields.Nested(SatisfactionSchema, required=True,
                                    metadata={"description": "Ratings of the matters closed in the period"})
    days = ma.fields.List(ma.fields.Nested(DaySchema), required=True, metadata={"description": "Every day of the period"})
    categories = ma.fields.List(ma.fields.Nested(CategoryFiguresSchema), required=True,
                                metadata={"description": "Primary categories with anything in the period, most reported first"})
    open = ma.fields.Nested(OpenMattersSchema, required=True, metadata={"description": "Open matters now"})


class AssessmentSchema(OutputSchema):
    rank = ma.fields.Integer(required=True)
    place = ma.fields.Nested(PlaceRefSchema, required=True)
    score = ma.fields.Float(required=True, allow_none=True,
                            metadata={"description": "Mean of the four figures that have something to rate"})
    patrol_coverage_percent = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": "巡查覆盖率: cell-days a patrol passed through ÷ (cells × working days)"})
    timely_reporting_percent = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": "上报及时率: door-knock visits that reached the server within 24 hours ÷ visits"})
    satisfaction_percent = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": "满意率: satisfied or basically satisfied ÷ rated, matters closed in the period"})
    mediation_success_percent = ma.fields.Float(required=True, allow_none=True, metadata={
        "description": "调解成功率: agreements ÷ disputes closed in the period"})
