"""Who may do what, and the one mechanism that scopes every query to the caller's place.

Function level: :data:`PERMISSIONS` maps an action to the roles that may take it (403 otherwise).
Object level: every list query and every fetch by id goes through :func:`scoped` /
:func:`get_or_404`, which restrict it to the part of the hierarchy the caller belongs to. Out of
scope is 404, never 403, so ids reveal nothing. A model takes part by registering a rule with
:func:`scope_rule`; later resources register theirs the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, false, literal, or_, select
from sqlalchemy.orm import Session

from api.errors import Forbidden, NotFound
from models import GridCell, HandlingUnit, Place, Role, User


@dataclass(frozen=True)
class Scope:
    """What the caller can see: place subtrees (by materialised path) and their own id."""

    actor_id: uuid.UUID
    role: Role
    place_id: uuid.UUID
    place_paths: tuple[str, ...] = field(default_factory=tuple)
    unit_id: uuid.UUID | None = None

    @classmethod
    def for_user(cls, user: User, place_path: str | None = None) -> Scope:
        """The user's scope; ``place_path``, when the caller read it with the user, saves loading
        the user's place."""
        if user.role == Role.grid_member:
            paths = tuple(cell.path for cell in user.grid_cells)
        elif user.role == Role.resident:
            paths = ()  # residents see their own things only; each rule says which
        else:
            paths = (place_path or user.place.path,)
        return cls(actor_id=user.id, role=user.role, place_id=user.place_id, place_paths=paths, unit_id=user.unit_id)


def under(path_column, paths: Iterable[str]) -> ColumnElement[bool]:
    """Rows whose place path lies under one of ``paths`` (prefix match on the indexed path)."""
    clauses = [path_column.startswith(p, autoescape=True) for p in paths]
    if not clauses:
        return false()
    return or_(*clauses)


def cells_under(paths: Iterable[str]) -> Select:
    """Ids of the grid cells under ``paths``: for models that hang off a grid cell."""
    return select(GridCell.id).where(under(GridCell.path, paths))


ScopeRule = Callable[[Scope], ColumnElement[bool]]
_RULES: dict[type, ScopeRule] = {}


def scope_rule(model: type) -> Callable[[ScopeRule], ScopeRule]:
    def register(rule: ScopeRule) -> ScopeRule:
        _RULES[model] = rule
        return rule

    return register


def rule_for(model: type) -> ScopeRule:
    for klass in model.__mro__:
        if klass in _RULES:
            return _RULES[klass]
    raise LookupError(f"{model.__name__} has no scope rule: register one with @scope_rule")


def scoped(stmt: Select, model: type, scope: Scope) -> Select:
    """Restrict a select of ``model`` to what ``scope`` may see."""
    return stmt.where(rule_for(model)(scope))


OUT_OF_SCOPE = ("不存在或不在您的管辖范围内。", "Does not exist or is outside your area.")


def get_or_404(session: Session, model: type, object_id, scope: Scope, *, for_update: bool = False,
               field: str | None = None):
    """Fetch by id inside the caller's scope; 404 when it does not exist *or* is out of scope.
    ``field`` names the request field the id came from (an id inside a body), for the error."""
    not_found = NotFound(errors={field: [OUT_OF_SCOPE]}) if field else NotFound()
    try:
        object_id = uuid.UUID(str(object_id))
    except ValueError:
        raise not_found from None
    stmt = scoped(select(model).where(model.id == object_id), model, scope)
    if for_update:
        stmt = stmt.with_for_update(of=model)
    obj = session.scalars(stmt).unique().one_or_none()
    if obj is None:
        raise not_found
    return obj


def reachable_units(actor: User) -> Select:
    """The handling units the actor may send work to: those of their place's line (above or below)."""
    mine = actor.place.path
    return (select(HandlingUnit).join(Place, Place.id == HandlingUnit.place_id)
            .where(or_(literal(mine).startswith(Place.path), Place.path.startswith(mine, autoescape=True)))
            .order_by(HandlingUnit.name, HandlingUnit.id))


def reachable_unit(session: Session, actor: User, unit_id) -> HandlingUnit | None:
    """A handling unit the actor may send work to: one of their place's line, above (a district's
    bureau) or below it; None otherwise."""
    unit = session.get(HandlingUnit, unit_id)
    if unit is None:
        return None
    mine, its = actor.place.path, unit.place.path
    return unit if mine.startswith(its) or its.startswith(mine) else None


@scope_rule(Place)
def _place_rule(scope: Scope) -> ColumnElement[bool]:
    # Residents see the cell they live in; everyone else the subtrees of their scope.
    if scope.role == Role.resident:
        return Place.id == scope.place_id
    return under(Place.path, scope.place_paths)


@scope_rule(User)
def _user_rule(scope: Scope) -> ColumnElement[bool]:
    in_places = User.place_id.in_(select(Place.id).where(under(Place.path, scope.place_paths)))
    return or_(in_places, User.id == scope.actor_id)


@scope_rule(HandlingUnit)
def _unit_rule(scope: Scope) -> ColumnElement[bool]:
    return HandlingUnit.place_id.in_(select(Place.id).where(under(Place.path, scope.place_paths)))


# Function level: which roles may take each action. Anything not listed here is refused.
_STAFF = {Role.grid_member, Role.community_staff, Role.street_admin, Role.district_admin}
PERMISSIONS: dict[str, frozenset[Role]] = {
    "places.read": frozenset(_STAFF | {Role.resident, Role.responder, Role.unit_staff, Role.system_admin,
                                       Role.security_admin}),
    "grids.write": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "grids.import": frozenset({Role.street_admin, Role.district_admin}),
    "population.read": frozenset(_STAFF),
    "population.write": frozenset(_STAFF),
    "compounds.write": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "population.reveal": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "chain.write": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "posts.write": frozenset({Role.district_admin}),
    "matters.read": frozenset(_STAFF | {Role.resident, Role.unit_staff, Role.responder}),
    "photos.upload": frozenset(_STAFF | {Role.resident, Role.unit_staff, Role.responder}),
    "visits.sync": frozenset({Role.grid_member, Role.community_staff}),
    "visits.read": frozenset(_STAFF),
    # 综治: key persons and care targets are apart; residents, units and responders see neither.
    "key_persons.read": frozenset(_STAFF),
    "key_persons.write": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "key_persons.details": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "key_persons.reveal": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "care_targets.read": frozenset(_STAFF),
    "care_targets.write": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "care_targets.details": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "care_targets.reveal": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "disputes.read": frozenset(_STAFF),
    "disputes.write": frozenset(_STAFF),
    "disputes.close": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    # 信访: petition staff; a handling unit reads those assigned to it (without the petitioners)
    "petitions.read": frozenset({Role.community_staff, Role.street_admin, Role.district_admin, Role.unit_staff}),
    "petitions.write": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    # 应急: staff open and follow incidents; commanders dispatch; team members answer from their phones
    "incidents.read": frozenset(_STAFF | {Role.responder}),
    "incidents.report": frozenset(_STAFF),
    "incidents.command": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "teams.read": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "teams.write": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "responders.self": frozenset({Role.responder, Role.grid_member}),
    "stream.read": frozenset(_STAFF | {Role.responder}),
    "patrols.record": frozenset({Role.grid_member, Role.community_staff}),
    "patrols.read": frozenset(_STAFF),
    "matters.export": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "figures.read": frozenset(_STAFF),
    "assessment.read": frozenset({Role.community_staff, Role.street_admin, Role.district_admin}),
    "matters.report": frozenset(_STAFF | {Role.resident}),
    "categories.write": frozenset({Role.district_admin}),
    "users.read": frozenset(_STAFF | {Role.system_admin, Role.security_admin, Role.audit_admin}),
    "users.create": frozenset({Role.system_admin}),
    "users.update": frozenset({Role.system_admin}),
    "open311.keys": frozenset({Role.system_admin}),
    "users.unlock": frozenset({Role.security_admin}),
    "audit.read": frozenset({Role.audit_admin}),
}


def can(role: Role, action: str) -> bool:
    return role in PERMISSIONS.get(action, frozenset())


def require(role: Role, action: str) -> None:
    if not can(role, action):
        raise Forbidden()
