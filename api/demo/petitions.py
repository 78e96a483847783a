"""Demo petitions (演示信访): one at every stage of the flow, some past their deadlines; petitioners
and contents synthetic, marked （演示）."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.petitions import flow, reminders, service
from api.petitions.deadlines import Rules
from api.policy import Scope
from models import GridCell, PetitionChannel, PetitionKind, User

# (days since received, channel, kind, summary, steps with the day after receipt they happened[, extras])
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
    (200, PetitionChannel.visit, PetitionKind.claim, "宅基地确权争议（演示）",
     [("accept", 3), ("reply", 40), ("request_review", 50), ("review_reply", 70), ("request_re_review", 80),
      ("re_review_reply", 100), ("close", 101)]),
    # the same petitioner again: the system points at the one answered on re-review
    (3, PetitionChannel.visit, PetitionKind.claim, "再次反映宅基地确权问题（演示）", [], {"same_as": 8}),
    # reached us from the district (上级交办): it went up a level before (三零 counts it)
    (12, PetitionChannel.letter, PetitionKind.claim, "工资拖欠问题到区里反映（演示）", [("accept", 2)],
     {"went_up_to": "district"}),
]


def load(db: Session, users: dict[str, User], cipher, config) -> int:
    staff = users["community_staff"]
    scope, rules = Scope.for_user(staff), Rules.from_config(config)
    cell = db.scalar(select(GridCell.id).where(GridCell.parent_id == staff.place_id).order_by(GridCell.code))
    unit_id = users["unit_staff"].unit_id
    for index, (age, channel, kind, summary, steps, *extras) in enumerate(PETITIONS):
        extras = extras[0] if extras else {}
        received = service.today() - timedelta(days=age)
        who = extras.get("same_as", index)
        people = [{"name": f"信访人{n + 1}（演示）", "phone": f"1390000{who:02d}{n:02d}"}
                  for n in range(6 if index == 1 else 1)]  # one collective visit (集体访)
        petition = service.register(db, scope, staff, cipher, rules, {
            "channel": channel, "received_on": received, "kind": kind, "summary": summary, "grid_cell_id": cell,
            "petitioners": people, "went_up_to": extras.get("went_up_to")})
        for action, day in steps:
            data = {"on": received + timedelta(days=day), "note": "办理意见（演示）", "unit_id": unit_id, "days": 30,
                    "satisfaction": "satisfied", "routed_to": "区人民法院（演示）"}
            flow.apply(db, scope, staff, rules, petition, action, data)
    db.flush()
    # the overdue and due-soon alerts of the demo, queued for the worker to deliver
    reminders.sweep(db, config["PETITION_WARN_DAYS"])
    return len(PETITIONS)
