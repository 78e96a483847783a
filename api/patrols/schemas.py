import marshmallow as ma

from api.auth.schemas import GridCellRefSchema
from api.extensions import InputSchema, OutputSchema
from api.geo.coords import CoordSystem
from api.geo.fields import GeoJSONGeometry, PointInSchema, PointOutSchema
from models import CheckInKind

MAX_POINTS = 10_000  # an eight-hour patrol with a fix every three seconds


class RefUserSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    display_name = ma.fields.String(required=True)


# --- check-ins -----------------------------------------------------------------------------------

class CheckInCreateSchema(InputSchema):
    id = ma.fields.UUID(required=True, metadata={"description": "Made by the phone; a repeat answers 200"})
    kind = ma.fields.Enum(CheckInKind, by_value=True, load_default=CheckInKind.check_in)
    at = ma.fields.AwareDateTime(required=True, metadata={"description": "When, by the phone (sent later when offline)"})
    location = ma.fields.Nested(PointInSchema, required=True)


class CheckInSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    user = ma.fields.Nested(RefUserSchema, required=True)
    kind = ma.fields.Enum(CheckInKind, by_value=True, required=True)
    at = ma.fields.AwareDateTime(required=True)
    day = ma.fields.Date(required=True, metadata={"description": "In China time"})
    location = ma.fields.Nested(PointOutSchema, required=True)
    grid_cell = ma.fields.Nested(GridCellRefSchema, allow_none=True, metadata={"description": "The cell it fell in"})
    in_own_cells = ma.fields.Boolean(required=True, metadata={"description": "Inside one of the user's own cells"})


class DayArgsSchema(InputSchema):
    day = ma.fields.Date(metadata={"description": "YYYY-MM-DD, China time"})
    user_id = ma.fields.UUID()


# --- patrols -------------------------------------------------------------------------------------

class TrackPointSchema(InputSchema):
    lng = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    lat = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-90, 90))
    at = ma.fields.AwareDateTime(required=True)


class PatrolCreateSchema(InputSchema):
    id = ma.fields.UUID(required=True, metadata={"description": "Made by the phone; a repeat answers 200"})
    coord_system = ma.fields.Enum(CoordSystem, by_value=True, load_default=CoordSystem.wgs84,
                                  metadata={"description": "Of every point: wgs84 (GPS), gcj02 or bd09"})
    points = ma.fields.List(ma.fields.Nested(TrackPointSchema), required=True, validate=ma.validate.Length(min=2),
                            metadata={"maxItems": MAX_POINTS,
                                      "description": f"GPS fixes in time order; at most {MAX_POINTS} (413 above)"})


class PatrolCellSchema(OutputSchema):
    grid_cell = ma.fields.Nested(GridCellRefSchema, required=True)
    length_m = ma.fields.Float(required=True, metadata={"description": "Metres of the track inside the cell"})


class PatrolSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    user = ma.fields.Nested(RefUserSchema, required=True)
    started_at = ma.fields.AwareDateTime(required=True)
    ended_at = ma.fields.AwareDateTime(required=True)
    point_count = ma.fields.Integer(required=True)
    length_m = ma.fields.Float(required=True)
    active_seconds = ma.fields.Integer(required=True, metadata={
        "description": "Time between fixes, leaving out gaps longer than PATROL_MAX_GAP_SECONDS"})
    cells = ma.fields.List(ma.fields.Nested(PatrolCellSchema), required=True, metadata={"description": "Cells the track covered"})


class PatrolDetailSchema(PatrolSchema):
    track = GeoJSONGeometry(required=True, metadata={"description": "GeoJSON LineString, WGS-84"})
    point_times = ma.fields.List(ma.fields.AwareDateTime(), required=True, metadata={"description": "One per vertex"})


class DailyArgsSchema(InputSchema):
    date_from = ma.fields.Date(data_key="from", metadata={"description": "First day (default: six days before `to`)"})
    date_to = ma.fields.Date(data_key="to", metadata={"description": "Last day (default: today, China time)"})
    user_id = ma.fields.UUID()


class DailySchema(OutputSchema):
    day = ma.fields.Date(required=True)
    user = ma.fields.Nested(RefUserSchema, required=True)
    patrols = ma.fields.Integer(required=True)
    active_minutes = ma.fields.Float(required=True, metadata={"description": "Patrol time that day"})
    length_m = ma.fields.Float(required=True)
    cells = ma.fields.List(ma.fields.Nested(GridCellRefSchema), required=True, metadata={
        "description": "Cells covered by that day's patrols"})
    first_check_in = ma.fields.AwareDateTime(allow_none=True)
    last_check_out = ma.fields.AwareDateTime(allow_none=True)
