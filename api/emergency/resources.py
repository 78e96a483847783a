"""Emergencies (事件 + 应急处理): incidents, teams, responders, dispatches and the live stream."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask import Response, current_app, request
from flask.views import MethodView
from geoalchemy2.shape import to_shape
from sqlalchemy import exists, func, select
from sqlalchemy.engine import make_url

from api import audit, ledger
from api.context import actor, authenticated, scope
from api.emergency import dispatch as dispatch_service
from api.emergency import incidents as service
from api.emergency import responders as responder_service
from api.emergency import stream
from api.emergency.schemas import (
    DispatchCreateSchema,
    DispatchSchema,
    DispatchTransitionSchema,
    DutySchema,
    IncidentCreateSchema,
    IncidentMessageSchema,
    IncidentQueryArgsSchema,
    IncidentSchema,
    IncidentTransitionSchema,
    MyDispatchArgsSchema,
    PositionSchema,
    RecommendationArgsSchema,
    RecommendationSchema,
    ResponderQueryArgsSchema,
    ResponderSchema,
    ResponderTrackPointSchema,
    TeamCreateSchema,
    TeamMemberSchema,
    TeamSchema,
    TrackArgsSchema,
)
from api.errors import Forbidden, NotFound, ValidationFailed
from api.extensions import Blueprint, ErrorSchema, view_page
from api.geo.fields import point_out
from api.idempotency import commit, idempotent
from api.policy import can, get_or_404, scoped
from models import (
    ACTIVE_DISPATCH,
    COLOURS,
    AuthSession,
    Dispatch,
    DutyStatus,
    Incident,
    IncidentEvent,
    Responder,
    Team,
    User,
)
from models.db import db_session, get_engine

blp = Blueprint("emergencies", __name__, url_prefix="/api/v1",
                description="Event-to-emergency dispatch (事件 + 应急处理): incidents, teams, responders, live stream")


def _settings() -> dict:
    config = current_app.config
    return {"ack_minutes": config["DISPATCH_ACK_MINUTES"], "radius_m": config["INCIDENT_RADIUS_METRES"],
            "fresh_seconds": config["RESPONDER_POSITION_FRESH_SECONDS"]}


def incident_view(incident: Incident, *, detail: bool = False) -> dict:
    out = {c.key: getattr(incident, c.key) for c in Incident.__mapper__.column_attrs if c.key != "location"}
    out |= {"location": point_out(incident.location), "colour": COLOURS[incident.level.value],
            "grid_cell": {"id": incident.grid_cell_id, "code": incident.grid_cell_code, "name": incident.grid_cell_name}
            if incident.grid_cell_id else None}
    if detail:
        items = db_session.scalars(select(Dispatch).where(Dispatch.incident_id == incident.id)
                                   .order_by(Dispatch.dispatched_at, Dispatch.id)).all()
        out["dispatches"] = [dispatch_service.dispatch_view(d) for d in items]
        out["timeline"] = db_session.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
                                             .order_by(IncidentEvent.at, IncidentEvent.id)).all()
        out["summary"] = service.summary(db_session, incident)
    return out


@blp.route("/incidents")
class Incidents(MethodView):
    @authenticated("incidents.read")
    @blp.arguments(IncidentQueryArgsSchema, location="query")
    @blp.response(200, IncidentSchema(many=True))
    @blp.paginate(view_page(incident_view))
    def get(self, args):
        """Incidents within scope (a responder: those dispatched to them), the most serious first."""
        return service.list_incidents(scope(), **args)

    @authenticated("incidents.report")
    @idempotent
    @blp.arguments(IncidentCreateSchema)
    @blp.response(201, IncidentSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="A matter, commander or place not within your scope")
    @blp.alt_response(409, schema=ErrorSchema, description="The matter was already escalated")
    def post(self, body):
        """Open an incident (突发事件): directly with kind, subtype, level and location
        (`coord_system`), or by escalating a matter (`matter_id`: its place, words and link)."""
        incident = service.create(db_session, scope(), actor().user, body)
        audit.record("incident.create", object_type="incident", object_id=incident.id,
                     detail={"level": incident.level.value, "matter_id": str(incident.matter_id)
                             if incident.matter_id else None})
        commit()
        return incident_view(incident, detail=True)


@blp.route("/incidents/<uuid:incident_id>")
class IncidentById(MethodView):
    @authenticated("incidents.read")
    @blp.response(200, IncidentSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="Not within your scope")
    def get(self, incident_id):
        """One incident with its dispatches, command log and after-action summary."""
        return incident_view(get_or_404(db_session, Incident, incident_id, scope()), detail=True)


@blp.route("/incidents/<uuid:incident_id>/transitions")
class IncidentTransitions(MethodView):
    @authenticated("incidents.command")
    @blp.arguments(IncidentTransitionSchema)
    @blp.response(200, IncidentSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The step does not fit the current status")
    def post(self, body, incident_id):
        """respond, contain, close, reopen (with a note), regrade (`level`), command (`commander_id`)."""
        incident = get_or_404(db_session, Incident, incident_id, scope(), for_update=True)
        service.transition(db_session, scope(), actor().user, incident, body["action"], body)
        if incident.status.value == "closed":
            dispatch_service.cancel_live(db_session, incident, actor().user)
        audit.record(f"incident.{body['action']}", object_type="incident", object_id=incident.id)
        db_session.commit()
        return incident_view(incident, detail=True)


@blp.route("/incidents/<uuid:incident_id>/messages")
class IncidentMessages(MethodView):
    @authenticated("incidents.read")
    @blp.arguments(IncidentMessageSchema)
    @blp.response(201, IncidentSchema)
    def post(self, body, incident_id):
        """Add a message to the command log (指挥日志): commanders and the responders sent to it."""
        incident = get_or_404(db_session, Incident, incident_id, scope())
        current = actor()
        if not can(current.role, "incidents.command") and not db_session.scalar(select(exists().where(
                Dispatch.incident_id == incident.id, Dispatch.responder_id == current.id))):
            raise Forbidden()  # a grid member reads the incidents of their cells, but is no commander
        service.log(db_session, incident, actor().user, "message", body["message"])
        db_session.commit()
        return incident_view(incident, detail=True)


@blp.route("/incidents/<uuid:incident_id>/recommendations")
class Recommendations(MethodView):
    @authenticated("incidents.command")
    @blp.arguments(RecommendationArgsSchema, location="query")
    @blp.response(200, RecommendationSchema(many=True))
    def get(self, args, incident_id):
        """Available on-duty responders of the teams it needs, nearest first, with `distance_m`
        (PostGIS KNN `<->` on the geography index; within `radius_m`, default
        INCIDENT_RADIUS_METRES; positions at most RESPONDER_POSITION_FRESH_SECONDS old)."""
        incident = get_or_404(db_session, Incident, incident_id, scope())
        settings = _settings()
        live = select(Dispatch.responder_id).where(Dispatch.incident_id == incident.id,
                                                   Dispatch.status.in_(ACTIVE_DISPATCH))
        return responder_service.candidates(db_session, scope(), incident,
                                            radius_m=args.get("radius_m") or settings["radius_m"],
                                            fresh_seconds=settings["fresh_seconds"], limit=args["limit"],
                                            exclude=live)


@blp.route("/incidents/<uuid:incident_id>/dispatches")
class IncidentDispatches(MethodView):
    @authenticated("incidents.command")
    @idempotent
    @blp.arguments(DispatchCreateSchema)
    @blp.response(201, DispatchSchema(many=True))
    @blp.alt_response(409, schema=ErrorSchema, description="Closed, or a responder already on it")
    def post(self, body, incident_id):
        """Dispatch responders (`responder_ids`, from the recommendations): each must be on duty,
        available and of a needed team; they get it on the stream and as a notification."""
        incident = get_or_404(db_session, Incident, incident_id, scope(), for_update=True)
        sent = dispatch_service.dispatch(db_session, scope(), actor().user, incident, body["responder_ids"],
                                         ack_minutes=_settings()["ack_minutes"])
        audit.record("incident.dispatch", object_type="incident", object_id=incident.id,
                     detail={"dispatches": [str(d.id) for d in sent]})
        commit()
        return [dispatch_service.dispatch_view(d, incident) for d in sent]


@blp.route("/dispatches/<uuid:dispatch_id>/transitions")
class DispatchTransitions(MethodView):
    @authenticated("responders.self")
    @blp.arguments(DispatchTransitionSchema)
    @blp.response(200, DispatchSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The step does not fit the dispatch's status")
    def post(self, body, dispatch_id):
        """The responder's answer: acknowledge, decline (with a note), en_route, on_scene, done.
        Sending the step it is already at again answers 200 and changes nothing (a phone's retry)."""
        item = db_session.scalars(select(Dispatch).where(Dispatch.id == dispatch_id,
                                                         Dispatch.responder_id == actor().id)
                                  .with_for_update(of=Dispatch)).one_or_none()
        if item is None:
            raise NotFound()
        if item.status.value != dispatch_service.FLOW[body["action"]].target.value:
            dispatch_service.act(db_session, actor().user, item, body["action"], body.get("note"))
            audit.record(f"dispatch.{body['action']}", object_type="dispatch", object_id=item.id)
            db_session.commit()
        return dispatch_service.dispatch_view(item, db_session.get(Incident, item.incident_id))


@blp.route("/responders/me/dispatches")
class MyDispatches(MethodView):
    @authenticated("responders.self")
    @blp.arguments(MyDispatchArgsSchema, location="query")
    @blp.response(200, DispatchSchema(many=True))
    @blp.paginate(view_page(lambda d: dispatch_service.dispatch_view(d, db_session.get(Incident, d.incident_id))))
    def get(self, args):
        """My dispatches, the newest first (`active`: not done or declined)."""
        stmt = select(Dispatch).where(Dispatch.responder_id == actor().id)
        if args.get("active"):
            stmt = stmt.where(Dispatch.status.in_(ACTIVE_DISPATCH))
        return stmt.order_by(Dispatch.dispatched_at.desc(), Dispatch.id)


def responder_view(responder: Responder) -> dict:
    return {"user_id": responder.user_id, "name": responder.user.display_name, "team_id": responder.team_id,
            "team": responder.team.kind.value, "skills": responder.skills, "duty_status": responder.duty_status,
            "position": point_out(to_shape(responder.position)) if responder.position is not None else None,
            "position_at": responder.position_at, "accuracy_m": responder.accuracy_m}


@blp.route("/responders/me/position")
class MyPosition(MethodView):
    @authenticated("responders.self")
    @blp.arguments(PositionSchema)
    @blp.response(200, ResponderSchema)
    @blp.alt_response(429, schema=ErrorSchema, description="Sooner than RESPONDER_POSITION_MIN_SECONDS after the last")
    def post(self, body):
        """My phone's position (`coord_system`: wgs84, gcj02 or bd09), at most every few seconds:
        kept as the latest point and on a bounded track; the console sees it live."""
        config = current_app.config
        responder = responder_service.report_position(
            db_session, actor().user, body["lng"], body["lat"], at=body.get("at"), accuracy_m=body.get("accuracy_m"),
            min_seconds=config["RESPONDER_POSITION_MIN_SECONDS"], track_hours=config["RESPONDER_TRACK_HOURS"])
        db_session.commit()
        return responder_view(responder)


@blp.route("/responders/me/duty")
class MyDuty(MethodView):
    @authenticated("responders.self")
    @blp.arguments(DutySchema)
    @blp.response(200, ResponderSchema)
    def post(self, body):
        """Go on or off duty (在岗 / 离岗); while on a dispatch one stays busy until it is done."""
        responder = responder_service.set_duty(db_session, actor().user, body["duty_status"])
        audit.record("responder.duty", object_type="user", object_id=actor().id,
                     detail={"duty_status": responder.duty_status.value})
        db_session.commit()
        return responder_view(responder)


@blp.route("/responders/me")
class Me(MethodView):
    @authenticated("responders.self")
    @blp.response(200, ResponderSchema)
    def get(self):
        """My team, skills, duty status and last position."""
        return responder_view(responder_service.me(db_session, actor().user))


@blp.route("/responders")
class Responders(MethodView):
    @authenticated("teams.read")
    @blp.arguments(ResponderQueryArgsSchema, location="query")
    @blp.response(200, ResponderSchema(many=True))
    @blp.paginate(view_page(responder_view))
    def get(self, args):
        """Team members of your area's teams (and of the teams above it), with duty status and
        latest position."""
        return responder_service.list_responders(scope(), **args)


@blp.route("/responders/<uuid:user_id>/track")
class Track(MethodView):
    @authenticated("teams.read")
    @blp.arguments(TrackArgsSchema, location="query")
    @blp.response(200, ResponderTrackPointSchema(many=True))
    def get(self, args, user_id):
        """A responder's track since `since` (default the last hour; at most 5,000 points)."""
        responder = db_session.scalars(scoped(select(Responder).where(Responder.user_id == user_id), Responder,
                                              scope())).one_or_none()
        if responder is None:
            raise NotFound()
        since = args.get("since") or datetime.now(UTC) - timedelta(hours=1)
        return responder_service.track(db_session, responder.user_id, since)


def team_view(team: Team) -> dict:
    members, on_duty = db_session.execute(select(func.count(), func.count().filter(
        Responder.duty_status == DutyStatus.on_duty)).where(Responder.team_id == team.id)).one()
    return {"id": team.id, "place": team.place, "kind": team.kind, "name": team.name, "members": members,
            "on_duty": on_duty}


@blp.route("/teams")
class Teams(MethodView):
    @authenticated("teams.read")
    @blp.response(200, TeamSchema(many=True))
    @blp.paginate(view_page(team_view))
    def get(self):
        """The four teams (综治协管 governance, 矛盾调解 mediation, 治安巡防 patrol, 应急救援 rescue) of
        your area and of the places above it."""
        return scoped(select(Team), Team, scope()).order_by(Team.place_id, Team.kind)

    @authenticated("teams.write")
    @blp.arguments(TeamCreateSchema)
    @blp.response(201, TeamSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The place already has a team of this kind")
    def post(self, body):
        """Form a team for a street or community of your area."""
        team = responder_service.create_team(db_session, scope(), body)
        audit.record("team.create", object_type="team", object_id=team.id)
        db_session.commit()
        return team_view(team)


@blp.route("/teams/<uuid:team_id>/members")
class TeamMembers(MethodView):
    @authenticated("teams.write")
    @blp.arguments(TeamMemberSchema)
    @blp.response(200, ResponderSchema)
    def post(self, body, team_id):
        """Put a responder or grid member on this team (moving them from another), with skills."""
        team = get_or_404(db_session, Team, team_id, scope())
        responder_service.check_own_team(db_session, scope(), team)
        responder = responder_service.put_member(db_session, scope(), team, body)
        audit.record("team.member", object_type="team", object_id=team.id, detail={"user_id": str(body["user_id"])})
        db_session.commit()
        return responder_view(responder)


def database_dsn() -> str:
    url = make_url(current_app.config["DATABASE_URL"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@blp.route("/stream")
class Stream(MethodView):
    @authenticated("stream.read")
    @blp.doc(responses={"200": {"description": "text/event-stream: events `dispatch.created`, `dispatch.acknowledge`, "
                                               "… `responder.position`, `incident.updated`; each with an `id` to "
                                               "resume from (`Last-Event-ID`)",
                                "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
    def get(self):
        """Server-Sent Events for phones and the console: a responder gets their dispatches; staff
        the dispatches, acknowledgements, incident changes and responder positions of their area.
        Reconnect with `Last-Event-ID` to get what was missed (at least once: an event may come
        twice). The stream ends when the access token expires or the session is logged out:
        reconnect with a fresh token."""
        last = request.headers.get("Last-Event-ID") or request.args.get("last_event_id") or None
        try:
            if last is not None:
                stream.parse_position(last)
        except ValueError:
            raise ValidationFailed({"Last-Event-ID": [("须为收到的事件 id。", "An event id as received.")]}) from None
        subscriber = stream.Subscriber.for_scope(scope())
        expires = actor().expires_at or (time.time() + 900)
        until = time.monotonic() + max(expires - time.time(), 1)
        dsn, keepalive = database_dsn(), current_app.config["STREAM_KEEPALIVE_SECONDS"]
        session_id, user_id, engine = actor().session_id, actor().id, get_engine()
        db_session.remove()  # the stream holds no pooled connection while it waits

        def still_valid() -> bool:
            now = datetime.now(UTC)
            with engine.connect() as conn:
                return bool(conn.scalar(select(exists().where(
                    AuthSession.id == session_id, AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None),
                    AuthSession.expires_at > now, User.id == user_id, User.is_active.is_(True)))))

        body = stream.events(dsn, subscriber, last, keepalive=keepalive, until=until, connect=engine.raw_connection,
                             still_valid=still_valid)
        response = Response(body, mimetype="text/event-stream")
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events on at once
        return response


INCIDENT_COLUMNS = ("编号", "标题", "类型", "子类", "等级", "状态", "网格", "地址", "发生时间", "响应时间", "控制时间", "结束时间")


@blp.route("/incidents/export.xlsx")
class IncidentsExport(MethodView):
    @authenticated("incidents.read")
    @blp.arguments(IncidentQueryArgsSchema, location="query")
    @blp.doc(**ledger.XLSX_DOC)
    def get(self, args):
        """The filtered incidents as an Excel ledger (突发事件台账), the most serious first, at most
        10,000 rows; the export is audited."""
        return ledger.export(
            service.list_incidents(scope(), **args), title="突发事件台账", filename="incidents.xlsx",
            columns=INCIDENT_COLUMNS, action="incident.export", object_type="incident", filters=args,
            row=lambda i: [i.number, i.title, i.kind.value, i.subtype, i.level.value, i.status.value,
                           i.grid_cell_name or "", i.address or "", ledger.when(i.opened_at),
                           ledger.when(i.responding_at), ledger.when(i.contained_at), ledger.when(i.closed_at)])
