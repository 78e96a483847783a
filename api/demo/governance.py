"""Demo key persons and care targets (演示重点人员、关爱对象): synthetic people of the demo district's
own residents, one key person of every category in the demo grid member's cell and its neighbours,
care targets from the residents tagged as needing care, and disputes in every state; details marked
（演示）."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.governance import service
from api.policy import Scope
from models import (
    AttentionLevel,
    CareCategory,
    DisputeKind,
    DisputeOutcome,
    GridCell,
    KeyPersonCategory,
    Resident,
    User,
)

KEY_PERSONS = [
    (KeyPersonCategory.released_prisoner, AttentionLevel.medium,
     {"release_date": "2025-06-30", "offence": "盗窃（演示）", "risk_assessment": "low", "resettlement": "已就业（演示）"}),
    (KeyPersonCategory.community_correction, AttentionLevel.high,
     {"correction_type": "probation", "correction_start": "2026-03-01", "correction_end": "2027-02-28",
      "supervising_office": "天桥街道司法所（演示）"}),
    (KeyPersonCategory.severe_mental_disorder, AttentionLevel.high,
     {"diagnosis": "演示用诊断", "risk_grade": 2, "on_medication": True, "guardian_name": "监护人（演示）",
      "guardian_phone": "13900000001"}),
    (KeyPersonCategory.drug_user, AttentionLevel.medium,
     {"measure": "community_rehab", "measure_start": "2025-09-01", "measure_end": "2028-08-31"}),
    (KeyPersonCategory.aids_risk, AttentionLevel.low, {"notes": "定期随访（演示）"}),
    (KeyPersonCategory.at_risk_youth, AttentionLevel.medium,
     {"youth_type": "dropout", "guardian_name": "监护人（演示）", "guardian_phone": "13900000002"}),
    (KeyPersonCategory.key_petitioner, AttentionLevel.low,
     {"petition_subject": "拆迁补偿（演示）", "last_petition_on": "2026-08-15"}),
]
CARE = {"elderly_alone": CareCategory.elderly_alone, "left_behind_child": CareCategory.left_behind_child,
        "disabled": CareCategory.disabled, "low_income": CareCategory.low_income}


def load(db: Session, users: dict[str, User], cipher, config) -> dict:
    staff = users["community_staff"]
    scope = Scope.for_user(staff)
    cells = [c.id for c in db.scalars(select(GridCell).where(GridCell.parent_id == staff.place_id)
                                      .order_by(GridCell.code).limit(3))]
    residents = db.scalars(select(Resident).where(Resident.grid_cell_id.in_(cells), Resident.household_id.isnot(None),
                                                  Resident.tags == [], Resident.birth_date.isnot(None))
                           .order_by(Resident.grid_cell_id, Resident.name)).unique().all()
    made = {"key_persons": 0, "care_targets": 0}
    today = service.today()
    for index, ((category, level, details), resident) in enumerate(zip(KEY_PERSONS, residents[::3], strict=False)):
        # spread the next dates so the alert list has overdue, due and later ones
        service.create(db, service.KEY_PERSONS, scope, cipher, config, {
            "resident_id": resident.id, "category": category, "attention_level": level,
            "details": {"notes": "合成数据（演示）", **details},
            "next_follow_up_on": today + timedelta(days=index * 4 - 9)})
        made["key_persons"] += 1
    community = select(GridCell.id).where(GridCell.parent_id == staff.place_id)
    tagged = db.scalars(select(Resident).where(Resident.grid_cell_id.in_(community), Resident.household_id.isnot(None),
                                               Resident.tags.overlap(list(CARE))).order_by(Resident.name)).unique().all()
    for index, resident in enumerate(tagged[:8]):
        category = next(CARE[t] for t in resident.tags if t in CARE)
        service.create(db, service.CARE_TARGETS, scope, cipher, config, {
            "resident_id": resident.id, "category": category, "attention_level": AttentionLevel.medium,
            "details": {"notes": "关爱走访（演示）"}, "next_follow_up_on": today + timedelta(days=index * 3 - 6)})
        made["care_targets"] += 1
    made["disputes"] = _disputes(db, users, cipher, cells)
    db.flush()
    return made


# (kind, summary, risk, what happened: sessions held, then the outcome if closed) — every state
DISPUTES = [
    (DisputeKind.neighbour, "楼上装修噪音扰民（演示）", AttentionLevel.low, 0, None),
    (DisputeKind.property_management, "物业费与停车位纠纷（演示）", AttentionLevel.medium, 1, None),
    (DisputeKind.family, "赡养老人分歧（演示）", AttentionLevel.medium, 2, DisputeOutcome.agreement),
    (DisputeKind.neighbour, "楼上漏水损坏楼下吊顶（演示）", AttentionLevel.low, 1, DisputeOutcome.agreement),
    (DisputeKind.labour, "装修工人工资拖欠（演示）", AttentionLevel.high, 2, DisputeOutcome.court),
    (DisputeKind.land, "院落边界争议（演示）", AttentionLevel.high, 1, DisputeOutcome.escalated),
]


def _disputes(db: Session, users: dict[str, User], cipher, cells: list) -> int:
    from api.disputes import service as disputes

    staff = users["community_staff"]
    scope = Scope.for_user(staff)
    for index, (kind, summary, risk, sessions, outcome) in enumerate(DISPUTES):
        dispute = disputes.register(db, scope, users["grid_member"], cipher, {
            "kind": kind, "summary": summary, "risk_level": risk, "grid_cell_id": cells[index % len(cells)],
            "parties": [{"name": "当事人甲（演示）", "phone": "13900000011"}, {"name": "当事人乙（演示）"}],
            "mediator_id": staff.id, "mediation_team": "矛盾调解队（演示）"})
        for number in range(sessions):
            disputes.add_session(db, staff, cipher, dispute, {
                "held_on": service.today() - timedelta(days=10 - number * 3), "notes": f"第{number + 1}次调解（演示）"})
        if outcome is not None:
            disputes.close(db, scope, staff, dispute, {"outcome": outcome, "note": "结案（演示）"})
    return len(DISPUTES)
