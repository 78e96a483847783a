"""Photo upload (before a report or a transition references them) and download."""

from __future__ import annotations

import functools

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from sqlalchemy import or_, select

from api import audit, ratelimit
from api.context import actor, authenticated, scope
from api.errors import DomainError, NotFound, ValidationFailed
from api.extensions import Blueprint, ErrorSchema, OutputSchema
from api.idempotency import commit, idempotent
from api.petitions.service import STAFF as PETITION_STAFF
from api.photos import service
from api.policy import can, scoped
from models import Matter, Petition, Photo, Visit
from models.db import db_session

blp = Blueprint("photos", __name__, url_prefix="/api/v1", description="Photos of matters (照片)")


class PhotoSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    content_type = ma.fields.String(required=True)
    width = ma.fields.Integer(required=True)
    height = ma.fields.Integer(required=True)
    size = ma.fields.Integer(required=True)
    created_at = ma.fields.AwareDateTime(required=True)


def _photo_body_limit(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = current_app.config["PHOTO_MAX_BYTES"] + 64 * 1024  # form overhead
        return view(*args, **kwargs)

    return wrapper


@blp.route("/photos")
class Photos(MethodView):
    @_photo_body_limit
    @authenticated("photos.upload")
    @idempotent
    @blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}})
    @blp.response(201, PhotoSchema)
    @blp.alt_response(413, schema=ErrorSchema, description="Over PHOTO_MAX_BYTES")
    def post(self):
        """Upload a photo (multipart field `file`; JPEG, PNG or WebP). It is checked to be a real
        image, re-encoded, and stripped of EXIF (the position too); reference it by id afterwards.
        With an `Idempotency-Key` a retried upload (same key, same file) answers the first photo
        instead of storing another."""
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed({"file": [service.Msg.missing]})
        ratelimit.per_user("photos", current_app.config["PHOTOS_PER_HOUR"])
        raw = upload.read(current_app.config["PHOTO_MAX_BYTES"] + 1)
        if len(raw) > current_app.config["PHOTO_MAX_BYTES"]:
            raise DomainError("payload_too_large", status=413, limit=current_app.config["PHOTO_MAX_BYTES"])
        photo = service.store(db_session, actor().user, raw)
        audit.record("photo.upload", object_type="photo", object_id=photo.id)
        commit()
        return photo


@blp.route("/photos/<uuid:photo_id>")
class PhotoById(MethodView):
    @authenticated("matters.read")
    @blp.doc(responses={"200": {"description": "The JPEG", "content": {"image/jpeg": {
        "schema": {"type": "string", "format": "binary"}}}}})
    @blp.alt_response(404, schema=ErrorSchema, description="No such photo within your scope")
    def get(self, photo_id):
        """A photo: one's own upload, or one of a matter, a door-knock visit or (petition staff) a
        petition within scope; reading a petition's is audited."""
        matter = scoped(select(Matter.id).where(Matter.id == Photo.matter_id), Matter, scope())
        visit = select(Visit.id).where(Visit.id == Photo.visit_id)
        visit = scoped(visit, Visit, scope()) if can(actor().role, "visits.read") else None
        # a petition's attachments may name the petitioner: petition staff only (never the unit)
        petition = (scoped(select(Petition.id).where(Petition.id == Photo.petition_id), Petition, scope())
                    if actor().role in PETITION_STAFF else None)
        photo = db_session.scalars(select(Photo).where(Photo.id == photo_id, or_(
            Photo.uploader_id == actor().id, matter.exists(),
            *(clause.exists() for clause in (visit, petition) if clause is not None),
        ))).one_or_none()
        if photo is None:
            raise NotFound()
        if photo.petition_id is not None:
            audit.record("petition.photo.read", object_type="petition", object_id=photo.petition_id,
                         detail={"photo_id": str(photo.id)})
            db_session.commit()
        response = Response(photo.data, mimetype=photo.content_type)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response
