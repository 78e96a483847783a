"""Checking and storing photos: a real image, within the size cap, re-encoded without EXIF."""

from __future__ import annotations

import hashlib
import io
import uuid

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import NotFound, ValidationFailed
from models import Photo, User

MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them
MAX_SIDE = 4096  # larger photos are scaled down: enough to see a broken handrail
FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO"}


class Msg:
    not_image = ("不是可识别的图片（支持 JPEG、PNG、WebP）。", "Not a readable image (JPEG, PNG or WebP).")
    too_many_pixels = ("图片像素过多。", "The image has too many pixels.")
    missing = ("请上传文件（字段名 file）。", "Upload a file in the field 'file'.")
    not_yours = ("照片不存在、不属于您或已被使用。", "No such photo of yours, or it is already attached.")


def store(db: Session, uploader: User, raw: bytes) -> Photo:
    """Decode, orient, drop every EXIF field (position included), re-encode as JPEG, keep."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in FORMATS:
                raise ValidationFailed({"file": [Msg.not_image]})
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationFailed({"file": [Msg.too_many_pixels]})
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            image = ImageOps.exif_transpose(image)  # keep what the camera meant, then forget the EXIF
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)  # no exif= argument: none is written
    except ValidationFailed:
        raise
    except Exception:  # Pillow raises many kinds (TypeError, struct.error…) on crafted files
        raise ValidationFailed({"file": [Msg.not_image]}) from None
    data = out.getvalue()
    photo = Photo(id=uuid.uuid4(), uploader_id=uploader.id, content_type="image/jpeg", width=image.width,
                  height=image.height, size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data)
    db.add(photo)
    db.flush()
    return photo


def attach(db: Session, uploader: User, photo_ids: list, matter_id, purpose: str) -> list[Photo]:
    """Attach the uploader's own, still unattached photos to a matter."""
    photos = _claim(db, uploader, photo_ids)
    for photo in photos:
        photo.matter_id, photo.purpose = matter_id, purpose
    db.flush()
    return photos


def attach_to_visit(db: Session, uploader: User, visit_id, photo_ids: list) -> None:
    """Make a visit's photos exactly ``photo_ids``: the visitor's own uploads, unattached or already
    this visit's (a repeated sync sends them again); photos left out go back to being uploads."""
    wanted = set(photo_ids)
    current = set(db.scalars(select(Photo.id).where(Photo.visit_id == visit_id).with_for_update()))
    for photo in _claim(db, uploader, list(wanted - current)):
        photo.visit_id, photo.purpose = visit_id, "visit"
    for photo in db.scalars(select(Photo).where(Photo.id.in_(current - wanted))):
        photo.visit_id, photo.purpose = None, None
    db.flush()


def attach_to_petition(db: Session, uploader: User, petition_id, photo_ids: list) -> None:
    """Attach the registrar's own unattached uploads (a scanned letter, a photo of the site) to a
    petition: shown to petition staff only, as they may name the petitioner."""
    for photo in _claim(db, uploader, photo_ids):
        photo.petition_id, photo.purpose = petition_id, "petition"
    db.flush()


def _claim(db: Session, uploader: User, photo_ids: list) -> list[Photo]:
    if not photo_ids:
        return []
    photos = db.scalars(select(Photo).where(Photo.id.in_(photo_ids), Photo.uploader_id == uploader.id,
                                            Photo.matter_id.is_(None), Photo.visit_id.is_(None),
                                            Photo.petition_id.is_(None))
                        .with_for_update()).all()
    if len(photos) != len(set(photo_ids)):
        raise NotFound(errors={"photo_ids": [Msg.not_yours]})
    return photos
