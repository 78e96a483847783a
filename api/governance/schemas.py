"""Key persons (重点人员) and care targets (关爱对象): requests, answers, and the category details."""

import marshmallow as ma

from api.auth.schemas import GridCellRefSchema, PlaceRefSchema
from api.extensions import MOBILE, InputSchema, OutputSchema, Text
from models import AttentionLevel, CareCategory, FollowedStatus, Gender, KeyPersonCategory

# --- category details, sealed at rest -------------------------------------------------------------

_COMMON = {
    "next_review_on": ma.fields.Date(metadata={"description": "Next review of the assessment (复核)"}),
    "notes": Text(validate=ma.validate.Length(max=500)),
}
_GUARDIAN = {"guardian_name": Text(validate=ma.validate.Length(max=50)), "guardian_phone": ma.fields.String(validate=MOBILE)}
_LEVEL = ma.validate.OneOf(["low", "medium", "high"])


def _details(name: str, fields: dict) -> type[InputSchema]:
    return InputSchema.from_dict({**_COMMON, **fields}, name=name)


KEY_PERSON_DETAILS = {
    KeyPersonCategory.released_prisoner: _details("ReleasedPrisonerDetails", {
        "release_date": ma.fields.Date(), "offence": Text(validate=ma.validate.Length(max=100)),
        "sentence": Text(validate=ma.validate.Length(max=100)), "risk_assessment": ma.fields.String(validate=_LEVEL),
        "resettlement": Text(validate=ma.validate.Length(max=200), metadata={"description": "安置帮教"})}),
    KeyPersonCategory.community_correction: _details("CommunityCorrectionDetails", {
        "correction_type": ma.fields.String(validate=ma.validate.OneOf(
            ["probation", "parole", "supervision", "temporary_service"])),
        "correction_start": ma.fields.Date(), "correction_end": ma.fields.Date(),
        "supervising_office": Text(validate=ma.validate.Length(max=100), metadata={"description": "司法所"})}),
    KeyPersonCategory.severe_mental_disorder: _details("SevereMentalDisorderDetails", {
        "diagnosis": Text(validate=ma.validate.Length(max=100)),
        "risk_grade": ma.fields.Integer(validate=ma.validate.Range(0, 5), metadata={"description": "0–5"}),
        "on_medication": ma.fields.Boolean(), **_GUARDIAN}),
    KeyPersonCategory.drug_user: _details("DrugUserDetails", {
        "measure": ma.fields.String(validate=ma.validate.OneOf(["community_rehab", "community_detox", "other"])),
        "measure_start": ma.fields.Date(), "measure_end": ma.fields.Date()}),
    KeyPersonCategory.aids_risk: _details("AidsRiskDetails", {}),
    KeyPersonCategory.at_risk_youth: _details("AtRiskYouthDetails", {
        "youth_type": ma.fields.String(validate=ma.validate.OneOf(
            ["dropout", "idle", "unsupervised", "delinquent", "other"])), **_GUARDIAN}),
    KeyPersonCategory.key_petitioner: _details("KeyPetitionerDetails", {
        "petition_subject": Text(validate=ma.validate.Length(max=200)), "last_petition_on": ma.fields.Date()}),
}
CARE_TARGET_DETAILS = {
    CareCategory.elderly_alone: _details("ElderlyAloneDetails", {
        "health_note": Text(validate=ma.validate.Length(max=200)),
        "children_contact": Text(validate=ma.validate.Length(max=100))}),
    CareCategory.left_behind_child: _details("LeftBehindChildDetails", {
        "parents_working_in": Text(validate=ma.validate.Length(max=100)),
        "school": Text(validate=ma.validate.Length(max=100)), **_GUARDIAN}),
    CareCategory.disabled: _details("DisabledDetails", {
        "disability_type": Text(validate=ma.validate.Length(max=50)),
        "disability_grade": ma.fields.Integer(validate=ma.validate.Range(1, 4))}),
    CareCategory.low_income: _details("LowIncomeDetails", {
        "allowance_type": Text(validate=ma.validate.Length(max=50))}),
}


# --- requests ------------------------------------------------------------------------------------

class _FollowedCreateSchema(InputSchema):
    resident_id = ma.fields.UUID(metadata={"description": "A resident of the population base; or id_number"})
    id_number = ma.fields.String(validate=ma.validate.Length(min=1, max=30),
                                 metadata={"description": "Finds the resident by identity number instead"})
    attention_level = ma.fields.Enum(AttentionLevel, by_value=True, required=True)
    follow_up_days = ma.fields.Integer(validate=ma.validate.Range(1, 366), metadata={
        "description": "Days between follow-ups; default from the attention level (FOLLOW_UP_DAYS_*)"})
    next_follow_up_on = ma.fields.Date(metadata={"description": "Default: today + follow_up_days"})
    responsible_user_id = ma.fields.UUID(allow_none=True, metadata={
        "description": "A grid member of the resident's cell; default: the cell's grid member"})
    details = ma.fields.Dict(load_default=dict, metadata={"description": "Category-specific fields (sealed at rest)"})


class KeyPersonCreateSchema(_FollowedCreateSchema):
    category = ma.fields.Enum(KeyPersonCategory, by_value=True, required=True)


class CareTargetCreateSchema(_FollowedCreateSchema):
    category = ma.fields.Enum(CareCategory, by_value=True, required=True)


class FollowedUpdateSchema(InputSchema):
    attention_level = ma.fields.Enum(AttentionLevel, by_value=True)
    follow_up_days = ma.fields.Integer(validate=ma.validate.Range(1, 366))
    next_follow_up_on = ma.fields.Date()
    responsible_user_id = ma.fields.UUID(allow_none=True)
    details = ma.fields.Dict(metadata={"description": "Replaces the category details"})
    status = ma.fields.Enum(FollowedStatus, by_value=True, metadata={"description": "closed: the reason has ended"})
    close_reason = Text(validate=ma.validate.Length(min=2, max=200), metadata={"description": "Needed to close"})


class FollowedQueryArgsSchema(InputSchema):
    grid_cell_id = ma.fields.UUID()
    category = ma.fields.String(validate=ma.validate.Length(min=1, max=50))
    attention_level = ma.fields.Enum(AttentionLevel, by_value=True)
    status = ma.fields.Enum(FollowedStatus, by_value=True, load_default=FollowedStatus.active)
    overdue = ma.fields.Boolean(metadata={"description": "Only those whose follow-up is past due"})
    mine = ma.fields.Boolean(load_default=False, metadata={"description": "Only those the caller is responsible for"})


# --- answers -------------------------------------------------------------------------------------

class PersonRefSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    gender = ma.fields.Enum(Gender, by_value=True, allow_none=True)
    age = ma.fields.Integer(allow_none=True)
    id_number_masked = ma.fields.String(allow_none=True)


class UserRefSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    display_name = ma.fields.String(required=True)


class FollowedPersonSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    resident = ma.fields.Nested(PersonRefSchema, required=True)
    grid_cell = ma.fields.Nested(GridCellRefSchema, required=True)
    category = ma.fields.String(required=True)
    attention_level = ma.fields.Enum(AttentionLevel, by_value=True, required=True)
    follow_up_days = ma.fields.Integer(required=True)
    next_follow_up_on = ma.fields.Date(required=True)
    overdue = ma.fields.Boolean(required=True)
    last_follow_up_at = ma.fields.AwareDateTime(allow_none=True)
    responsible = ma.fields.Nested(UserRefSchema, allow_none=True)
    status = ma.fields.Enum(FollowedStatus, by_value=True, required=True)
    opened_on = ma.fields.Date(required=True)
    closed_on = ma.fields.Date(allow_none=True)
    close_reason = ma.fields.String(allow_none=True)
    details = ma.fields.Dict(allow_none=True, metadata={
        "description": "Category details; null for callers who may not see them (details_visible false)"})
    details_visible = ma.fields.Boolean(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)


class AlertArgsSchema(InputSchema):
    level = ma.fields.String(validate=ma.validate.OneOf(["grid_cell", "community", "street"]))


class AlertSchema(OutputSchema):
    place = ma.fields.Nested(PlaceRefSchema, required=True)
    active = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True, metadata={"description": "Follow-ups past their date"})
    high_attention_overdue = ma.fields.Integer(required=True)
