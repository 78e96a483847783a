"""The vocabulary of the authorization matrix (tests/authz/matrix.py): a row per operation, the
placeholders its requests carry, and how a row's expectations read for each caller.

A row says, for one operation of the OpenAPI document:

- ``allow``: the demo accounts that may call it (function level). Anyone else gets ``denied``
  (403); an anonymous caller 401, unless the row is ``public``.
- the request: path parameters, query and body, with placeholders (:class:`Ref`, :class:`Pt`, …)
  that the harness fills from the side of the district the cell is about;
- ``ok``: what an allowed account gets for an object inside its scope (by default 200, 201 for
  a create, 204 for a delete); a number, or a dict by account with ``"*"`` for the rest. Where
  the operation needs a state the object is not in, a 403/409/412/428 that only comes after
  the object was found shows that authorization let the call through;
- ``out``: what it gets for an object outside its scope: 404 (the default whenever the request
  names an object), :data:`EMPTY` (a filter that finds nothing: 200 and no rows), another
  status where the README documents one, or None when nothing in the request is scoped.

The expectations are written from the README, ../shared/docs/DOMAIN.md and RELIABILITY.md,
never computed from api/policy.py: the matrix is a second, independent statement of the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.authz.world import ACCOUNTS

EMPTY = "empty"  # 200 with nothing in it: [] / no features / an empty tile / a ledger with no rows
PUBLIC = "public"


@dataclass(frozen=True)
class Ref:
    """The id of an object of ``kind`` on the cell's side (see world.BUILDERS); with
    ``where="out"``, on the side outside the account's scope whatever the cell (an id in a body
    next to an object in scope: side B for side-A accounts, side A for grid_member_2, the second
    district for the district-wide accounts)."""
    kind: str
    attr: str = "id"  # id, or: code (a place's code), id_number (a resident's full number)
    where: str | None = None


@dataclass
class Case:
    """One more check of a row: the caller's own object in the path (or none) with an id from
    outside in the body or the query. Sent by each allowed account (or ``accounts``) as itself."""
    label: str
    body: Any = None  # None: the row's body
    query: Any = None  # None: the row's query
    path: dict | None = None  # None: the row's path
    expect: Expect = 404
    accounts: frozenset | None = None
    check: Callable | None = None


@dataclass(frozen=True)
class Pt:
    """A point inside the side's grid cell: ``{"lng", "lat"}``."""


@dataclass(frozen=True)
class Bbox:
    """A small box (about 20 m) around a point of the side's cell: ``minLng,minLat,maxLng,maxLat``."""


@dataclass(frozen=True)
class Tile:
    """The x or y of the zoom-``z`` tile holding a point of the side's cell."""
    axis: str
    z: int


@dataclass(frozen=True)
class Fn:
    """Anything else, computed from the cell: ``fn(cell) -> value`` (see :class:`Cell`)."""
    fn: Callable
    label: str = "…"


@dataclass
class Cell:
    """One request of the matrix: ``account`` (or anonymous) asks about the ``where`` side's object,
    as ``caller`` (the account, or its twin in the second district) with objects of ``side``."""
    world: Any
    account: str
    where: str
    caller: str
    side: str

    def ref(self, kind: str, attr: str = "id", where: str | None = None):
        if where == "out":
            return self.world.value(kind, self.world.outside(self.account), self.account, "out", attr)
        return self.world.value(kind, self.side, self.account, self.where, attr)


Expect = int | str | dict | None


@dataclass
class Row:
    op: str  # "METHOD /api/v1/path/{param}", exactly as in the OpenAPI document
    allow: frozenset | str  # the accounts allowed, or PUBLIC
    path: dict = field(default_factory=dict)
    query: dict | Fn | None = None
    body: Any = None
    body_for: dict = field(default_factory=dict)  # a body per account (others: body)
    headers: dict = field(default_factory=dict)
    multipart: bool = False
    ok: Expect = None
    out: Expect = "default"
    denied: int = 403
    check: Callable | None = None  # check(cell, response) for allowed cells (in and out)
    stream: bool = False  # Server-Sent Events: never read the body
    # kinds made on the cell's side before the request, so that a filtered list has something to
    # find inside (an empty answer inside would prove nothing about the outside)
    needs: tuple = ()
    cases: list = field(default_factory=list)  # ids in bodies and filters (see Case)
    note: str = ""

    @property
    def method(self) -> str:
        return self.op.split(" ", 1)[0]

    @property
    def template(self) -> str:
        return self.op.split(" ", 1)[1]

    def default_ok(self) -> int:
        if self.method == "DELETE":
            return 204
        if self.method == "POST" and not any(k in self.template for k in ("/transitions", "/reveal", "/lookup",
                                                                          "/read", "/sync", "/import", "/auth/",
                                                                          "/unlock", "/members", "/me/")):
            return 201
        return 200

    def scoped(self) -> bool:
        """Whether anything in the request depends on the side (so there is an outside cell)."""
        return any(_has_placeholder(part) for part in (self.path, self.query, self.body, self.body_for))

    def allows(self, account: str) -> bool:
        """Whether the account may call the operation at all (every account, for a public one)."""
        return self.allow == PUBLIC or account in self.allow

    def expected(self, account: str, where: str) -> Expect:
        """The expected answer for a demo account (or "anonymous") asking about the in/out object."""
        if account == "anonymous":
            return _pick(self.ok, account, self.default_ok()) if self.allow == PUBLIC else 401
        if not self.allows(account):
            return self.denied
        if where == "in":
            return _pick(self.ok, account, self.default_ok())
        out = self.out
        if out == "default":
            out = 404 if self.scoped() else None
        return _pick(out, account, None)


def _pick(value: Expect, account: str, default):
    if isinstance(value, dict):
        return value.get(account, value.get("*", default))
    return default if value is None else value


def _has_placeholder(value) -> bool:
    if isinstance(value, Ref | Pt | Bbox | Tile | Fn):
        return not (isinstance(value, Fn) and value.label.startswith("const"))
    if isinstance(value, dict):
        return any(_has_placeholder(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_placeholder(v) for v in value)
    return False


def accounts(*names: str) -> frozenset:
    unknown = set(names) - set(ACCOUNTS)
    assert not unknown, unknown
    return frozenset(names)
