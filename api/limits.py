"""Caps on what one request may send: the body's size, whatever way it comes, and the lists in it.

``MAX_CONTENT_LENGTH`` (1 MiB) bounds every body, ``PHOTO_MAX_BYTES`` an upload and the grid
import's own cap an import (those views raise ``request.max_content_length`` before anything reads
the body). A body with a ``Content-Length`` over the cap is refused before it is read; one streamed
without it (``Transfer-Encoding: chunked``) is read up to the cap and refused as soon as it goes
past — werkzeug's own stream would silently cut it at the cap and hand the parser the first
megabyte, which then fails as malformed JSON instead of saying 413.

A batch (visits in a sync, fixes in a patrol track, features in an import) longer than its cap is
refused whole with 413 ``too_many_items`` naming the list: :func:`cap_items`.
"""

from __future__ import annotations

from typing import IO

from flask import Request as FlaskRequest
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from api.errors import DomainError


class _CappedStream(LimitedStream):
    """A chunked body read up to the cap: more than the cap is a 413, never a truncated body."""

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class Request(FlaskRequest):
    @cached_property
    def stream(self) -> IO[bytes]:
        if self.shallow:
            raise RuntimeError("This request was created with 'shallow=True', reading from the input stream is disabled.")
        limit = self.max_content_length
        if self.content_length is None and limit is not None and "wsgi.input_terminated" in self.environ:
            return _CappedStream(self.environ["wsgi.input"], limit, is_max=True)
        return get_input_stream(self.environ, max_content_length=limit)


def cap_items(field: str, items: list, limit: int) -> None:
    """413 ``too_many_items`` naming ``field`` when the list holds more than ``limit`` items."""
    if len(items) > limit:
        raise DomainError("too_many_items", status=413, field=field, limit=limit,
                          errors={field: [(f"至多 {limit} 条。", f"At most {limit} items.")]})
