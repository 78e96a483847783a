"""Demo petitions (演示信访): one at every stage of the flow, some past their deadlines; petitioners
and contents synthetic, marked （演示）."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.petitions import flow, service
from api.petitions.deadlines import Rules
from api.policy import Scope
from models import GridCell, PetitionChannel, PetitionKind, User

# (days since received, channel, kind, summary, steps with the day after receipt they happened)
PETITIONS = [
    (5, PetitionChannel.letter, PetitionKind.claim, "小区供暖温度不达标（演示）", []),
    (20, PetitionChannel.visit, PetitionKind.claim, "拆迁安置房迟迟未交付（演示）", []),  # acceptance overdue
    (30, PetitionChannel.online, PetitionKind.suggestion, "建议增设社区养老服务点（演示）", [("accept", 5)]),
    (80, PetitionChannel.phone, PetitionKind.claim, "物业维修基金使用不透明（演示）",
     [("accept", 4), ("assign", 6)]),  # reply overdue
    (70, PetitionChannel.letter, PetitionKind.accusation, "反映某施工队夜间施工扰民（演示）",
     [("accept", 3), ("assign", 5), ("extend", 40)]),
    (50, PetitionChannel.visit, PetitionKind.claim, "低保资格认定有异议（演示）",
     [("accept", 2), ("reply", 30), ("request_review", 40)]),
    (100, PetitionChannel.online, PetitionKind.claim, "停车位分配不公（演示）",
     [("accept", 3), ("reply", 40), ("close", 45)]),
    (40, PetitionChannel.letter, PetitionKind.suggestion, "外区事项（演示）", [("route", 3), ("close", 4)]),
]


def load(db: Session, users: dict[str, User], cipher, config) -> int:
    staff = users["community_staff"]
    scope, rules = Scope.for_user(staff), Rules.from_config(config)
    cell = db.scalar(select(GridCell.id).where(GridCell.parent_id == staff.place_id).order_by(GridCell.code))
    unit_id = users["unit_staff"].unit_id
    for index, (age, channel, kind, summary, steps) in enumerate(PETITIONS):
        received = service.today() - timedelta(days=age)
        people = [{"name": f"信访人{n + 1}（演示）", "phone": f"1390000{index:02d}{n:02d}"}
                  for n in range(6 if index == 1 else 1)]  # one collective visit (集体访)
        petition = service.register(db, scope, staff, cipher, rules, {
            "channel": channel, "received_on": received, "kind": kind, "summary": summary, "grid_cell_id": cell,
            "petitioners": people})
        for action, day in steps:
            data = {"on": received + timedelta(days=day), "note": "办理意见（演示）", "unit_id": unit_id, "days": 30,
                    "satisfaction": "satisfied"}
            flow.apply(db, scope, staff, rules, petition, action, data)
    db.flush()
    return len(PETITIONS)
