"""The petition flow as one table of transitions: register → accept / not accept / route → assign
to a handling unit → reply → (review → review reply → re-review → re-review reply) → close; beside
it, ``went_up`` (the petitioner took it up a level) and ``link_repeat``.

Each step checks role (403) then state (409), applies its dates, recomputes the statutory dates and
appends a timeline event. Windows are the law's: a review asked after ``review_request_due`` is
refused; one extension of at most ``max_extension_days``, with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from api.errors import Conflict, Forbidden, ValidationFailed
from api.petitions.deadlines import Rules, within
from api.petitions.service import STAFF, refresh_deadlines, today, went_through_re_review
from api.policy import Scope, get_or_404, reachable_unit
from models import LEVELS_UP, Petition, PetitionEvent, PetitionStatus, Role, User

S = PetitionStatus


@dataclass(frozen=True)
class Step:
    sources: frozenset
    target: PetitionStatus | None  # None: the status stays (an extension)
    note_required: bool = False


FLOW = {
    "accept": Step(frozenset({S.registered}), S.accepted),
    "not_accept": Step(frozenset({S.registered}), S.not_accepted, note_required=True),
    "route": Step(frozenset({S.registered}), S.routed),
    "assign": Step(frozenset({S.accepted}), S.assigned),
    "extend": Step(frozenset({S.accepted, S.assigned}), None, note_required=True),
    "reply": Step(frozenset({S.accepted, S.assigned}), S.replied, note_required=True),
    "request_review": Step(frozenset({S.replied}), S.review_requested),
    "review_reply": Step(frozenset({S.review_requested}), S.reviewed, note_required=True),
    "request_re_review": Step(frozenset({S.reviewed}), S.re_review_requested),
    "re_review_reply": Step(frozenset({S.re_review_requested}), S.re_reviewed, note_required=True),
    "close": Step(frozenset({S.replied, S.reviewed, S.re_reviewed, S.not_accepted, S.routed}), S.closed),
    # outside the main line: the petitioner took it up a level (越级, counted by 三零), at any stage;
    # staff link a repeat the system pointed out before deciding on it
    "went_up": Step(frozenset(S), None),
    "link_repeat": Step(frozenset({S.registered}), None),
}
DECISION = {"accept": "accepted", "not_accept": "not_accepted", "route": "routed"}
SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")


class Msg:
    note = ("请填写说明（note）。", "This step needs a note.")
    unit = ("请指定本辖区可派遣的处置单位（unit_id）。", "Give a handling unit your area can assign (unit_id).")
    days = ("延期天数须为 1 至 {n} 天。", "An extension is 1 to {n} days.")
    once = ("只能延期一次。", "A petition can be extended only once.")
    window = ("已超过申请期限（{due}）。", "Past the window to ask ({due}).")
    on_range = ("日期须在收到日期与今天之间。", "The date must be between the received date and today.")
    final = ("同一事实和理由已经复核答复，不再受理（可 not_accept 并告知）。",
             "The same facts and reasons were answered on re-review: not accepted again (use not_accept).")
    routed_to = ("请填写转送的机关或单位（routed_to）。", "Say which body it is routed to (routed_to).")
    level = ("请填写越级到达的层级（level）：{levels}。", "Give the level it went up to (level): {levels}.")
    repeat = ("请指定本辖区内更早的另一件信访（repeat_of_id）。",
              "Give another, earlier petition within your area (repeat_of_id).")
    satisfaction = ("满意度须为 satisfied、basically_satisfied 或 dissatisfied。",
                    "satisfaction is satisfied, basically_satisfied or dissatisfied.")


def _when(petition: Petition, data: dict) -> date:
    """The day the step happened: given (a letter's reply entered later) or today."""
    on = data.get("on") or today()
    if on < petition.received_on or on > today():
        raise ValidationFailed({"on": [Msg.on_range]})
    return on


def apply(db: Session, scope: Scope, actor: User, rules: Rules, petition: Petition, action: str,
          data: dict) -> PetitionEvent:
    step = FLOW[action]
    # petition staff take every step; the unit it is assigned to may reply
    unit_reply = action == "reply" and actor.role == Role.unit_staff and petition.unit_id == actor.unit_id
    if actor.role not in STAFF and not unit_reply:
        raise Forbidden()
    if petition.status not in step.sources:
        raise Conflict("invalid_transition", errors={"action": [(
            f"当前状态（{petition.status.value}）不能执行 {action}。",
            f"'{action}' does not fit the current status ({petition.status.value}).")]})
    note = (data.get("note") or data.get("reason") or "").strip() or None
    if step.note_required and not note:
        raise ValidationFailed({"note": [Msg.note]})
    event_data: dict = {"note": note} if note else {}
    on = _when(petition, data)
    if action == "accept" and petition.repeats_final:
        raise Conflict(errors={"action": [Msg.final]})
    if action in DECISION:
        petition.decision, petition.decided_on = DECISION[action], on
    if action == "accept":
        petition.accepted_on = on
    elif action == "route":
        routed_to = (data.get("routed_to") or "").strip()
        if not routed_to:
            raise ValidationFailed({"routed_to": [Msg.routed_to]})
        petition.routed_to = event_data["routed_to"] = routed_to
    elif action == "went_up":
        level = data.get("level")
        if level not in LEVELS_UP:
            levels = "、".join(LEVELS_UP)
            raise ValidationFailed({"level": [(Msg.level[0].format(levels=levels), Msg.level[1].format(levels=levels))]})
        # keep the highest level reached, first reached on that day
        if petition.went_up_to is None or LEVELS_UP.index(level) > LEVELS_UP.index(petition.went_up_to):
            petition.went_up_to, petition.went_up_on = level, on
        event_data["level"] = level
    elif action == "link_repeat":
        earlier = (get_or_404(db, Petition, data["repeat_of_id"], scope, field="repeat_of_id")
                   if data.get("repeat_of_id") else None)
        if earlier is None or earlier.id == petition.id or earlier.received_on > petition.received_on:
            raise ValidationFailed({"repeat_of_id": [Msg.repeat]})
        petition.repeat_of_id, petition.repeats_final = earlier.id, went_through_re_review(db, earlier)
        event_data |= {"repeat_of_id": str(earlier.id), "repeats_final": petition.repeats_final}
    elif action == "assign":
        if data.get("unit_id") is None:
            raise ValidationFailed({"unit_id": [Msg.unit]})
        unit = reachable_unit(db, actor, data["unit_id"])
        if unit is None:
            raise ValidationFailed({"unit_id": [Msg.unit]})
        petition.unit = unit
        event_data["unit_id"] = str(unit.id)
    elif action == "extend":
        if petition.extension_days:
            raise Conflict(errors={"action": [Msg.once]})
        days = data.get("days")
        if not isinstance(days, int) or not 1 <= days <= rules.max_extension_days:
            n = rules.max_extension_days
            raise ValidationFailed({"days": [(Msg.days[0].format(n=n), Msg.days[1].format(n=n))]})
        petition.extension_days, petition.extension_reason = days, note
        event_data["days"] = days
    elif action == "reply":
        petition.replied_on = on
    elif action in ("request_review", "request_re_review"):
        due = petition.review_request_due if action == "request_review" else petition.re_review_request_due
        if not within(due, on):
            raise ValidationFailed({"on": [(Msg.window[0].format(due=due), Msg.window[1].format(due=due))]})
        if action == "request_review":
            petition.review_requested_on = on
        else:
            petition.re_review_requested_on = on
    elif action == "review_reply":
        petition.review_replied_on = on
    elif action == "re_review_reply":
        petition.re_review_replied_on = on
    elif action == "close":
        if data.get("satisfaction") is not None and data["satisfaction"] not in SATISFACTION:
            raise ValidationFailed({"satisfaction": [Msg.satisfaction]})
        petition.closed_on, petition.satisfaction = on, data.get("satisfaction")
        event_data["satisfaction"] = petition.satisfaction
    before = petition.status
    if step.target is not None:
        petition.status = step.target
    refresh_deadlines(petition, rules)
    event = PetitionEvent(petition_id=petition.id, at=datetime.now(UTC), actor_id=actor.id, action=action,
                          from_status=before.value, to_status=petition.status.value,
                          data={**event_data, "on": on.isoformat()})
    db.add(event)
    db.flush()
    return event
