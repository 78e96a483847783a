"""Petitions (信访): registration, the clock's dates, and who may see what. Plain functions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from api.china_time import today
from api.errors import ValidationFailed, localized
from api.petitions.deadlines import RUNNING, Facts, Rules, days_left, deadlines, is_overdue
from api.photos import service as photos
from api.policy import Scope, cells_under, get_or_404, scope_rule, scoped
from api.population.service import people_in_scope
from api.rollup import roll_up
from models import (
    COLLECTIVE_FROM,
    DECISIONS,
    GridCell,
    Matter,
    Petition,
    PetitionAccused,
    PetitionChannel,
    PetitionerKey,
    PetitionEvent,
    PetitionKind,
    PetitionStatus,
    Role,
    User,
)

PETITIONERS = "petitioners"
STAFF = (Role.community_staff, Role.street_admin, Role.district_admin)


class Msg:
    future = ("收到日期不能晚于今天。", "received_on cannot be after today.")
    went_up_on = ("越级日期须在收到日期之前或当天，且不晚于今天。",
                  "went_up_on is on or before the received date, and not after today.")
    final = ("该信访人此前的信访已经复核答复：同一事实和理由不再受理。",
             "An earlier petition of this petitioner was answered on re-review: the same facts and reasons "
             "are not accepted again.")
    earlier = ("该信访人此前有信访件，请核实是否重复信访。",
               "This petitioner has earlier petitions: check whether it repeats one.")


def petitioner_keys(cipher, petitioners: list[dict]) -> set[str]:
    """Keyed hashes (HMAC) of each petitioner's mobile number and population-base id, so the same
    person's earlier petitions are found without unsealing any."""
    keys = set()
    for person in petitioners:
        if person.get("phone"):
            keys.add(cipher.keyed_hash("petitioner.phone", person["phone"].strip()))
        if person.get("resident_id"):
            keys.add(cipher.keyed_hash("petitioner.resident", str(person["resident_id"])))
    return keys


@scope_rule(Petition)
def _petition_rule(scope: Scope):
    """Petition staff see those of their area; a handling unit those assigned to it; nobody a
    petition accuses ever sees it."""
    accused = select(PetitionAccused.petition_id).where(PetitionAccused.user_id == scope.actor_id)
    if scope.role in STAFF:
        visible = Petition.grid_cell_id.in_(cells_under(scope.place_paths))
    elif scope.role == Role.unit_staff and scope.unit_id is not None:
        visible = Petition.unit_id == scope.unit_id
    else:
        visible = false()
    return and_(visible, Petition.id.not_in(accused))


def refresh_deadlines(petition: Petition, rules: Rules) -> None:
    facts = Facts(received_on=petition.received_on, accepted_on=petition.accepted_on,
                  extension_days=petition.extension_days or 0, replied_on=petition.replied_on,
                  review_requested_on=petition.review_requested_on, review_replied_on=petition.review_replied_on,
                  re_review_requested_on=petition.re_review_requested_on)
    for name, value in deadlines(facts, rules).items():
        setattr(petition, name, value)


def register(db: Session, scope: Scope, actor: User, cipher, rules: Rules, data: dict) -> Petition:
    if data["received_on"] > today():
        raise ValidationFailed({"received_on": [Msg.future]})
    cell = get_or_404(db, GridCell, data["grid_cell_id"], scope, field="grid_cell_id")
    petitioners = people_in_scope(db, scope, data["petitioners"], "petitioners")
    repeats_final = False
    if data.get("repeat_of_id") is not None:
        earlier = get_or_404(db, Petition, data["repeat_of_id"], scope, field="repeat_of_id")
        repeats_final = went_through_re_review(db, earlier)
    if data.get("matter_id") is not None:
        get_or_404(db, Matter, data["matter_id"], scope, field="matter_id")
    went_up_on = data.get("went_up_on") or (data["received_on"] if data.get("went_up_to") else None)
    if data.get("went_up_to") and went_up_on > data["received_on"]:
        raise ValidationFailed({"went_up_on": [Msg.went_up_on]})
    accused = set(data.get("accused_user_ids") or [])
    for index, user_id in enumerate(sorted(accused)):
        if db.get(User, user_id) is None:
            raise ValidationFailed({f"accused_user_ids.{index}": [("没有该用户。", "No such user.")]})
    petition = Petition(grid_cell_id=cell.id, channel=data["channel"], kind=data["kind"], summary=data["summary"],
                        received_on=data["received_on"], registered_by_id=actor.id,
                        petitioners_sealed=cipher.seal(PETITIONERS, {"petitioners": petitioners}),
                        petitioner_count=len(petitioners), collective=len(petitioners) >= COLLECTIVE_FROM,
                        repeat_of_id=data.get("repeat_of_id"), repeats_final=repeats_final,
                        matter_id=data.get("matter_id"), went_up_to=data.get("went_up_to"),
                        went_up_on=went_up_on if data.get("went_up_to") else None,
                        status=PetitionStatus.registered, extension_days=0)
    refresh_deadlines(petition, rules)
    db.add(petition)
    db.flush()
    db.add_all(PetitionAccused(petition_id=petition.id, user_id=user_id) for user_id in accused)
    db.add_all(PetitionerKey(petition_id=petition.id, key=key) for key in petitioner_keys(cipher, petitioners))
    photos.attach_to_petition(db, actor, petition.id, data.get("photo_ids") or [])
    db.add(PetitionEvent(petition_id=petition.id, at=datetime.now(UTC), actor_id=actor.id, action="register",
                         from_status=None, to_status=petition.status.value,
                         data={"collective": petition.collective, "repeat_of_id": str(petition.repeat_of_id)
                               if petition.repeat_of_id else None}))
    db.flush()
    return petition


def earlier_of_same_petitioner(db: Session, scope: Scope, petition: Petition) -> list[Petition]:
    """The petitions, within the caller's scope, received before this one (or the same day and
    registered before) and naming one of its petitioners (same mobile number or population-base
    person): candidates for a repeat."""
    mine = select(PetitionerKey.key).where(PetitionerKey.petition_id == petition.id)
    shared = select(PetitionerKey.petition_id).where(PetitionerKey.key.in_(mine))
    stmt = select(Petition).where(Petition.id.in_(shared), Petition.id != petition.id, is_earlier(petition))
    return list(db.scalars(scoped(stmt, Petition, scope).order_by(Petition.received_on.desc(), Petition.id).limit(20)))


def is_earlier(petition: Petition):
    """Received before ``petition``, or the same day and registered before it."""
    return or_(Petition.received_on < petition.received_on,
               and_(Petition.received_on == petition.received_on, Petition.created_at < petition.created_at))


def went_through_re_review(db: Session, petition: Petition) -> bool:
    """Whether this petition, or one it repeats (up the chain), had its re-review answered."""
    seen = set()
    while petition is not None and petition.id not in seen:
        if petition.re_review_replied_on is not None or petition.repeats_final:
            return True
        seen.add(petition.id)
        petition = db.get(Petition, petition.repeat_of_id) if petition.repeat_of_id else None
    return False


def list_petitions(scope: Scope, *, status=None, kind=None, channel=None, grid_cell_id=None, overdue=None) -> Select:
    stmt = select(Petition)
    for column, value in ((Petition.status, status), (Petition.kind, kind), (Petition.channel, channel),
                          (Petition.grid_cell_id, grid_cell_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if overdue is not None:
        running = or_(*(and_(Petition.status == status, getattr(Petition, due) < today())
                        for status, due in RUNNING.items()))
        stmt = stmt.where(running if overdue else ~running)
    return scoped(stmt, Petition, scope).order_by(Petition.accept_due, Petition.id)


def view(db: Session, scope: Scope, cipher, petition: Petition, *, detail: bool = False) -> dict:
    running = RUNNING.get(petition.status.value)
    due = getattr(petition, running) if running else None
    out = {**{c.key: getattr(petition, c.key) for c in Petition.__mapper__.column_attrs
              if not c.key.endswith("_sealed") and c.key != "photo_ids"},
           "grid_cell": petition.grid_cell, "unit": petition.unit, "running_deadline": running,
           "days_left": days_left(due, today()), "overdue": is_overdue(due, today()),
           # the petitioner's identity: petition staff only, never the unit it is assigned to
           "petitioners": cipher.unseal(PETITIONERS, petition.petitioners_sealed)["petitioners"]
           if scope.role in STAFF else None}
    if detail and scope.role in STAFF:
        earlier = earlier_of_same_petitioner(db, scope, petition)
        out["photo_ids"] = petition.photo_ids
        out["possible_repeats"] = [{"id": e.id, "status": e.status.value, "kind": e.kind.value,
                                    "received_on": e.received_on, "summary": e.summary,
                                    "answered_on_re_review": went_through_re_review(db, e)} for e in earlier]
        final = petition.repeats_final or any(e["answered_on_re_review"] for e in out["possible_repeats"])
        out["repeat_warning"] = (localized(*Msg.final) if final else localized(*Msg.earlier) if earlier else None)
    if detail:
        out["timeline"] = [{"at": e.at, "action": e.action, "from_status": e.from_status, "to_status": e.to_status,
                            "data": e.data} for e in db.scalars(select(PetitionEvent).where(
                                PetitionEvent.petition_id == petition.id).order_by(PetitionEvent.at, PetitionEvent.id))]
    return out


def stats(db: Session, scope: Scope, level: str | None = None, received_from=None, received_to=None) -> list[dict]:
    """Per cell, community and street: registered, open, overdue, collective and repeat petitions,
    by kind and channel, the decisions and answers, how the closed ones ended, and those that went up
    a level (三零). Petitions accusing the caller are left out."""
    today_ = today()
    overdue = or_(*(and_(Petition.status == status, getattr(Petition, due) < today_) for status, due in RUNNING.items()))
    measures = {"registered": func.count(), "open": func.count().filter(Petition.status != PetitionStatus.closed),
                "overdue": func.count().filter(overdue), "collective": func.count().filter(Petition.collective),
                "repeats": func.count().filter(Petition.repeat_of_id.isnot(None)),
                "closed": func.count().filter(Petition.status == PetitionStatus.closed),
                "satisfied": func.count().filter(Petition.satisfaction.in_(["satisfied", "basically_satisfied"])),
                "dissatisfied": func.count().filter(Petition.satisfaction == "dissatisfied"),
                "replied": func.count().filter(Petition.replied_on.isnot(None)),
                "reviewed": func.count().filter(Petition.review_replied_on.isnot(None)),
                "re_reviewed": func.count().filter(Petition.re_review_replied_on.isnot(None)),
                "went_up": func.count().filter(Petition.went_up_to.isnot(None))}
    measures |= {decision: func.count().filter(Petition.decision == decision) for decision in DECISIONS}
    measures |= {f"kind_{k.value}": func.count().filter(Petition.kind == k) for k in PetitionKind}
    measures |= {f"channel_{c.value}": func.count().filter(Petition.channel == c) for c in PetitionChannel}
    accused = select(PetitionAccused.petition_id).where(PetitionAccused.user_id == scope.actor_id)
    where = [Petition.id.not_in(accused)]
    if received_from is not None:
        where.append(Petition.received_on >= received_from)
    if received_to is not None:
        where.append(Petition.received_on <= received_to)
    rows = roll_up(db, scope, Petition.__table__, Petition.grid_cell_id, measures, level, where=tuple(where),
                   every_place=True)
    return [{**row, "zero_went_up": row["went_up"] == 0} for row in rows]
