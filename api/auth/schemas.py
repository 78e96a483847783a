import marshmallow as ma

from api.extensions import InputSchema, OutputSchema


class LoginSchema(InputSchema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64),
                                metadata={"description": "Username, or the 11-digit mobile number"})
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128), load_only=True)
    cookie = ma.fields.Boolean(load_default=False, metadata={
        "description": "Browsers: keep the tokens in httpOnly cookies instead of the body, and send the "
                       "returned csrf_token as X-CSRF-Token on every write"})


class RefreshSchema(InputSchema):
    refresh_token = ma.fields.String(validate=ma.validate.Length(min=1, max=200), metadata={
        "description": "Omit in a cookie session: the cookie's is used"})


class TokenSchema(OutputSchema):
    access_token = ma.fields.String(metadata={"description": "Not in a cookie session"})
    refresh_token = ma.fields.String(metadata={"description": "Not in a cookie session"})
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer",
                                                           "description": "Bearer, or cookie for a cookie session"})
    csrf_token = ma.fields.String(metadata={"description": "A cookie session's: send as X-CSRF-Token on writes"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Seconds the access token lives"})


class PasswordChangeSchema(InputSchema):
    current_password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128), load_only=True)
    new_password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128), load_only=True)


class PlaceRefSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    kind = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class GridCellRefSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class UnitRefSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)


class MeSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    phone = ma.fields.String(allow_none=True)
    role = ma.fields.String(required=True)
    place = ma.fields.Nested(PlaceRefSchema, required=True, metadata={"description": "The place the user belongs to"})
    place_chain = ma.fields.List(ma.fields.Nested(PlaceRefSchema), required=True,
                                 metadata={"description": "From the district down to the user's place"})
    grid_cells = ma.fields.List(ma.fields.Nested(GridCellRefSchema),
                                metadata={"description": "Grid members only: the cells they look after"})
    unit = ma.fields.Nested(UnitRefSchema, metadata={"description": "Handling-unit staff only: their unit"})
