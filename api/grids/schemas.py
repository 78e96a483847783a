import marshmallow as ma

from api.auth.schemas import GridCellRefSchema, PlaceRefSchema
from api.extensions import InputSchema, OutputSchema, Text
from api.geo.coords import CoordSystem
from api.geo.fields import GeoJSONGeometry
from api.i18n import register_messages
from models import CellKind

# Features one import may hold (a district's cells and the places above them); 413 above.
IMPORT_MAX_FEATURES = 20_000
BBOX_FORMAT = "bbox is minLng,minLat,maxLng,maxLat in degrees, min below max."
register_messages({BBOX_FORMAT: "bbox 须为 minLng,minLat,maxLng,maxLat（度），且最小值小于最大值。"})


def coord_system_field(**kw):
    return ma.fields.Enum(CoordSystem, by_value=True, load_default=CoordSystem.wgs84,
                          metadata={"description": "Coordinate system of the point(s): wgs84 (GPS), gcj02 "
                                    "(AMap/Tencent/WeChat), bd09 (Baidu). Stored as WGS-84."}, **kw)


class GridCellQueryArgsSchema(InputSchema):
    community_id = ma.fields.UUID()
    code = ma.fields.String(validate=ma.validate.Regexp(r"^[0-9]{1,20}$"), metadata={"description": "Code prefix"})
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=50), metadata={"description": "Part of the name"})
    kind = ma.fields.Enum(CellKind, by_value=True)


class GridCellSchema(GridCellRefSchema):
    kind = ma.fields.Enum(CellKind, by_value=True, required=True)
    community = ma.fields.Nested(PlaceRefSchema, required=True)
    street = ma.fields.Nested(PlaceRefSchema, required=True)
    district = ma.fields.Nested(PlaceRefSchema, required=True)
    is_demo = ma.fields.Boolean(required=True)


class GridCellDetailSchema(GridCellSchema):
    boundary = GeoJSONGeometry(required=True, metadata={"description": "GeoJSON MultiPolygon, WGS-84"})


class GridCellCreateSchema(InputSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[0-9]{15}$"),
                            metadata={"description": "15 digits: the community's 12 plus a serial"})
    name = Text(required=True, validate=ma.validate.Length(min=1, max=100))
    kind = ma.fields.Enum(CellKind, by_value=True, required=True)
    boundary = ma.fields.Dict(required=True, metadata={"description": "GeoJSON Polygon or MultiPolygon"})
    coord_system = coord_system_field()


class GridCellUpdateSchema(InputSchema):
    name = Text(validate=ma.validate.Length(min=1, max=100))
    kind = ma.fields.Enum(CellKind, by_value=True)
    boundary = ma.fields.Dict(metadata={"description": "GeoJSON Polygon or MultiPolygon"})
    coord_system = coord_system_field()


class LocateArgsSchema(InputSchema):
    lng = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    lat = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-90, 90))
    coord_system = coord_system_field()


class PointSchema(OutputSchema):
    lng = ma.fields.Float(required=True)
    lat = ma.fields.Float(required=True)
    coord_system = ma.fields.String(required=True)


class LocateResultSchema(GridCellSchema):
    point = ma.fields.Nested(PointSchema, required=True, metadata={"description": "The point, in WGS-84"})


class ImportArgsSchema(InputSchema):
    coord_system = coord_system_field()
    dry_run = ma.fields.Boolean(load_default=False, metadata={"description": "Check everything, write nothing"})


class FeatureCollectionSchema(InputSchema):
    type = ma.fields.String(required=True, validate=ma.validate.Equal("FeatureCollection"))
    features = ma.fields.List(ma.fields.Raw(), required=True, validate=ma.validate.Length(min=1), metadata={
        "maxItems": IMPORT_MAX_FEATURES, "description": f"At most {IMPORT_MAX_FEATURES:,} features (413 above)"})
    name = Text(validate=ma.validate.Length(max=200))
    crs = ma.fields.Dict()


class CoverageSchema(OutputSchema):
    community = ma.fields.Nested(PlaceRefSchema, required=True)
    cells = ma.fields.Integer(required=True)
    area_m2 = ma.fields.Float(allow_none=True)
    uncovered_m2 = ma.fields.Float(allow_none=True)
    uncovered_ratio = ma.fields.Float(allow_none=True)
    uncovered = ma.fields.Dict(allow_none=True, metadata={"description": "GeoJSON of the uncovered part, if any"})


class ImportResultSchema(OutputSchema):
    dry_run = ma.fields.Boolean(required=True)
    created = ma.fields.List(ma.fields.String(), required=True)
    updated = ma.fields.List(ma.fields.String(), required=True)
    unchanged = ma.fields.List(ma.fields.String(), required=True)
    relocated_buildings = ma.fields.Integer(required=True, metadata={
        "description": "Buildings (with their households and residents) moved to the cell that now covers them"})
    coverage = ma.fields.List(ma.fields.Nested(CoverageSchema), required=True)


class ExportArgsSchema(InputSchema):
    code = ma.fields.String(validate=ma.validate.Regexp(r"^[0-9]{1,15}$"), metadata={"description": "Code prefix"})
    with_parents = ma.fields.Boolean(load_default=False,
                                     metadata={"description": "Also the district, street and community features"})


class BBox(ma.fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            parts = [float(v) for v in str(value).split(",")]
        except ValueError:
            raise ma.ValidationError(BBOX_FORMAT) from None
        if len(parts) != 4 or not all(abs(v) < float("inf") for v in parts):
            raise ma.ValidationError(BBOX_FORMAT)
        min_lng, min_lat, max_lng, max_lat = parts
        if not (-180 <= min_lng < max_lng <= 180 and -90 <= min_lat < max_lat <= 90):
            raise ma.ValidationError(BBOX_FORMAT)
        return tuple(parts)


class MapArgsSchema(InputSchema):
    bbox = BBox(required=True, metadata={"description": "minLng,minLat,maxLng,maxLat (WGS-84)",
                                         "example": "113.98,33.54,114.08,33.62"})
    coord_system = ma.fields.Enum(CoordSystem, by_value=True, load_default=CoordSystem.wgs84,
                                  metadata={"description": "Coordinates of the answer: wgs84, or gcj02/bd09 for "
                                            "drawing on AMap/Baidu base maps"})


class FeatureCollectionOutSchema(OutputSchema):
    type = ma.fields.String(required=True)
    features = ma.fields.List(ma.fields.Dict(), required=True)


