"""The administrative hierarchy and grid cells, as far as the caller's scope reaches."""

from __future__ import annotations

from flask.views import MethodView

from api.context import authenticated, scope
from api.extensions import Blueprint, ErrorSchema, QueryPage
from api.places import service
from api.places.schemas import PlaceDetailSchema, PlaceQueryArgsSchema, PlaceSchema
from models.db import db_session

blp = Blueprint("places", __name__, url_prefix="/api/v1", description="Places: district, streets, communities, grid cells (区划与网格)")


@blp.route("/places")
class Places(MethodView):
    @authenticated("places.read")
    @blp.arguments(PlaceQueryArgsSchema, location="query")
    @blp.response(200, PlaceSchema(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Places under the caller's place (a grid member: their cells; a resident: their cell)."""
        return service.list_places(scope(), **args)


@blp.route("/places/<uuid:place_id>")
class PlaceById(MethodView):
    @authenticated("places.read")
    @blp.response(200, PlaceDetailSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such place within your scope")
    def get(self, place_id):
        """One place with its boundary and ancestors."""
        return service.place_view(service.get_place(db_session, place_id, scope()))
