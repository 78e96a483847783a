import marshmallow as ma

from api.auth.schemas import GridCellRefSchema, PlaceRefSchema, UnitRefSchema
from api.extensions import MOBILE, InputSchema, OutputSchema, Text
from api.i18n import register_messages
from models import Role

USERNAME_CHARS = "3–64 letters, digits or _ . @ -."
USERNAME_NOT_PHONE = "A username may not look like a mobile number."
register_messages({
    USERNAME_CHARS: "须为 3–64 位字母、数字或 _ . @ -。",
    USERNAME_NOT_PHONE: "用户名不能是手机号的形式。",
})

USERNAME = ma.validate.And(
    ma.validate.Regexp(r"^[A-Za-z0-9_.@-]{3,64}$", error=USERNAME_CHARS),
    # a mobile number logs in as the phone of its account: a username like one would be ambiguous
    ma.validate.Regexp(r"^(?!1[0-9]{10}$)", error=USERNAME_NOT_PHONE),
)
PHONE = MOBILE


class UserQueryArgsSchema(InputSchema):
    role = ma.fields.Enum(Role, by_value=True)
    place_id = ma.fields.UUID(metadata={"description": "Users of this place and everything under it"})
    is_active = ma.fields.Boolean()
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=50), metadata={"description": "Part of the name or username"})


class UserSchema(OutputSchema):
    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    display_name = Text(required=True)
    phone = ma.fields.String(allow_none=True)
    role = ma.fields.Enum(Role, by_value=True, required=True)
    place = ma.fields.Nested(PlaceRefSchema, required=True)
    grid_cells = ma.fields.List(ma.fields.Nested(GridCellRefSchema), required=True)
    unit = ma.fields.Nested(UnitRefSchema, allow_none=True)
    is_active = ma.fields.Boolean(required=True)
    is_demo = ma.fields.Boolean(required=True)
    last_login_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime(required=True)


class UserCreateSchema(InputSchema):
    username = ma.fields.String(required=True, validate=[USERNAME, ma.validate.Length(min=3, max=64)])
    display_name = Text(required=True, validate=ma.validate.Length(min=1, max=50))
    phone = ma.fields.String(allow_none=True, validate=PHONE)
    role = ma.fields.Enum(Role, by_value=True, required=True)
    place_id = ma.fields.UUID(required=True, metadata={"description": "Where the user belongs (see the role rules)"})
    unit_id = ma.fields.UUID(allow_none=True, metadata={"description": "Handling-unit staff only"})
    grid_cell_ids = ma.fields.List(ma.fields.UUID(), validate=ma.validate.Length(max=20),
                                   metadata={"description": "Grid members only: the cells they look after"})
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=1, max=128))


class UserUpdateSchema(InputSchema):
    display_name = Text(validate=ma.validate.Length(min=1, max=50))
    phone = ma.fields.String(allow_none=True, validate=PHONE)
    is_active = ma.fields.Boolean(metadata={"description": "false ends every session of the account at once"})
    grid_cell_ids = ma.fields.List(ma.fields.UUID(), validate=ma.validate.Length(min=1, max=20))
    password = ma.fields.String(load_only=True, validate=ma.validate.Length(min=1, max=128),
                                metadata={"description": "A new password set by the administrator"})
