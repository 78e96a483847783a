"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2).

Other systems (a 12345 hotline, a city's existing apps, civic-tech clients) read and file matters
here. Every path takes a ``.json`` or ``.xml`` suffix (XML is the spec's required format); JSON
answers are arrays, a single request too; statuses are only ``open`` and ``closed``; errors are
``[{"code", "description"}]`` with 400/403/404. Services (the secondary categories) and discovery
are public; requests are filed with an ``api_key`` an administrator issued. Reads without a key get
the public view (no words, no address, positions to about 100 m, no private categories); a key adds
its own requests in full, and keeps the partner within its place.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, json, request
from sqlalchemy import and_, or_, select
from werkzeug.exceptions import HTTPException

from api import audit, ratelimit
from api.errors import DomainError
from api.geo.coords import valid_lng_lat
from api.geo.fields import point_out
from api.grids.geometry import GeometryProblem
from api.matters import service as matters
from api.matters.service import PRIVATE_PRIMARIES
from api.policy import Scope, cells_under
from models import Matter, MatterCategory, MatterStatus, Open311Key, Role
from models.db import db_session

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

CLOSED = (MatterStatus.closed, MatterStatus.rejected)
SPEC = "http://wiki.open311.org/GeoReport_v2"


class Open311Error(Exception):
    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code, self.description = code, description


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


# --- rendering -------------------------------------------------------------------------------------

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_XML_FORBIDDEN.sub("", str(value)))


def _xml(root: str, item: str, rows: list[dict]) -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?>', f"<{root}>"]
    for row in rows:
        parts.append(f"<{item}>")
        parts.extend(f"<{key}>{_xml_value(value)}</{key}>" for key, value in row.items())
        parts.append(f"</{item}>")
    parts.append(f"</{root}>")
    return "".join(parts)


def _answer(fmt: str, root: str, item: str, rows, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, rows), status=status, mimetype="text/xml")
    return Response(json.dumps(rows, ensure_ascii=False), status=status, mimetype="application/json")


def _error(fmt: str, code: int, description: str) -> Response:
    return _answer(fmt, "errors", "error", [{"code": code, "description": description}], status=code)


def _fmt(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, "Format must be json or xml")
    return fmt


@bp.errorhandler(Open311Error)
def _open311_error(exc: Open311Error):
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return _error(fmt, exc.code, exc.description)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    fmt = "xml" if request.path.endswith(".xml") else "json"
    first = next(iter(exc.errors.items()), None) if exc.errors else None
    detail = f"{first[0]}: {first[1][0][1] if isinstance(first[1][0], tuple) else first[1][0]}" if first else exc.error
    if first and first[0] == "category":
        detail = "service_code not found"
    response = _error(fmt, 400 if exc.status == 422 else exc.status, detail)
    response.headers.update(exc.headers)  # a 429's Retry-After
    return response


@bp.errorhandler(HTTPException)
def open311_http_error(exc: HTTPException):
    fmt = "xml" if request.path.endswith(".xml") else "json"
    code = exc.code or 500
    return _error(fmt, code if code in (400, 403, 404) else (400 if code < 500 else 500), exc.description or exc.name)


# --- the key --------------------------------------------------------------------------------------

def _key(*, optional: bool = False) -> Open311Key | None:
    """The partner's key. Reads may go without one (as the spec has them public) and then get the
    public view only; filing always needs one."""
    raw = (request.form if request.method == "POST" else request.args).get("api_key", "")
    if not raw:
        if optional:
            return None
        raise Open311Error(403, "api_key is required")
    key = db_session.scalars(select(Open311Key).where(Open311Key.key_hash == hash_key(raw),
                                                      Open311Key.is_active.is_(True))).unique().one_or_none()
    if key is None:
        raise Open311Error(403, "Invalid api_key")
    return key


def _who(key: Open311Key | None) -> str:
    return f"open311:{key.name}"[:64] if key else "open311:public"


def _scope(key: Open311Key) -> Scope:
    return Scope(actor_id=key.id, role=Role.district_admin, place_id=key.place_id, place_paths=(key.place.path,))


# --- discovery and services -----------------------------------------------------------------------

@bp.get("/discovery.<fmt>")
def discovery(fmt):
    fmt = _fmt(fmt)
    base = request.host_url.rstrip("/") + "/open311/v2/"
    body = {"changeset": "2026-11-27T00:00:00Z", "contact": "GridGov", "key_service": "Ask the district for a key",
            "endpoints": [{"specification": SPEC, "url": base, "changeset": "2026-11-27T00:00:00Z",
                           "type": "production", "formats": ["text/xml", "application/json"]}]}
    if fmt == "xml":
        endpoints = "".join(
            f"<endpoint><specification>{SPEC}</specification><url>{escape(base)}</url>"
            f"<changeset>2026-11-27T00:00:00Z</changeset><type>production</type><formats>"
            f"<format>text/xml</format><format>application/json</format></formats></endpoint>")
        xml = ('<?xml version="1.0" encoding="utf-8"?><discovery><changeset>2026-11-27T00:00:00Z</changeset>'
               f"<contact>GridGov</contact><key_service>Ask the district for a key</key_service>"
               f"<endpoints>{endpoints}</endpoints></discovery>")
        return Response(xml, mimetype="text/xml")
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")  # an object, per the spec


def _service(category: MatterCategory) -> dict:
    return {"service_code": category.code, "service_name": category.name,
            "description": f"{category.name} / {category.name_en}", "metadata": False, "type": "realtime",
            "keywords": category.name_en.lower(), "group": category.parent.name if category.parent else ""}


@bp.get("/services.<fmt>")
def services(fmt):
    fmt = _fmt(fmt)
    categories = db_session.scalars(select(MatterCategory).where(MatterCategory.parent_id.isnot(None),
                                                                 MatterCategory.is_active.is_(True))
                                    .order_by(MatterCategory.sort_order)).unique().all()
    return _answer(fmt, "services", "service", [_service(c) for c in categories])


@bp.get("/services/<code>.<fmt>")
def service_definition(code, fmt):
    fmt = _fmt(fmt)
    category = db_session.scalars(select(MatterCategory).where(
        MatterCategory.code == code[:20], MatterCategory.parent_id.isnot(None),
        MatterCategory.is_active.is_(True))).unique().one_or_none()
    if category is None:
        raise Open311Error(404, "No such service_code")
    if fmt == "xml":
        return Response('<?xml version="1.0" encoding="utf-8"?><service_definition>'
                        f"<service_code>{escape(category.code)}</service_code><attributes></attributes>"
                        "</service_definition>", mimetype="text/xml")
    return Response(json.dumps({"service_code": category.code, "attributes": []}), mimetype="application/json")


# --- requests --------------------------------------------------------------------------------------

def _request_row(matter: Matter, key: Open311Key | None) -> dict:
    point = point_out(matter.location)
    lng, lat = point["lng"], point["lat"]
    own = key is not None and matter.open311_key_id == key.id
    if not own:  # another reporter's words and exact place stay in GridGov
        lng, lat = round(lng, 3), round(lat, 3)
    return {
        "service_request_id": str(matter.number),
        "status": "closed" if matter.status in CLOSED else "open",
        "status_notes": matter.status.value,
        "service_name": matter.category.name,
        "service_code": matter.category.code,
        "description": matter.description if own else "",
        "agency_responsible": matter.unit.name if matter.unit else "",
        "service_notice": "",
        "requested_datetime": matter.created_at.isoformat(timespec="seconds"),
        "updated_datetime": matter.updated_at.isoformat(timespec="seconds"),
        "expected_datetime": matter.stage_due_at.isoformat(timespec="seconds") if matter.stage_due_at else "",
        "address": (matter.address or "") if own else "",
        "address_id": "",
        "zipcode": "",
        "lat": lat,
        "long": lng,
        "media_url": "",
    }




def _visible(key: Open311Key | None):
    private = select(MatterCategory.id).where(or_(
        MatterCategory.code.in_(PRIVATE_PRIMARIES),
        MatterCategory.parent_id.in_(select(MatterCategory.id).where(MatterCategory.code.in_(PRIVATE_PRIMARIES)))))
    if key is None:  # the public view: placed, not private, redacted by _request_row
        return and_(Matter.grid_cell_id.isnot(None), Matter.category_id.notin_(private))
    area = and_(Matter.grid_cell_id.in_(cells_under(_scope(key).place_paths)), Matter.category_id.notin_(private))
    return or_(Matter.open311_key_id == key.id, area)


def _number(text: str) -> bool:
    return text.isascii() and text.isdecimal() and len(text) < 19


EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def _parse_datetime(name: str):
    raw = request.args.get(name)
    if not raw:
        return None
    raw = re.sub(r" (\d{2}:?\d{2})$", r"+\1", raw.strip())  # an unencoded "+08:00" arrives as a space
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C datetime") from None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not EARLIEST <= value <= LATEST:
        raise Open311Error(400, f"{name} is out of range")
    return value


@bp.get("/requests.<fmt>")
def list_requests(fmt):
    fmt = _fmt(fmt)
    key = _key(optional=True)
    stmt = select(Matter).where(_visible(key))
    ids = request.args.get("service_request_id")
    if ids:
        numbers = [int(v) for v in (v.strip() for v in ids.split(",")) if _number(v)][:200]
        stmt = stmt.where(Matter.number.in_(numbers))
    else:
        if request.args.get("service_code"):
            codes = request.args["service_code"].split(",")[:50]
            stmt = stmt.where(Matter.category_id.in_(select(MatterCategory.id).where(MatterCategory.code.in_(codes))))
        start, end = _parse_datetime("start_date"), _parse_datetime("end_date")
        if start is None:
            end = end or datetime.now(UTC)
            start = end - timedelta(days=90)
        elif end is None:
            end = start + timedelta(days=90)
        if end - start > timedelta(days=90) or start > end:
            raise Open311Error(400, "start_date and end_date span at most 90 days")
        stmt = stmt.where(Matter.created_at >= start, Matter.created_at <= end)
        status = request.args.get("status")
        if status:
            wanted = set(status.split(","))
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, "status is open or closed")
            if wanted == {"open"}:
                stmt = stmt.where(Matter.status.notin_(CLOSED))
            elif wanted == {"closed"}:
                stmt = stmt.where(Matter.status.in_(CLOSED))
    rows = db_session.scalars(stmt.order_by(Matter.created_at.desc()).limit(1000)).unique().all()
    audit.record("open311.read", object_type="matter", actor_username=_who(key), detail={"rows": len(rows)})
    db_session.commit()
    return _answer(fmt, "service_requests", "request", [_request_row(m, key) for m in rows])


@bp.get("/requests/<request_id>.<fmt>")
def get_request(request_id, fmt):
    fmt = _fmt(fmt)
    key = _key(optional=True)
    matter = None
    if _number(request_id):
        matter = db_session.scalars(select(Matter).where(Matter.number == int(request_id), _visible(key))).unique().one_or_none()
    if matter is None:
        raise Open311Error(404, "No such service request")
    audit.record("open311.read", object_type="matter", object_id=matter.id, actor_username=_who(key))
    db_session.commit()
    return _answer(fmt, "service_requests", "request", [_request_row(matter, key)])


@bp.get("/tokens/<token>.<fmt>")
def token(token, fmt):
    fmt = _fmt(fmt)
    key = _key(optional=True)
    matter = None
    try:
        matter = db_session.scalars(select(Matter).where(Matter.id == uuid.UUID(token), _visible(key))).unique().one_or_none()
    except ValueError:
        pass
    if matter is None:
        raise Open311Error(404, "No such token")
    return _answer(fmt, "service_requests", "request", [{"service_request_id": str(matter.number), "token": token}])


@bp.post("/requests.<fmt>")
def create_request(fmt):
    fmt = _fmt(fmt)
    key = _key()
    ratelimit.hit(f"open311:{key.id}", limit=current_app.config["OPEN311_POSTS_PER_MINUTE"], window_seconds=60)
    form = request.form
    code = form.get("service_code", "")
    if not code:
        raise Open311Error(400, "service_code is required")
    try:
        lat, lng = float(form.get("lat", "")), float(form.get("long", ""))
    except ValueError:
        raise Open311Error(400, "lat and long are required (WGS-84); address_string alone cannot be placed") from None
    if not valid_lng_lat(lng, lat):
        raise Open311Error(400, "lat or long out of range")
    description = (form.get("description") or "").strip()
    if not description:
        raise Open311Error(400, "description is required")
    if len(description) > 2000:
        raise Open311Error(400, "description is longer than 2000 characters")
    contact = {k: form.get(k)[:100] for k in ("first_name", "last_name", "email", "phone", "account_id", "device_id")
               if form.get(k)}
    try:
        matter = matters.submit(db_session, None, {"category": code, "description": description,
                                                   "location": (lng, lat),
                                                   "address": (form.get("address_string") or "")[:200] or None},
                                open311_key=key, contact=contact)
    except GeometryProblem as problem:
        raise Open311Error(400, problem.en) from None
    audit.record("matter.create", object_type="matter", object_id=matter.id, actor_username=f"open311:{key.name}"[:64],
                 detail={"source": "open311"})
    db_session.commit()
    return _answer(fmt, "service_requests", "request",
                   [{"service_request_id": str(matter.number), "token": str(matter.id), "service_notice": "",
                     "account_id": ""}])

