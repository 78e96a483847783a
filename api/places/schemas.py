import marshmallow as ma

from api.auth.schemas import PlaceRefSchema
from api.extensions import InputSchema, OutputSchema
from api.geo.fields import GeoJSONGeometry
from models import PlaceKind


class PlaceQueryArgsSchema(InputSchema):
    kind = ma.fields.Enum(PlaceKind, by_value=True)
    parent_id = ma.fields.UUID()
    code = ma.fields.String(validate=ma.validate.Regexp(r"^[0-9]{1,20}$"),
                            metadata={"description": "Code prefix, e.g. a community's 12 digits"})
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=50), metadata={"description": "Part of the name"})


class PlaceSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    kind = ma.fields.Enum(PlaceKind, by_value=True, required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    parent_id = ma.fields.UUID(allow_none=True)
    is_demo = ma.fields.Boolean(required=True)


class PlaceDetailSchema(PlaceSchema):
    place_chain = ma.fields.List(ma.fields.Nested(PlaceRefSchema), required=True,
                                 metadata={"description": "Ancestors, from the district down"})
    boundary = GeoJSONGeometry(allow_none=True, metadata={"description": "GeoJSON MultiPolygon, WGS-84"})
