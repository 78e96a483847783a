"""Tests for api.i18n: Accept-Language negotiation and message translation."""

from __future__ import annotations

import copy
import enum
import inspect
import re

import pytest
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from webargs import core as webargs_core
from webargs import fields as webargs_fields

from api.i18n import SUPPORTED, negotiate, translate_errors, translate_message

CJK = re.compile(r"[\u4e00-\u9fff]")
LOWER_ASCII = re.compile(r"[a-z]")


def _leaves(errors):
    """Yield every message string of a marshmallow-style error structure."""
    if isinstance(errors, str):
        yield errors
    elif isinstance(errors, dict):
        for value in errors.values():
            yield from _leaves(value)
    elif isinstance(errors, (list, tuple)):
        for item in errors:
            yield from _leaves(item)


def _assert_chinese(message: str, allowed_values: tuple[str, ...] = ()) -> None:
    """Assert a translated message is Chinese, ignoring values quoted from input/choices."""
    assert CJK.search(message), message
    stripped = message
    for value in sorted(allowed_values, key=len, reverse=True):
        stripped = stripped.replace(value, "")
    assert not LOWER_ASCII.search(stripped), message


# ---------------------------------------------------------------------------
# negotiate
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh"),
        ("", "zh"),
        ("   ", "zh"),
        ("en", "en"),
        ("EN", "en"),
        ("en-US", "en"),
        ("en-US,en;q=0.9", "en"),
        ("en_GB", "en"),
        ("zh", "zh"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("zh-TW", "zh"),
        ("en;q=0.5, zh;q=0.9", "zh"),
        ("zh;q=0.5, en;q=0.9", "en"),
        ("en, zh", "en"),
        ("zh, en", "zh"),
        ("fr", "zh"),
        ("fr-FR,fr;q=0.9", "zh"),
        ("fr, en;q=0.1", "en"),
        ("*", "zh"),
        ("en, *;q=0.5", "en"),
        ("en;q=0.5, *", "zh"),
        ("en;q=0", "zh"),
        ("en;q=0, *", "zh"),
        ("de;q=1.0, en-US;q=0.7, zh;q=0.3", "en"),
    ],
)
def test_negotiate(header, expected):
    """negotiate picks English only when the header prefers it, else Chinese."""
    assert negotiate(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        ";;;",
        ",,,",
        "en;q=",
        "en;q=abc",
        "en;q=nan",
        "en;q=inf",
        "en;q=-1",
        "en;q=5",
        "q=0.9",
        "en-;q=1",
        "-en",
        "en;;q=0.2",
        "\x00\x01",
        "中文",
        "en" * 5000,
        ", ".join(["en;q=0.1"] * 1000),
    ],
)
def test_negotiate_malformed_headers_do_not_raise(header):
    """Malformed Accept-Language headers never raise and yield a supported language."""
    assert negotiate(header) in SUPPORTED


def test_negotiate_ignores_malformed_entries():
    """Malformed entries are skipped while valid ones are still honoured."""
    assert negotiate("en;q=abc, zh;q=0.1") == "zh"
    assert negotiate("garbage!!, en;q=0.4") == "en"
    assert negotiate("en;q=5") == "en"  # out-of-range q is clamped to 1


def test_negotiate_non_string_input():
    """Non-string values fall back to the default language."""
    assert negotiate(b"en") == "zh"  # type: ignore[arg-type]
    assert negotiate(42) == "zh"  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# translate_message
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Missing data for required field.", "缺少必填字段。"),
        ("Not a valid integer.", "不是有效的整数。"),
        ("Unknown field.", "未知字段。"),
        ("Field may not be null.", "该字段不能为空值。"),
        ("Invalid input type.", "输入类型无效。"),
        ("Invalid value.", "值无效。"),
        ("Not a valid email address.", "不是有效的电子邮件地址。"),
        ("Not a valid boolean.", "不是有效的布尔值。"),
        ("Not a valid UUID.", "不是有效的 UUID。"),
        ("Not a valid date.", "不是有效的日期。"),
        ("Invalid JSON body.", "无效的 JSON 请求体。"),
        ("Not a valid delimited list.", "不是有效的分隔列表。"),
        (
            "Special numeric values (nan or infinity) are not permitted.",
            "不允许使用特殊数值（非数字或无穷大）。",
        ),
    ],
)
def test_translate_fixed_messages(message, expected):
    """Fixed library messages map to their Chinese text."""
    assert translate_message(message, "zh") == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Longer than maximum length 10.", "长度不能超过 10。"),
        ("Shorter than minimum length 2.", "长度不能少于 2。"),
        ("Length must be between 1 and 3.", "长度必须介于 1 和 3 之间。"),
        ("Length must be 3.", "长度必须为 3。"),
        ("Must be greater than or equal to 1.", "必须大于或等于 1。"),
        ("Must be greater than 1.", "必须大于 1。"),
        ("Must be less than or equal to 100.", "必须小于或等于 100。"),
        ("Must be less than 0.5.", "必须小于 0.5。"),
        (
            "Must be greater than or equal to 1 and less than or equal to 100.",
            "必须大于或等于 1 且小于或等于 100。",
        ),
        ("Must be greater than 0 and less than 10.", "必须大于 0 且小于 10。"),
        ("Must be one of: draft, published.", "必须是以下值之一：draft, published。"),
        ("Must be equal to 42.", "必须等于 42。"),
        (
            "One or more of the choices you made was not in: a, b.",
            "所选的一个或多个值不在可选范围内：a, b。",
        ),
        (
            "One or more of the choices you made was in: x, y.",
            "所选的一个或多个值不能是以下值：x, y。",
        ),
        ("Not a valid datetime.", "不是有效的日期时间。"),
        ("Not a valid time.", "不是有效的时间。"),
        ("Not a valid naive datetime.", "不是有效的不含时区信息的日期时间。"),
        ("Not a valid aware datetime.", "不是有效的含时区信息的日期时间。"),
        ('"abc" cannot be formatted as a datetime.', "“abc”无法格式化为日期时间。"),
        ("'abc' cannot be formatted as a timedelta.", "'abc' 无法格式化为时间间隔。"),
    ],
)
def test_translate_parameterized_messages(message, expected):
    """Templated messages are matched and rendered with the captured values."""
    assert translate_message(message, "zh") == expected


def test_translate_message_english_and_unknown_unchanged():
    """English requests and unknown messages are returned unchanged."""
    assert translate_message("Not a valid integer.", "en") == "Not a valid integer."
    assert translate_message("Longer than maximum length 10.", "en") == (
        "Longer than maximum length 10."
    )
    assert translate_message("Something custom went wrong.", "zh") == "Something custom went wrong."
    assert translate_message("Not a valid gizmo.", "zh") == "Not a valid gizmo."
    assert translate_message("用户名已存在。", "zh") == "用户名已存在。"
    assert translate_message("", "zh") == ""


def test_translate_message_values_with_braces_are_safe():
    """Captured values containing braces or newlines are copied verbatim."""
    assert translate_message("Must be one of: {a}, {b}.", "zh") == "必须是以下值之一：{a}, {b}。"
    assert translate_message("Must be equal to x\ny.", "zh") == "必须等于 x\ny。"


# ---------------------------------------------------------------------------
# translate_errors
# ---------------------------------------------------------------------------


def test_translate_errors_keeps_shape_and_does_not_mutate():
    """Nested dicts, integer index keys and lists keep their shape; input is untouched."""
    errors = {
        "name": ["Missing data for required field."],
        "code": ["Longer than maximum length 3.", "Custom message."],
        "address": {"city": ["Field may not be null."], "_schema": ["Invalid input type."]},
        "items": {
            0: {"qty": ["Not a valid integer."]},
            2: {"sku": ["Unknown field."]},
        },
        "tags": {1: ["Not a valid string."]},
        "json": "Invalid JSON body.",
        "pair": ("Not a valid tuple.",),
        "mixed": ["Must be greater than or equal to 0.", {"inner": ["Invalid value."]}],
    }
    snapshot = copy.deepcopy(errors)

    result = translate_errors(errors, "zh")

    assert errors == snapshot
    assert result == {
        "name": ["缺少必填字段。"],
        "code": ["长度不能超过 3。", "Custom message."],
        "address": {"city": ["该字段不能为空值。"], "_schema": ["输入类型无效。"]},
        "items": {
            0: {"qty": ["不是有效的整数。"]},
            2: {"sku": ["未知字段。"]},
        },
        "tags": {1: ["不是有效的字符串。"]},
        "json": "无效的 JSON 请求体。",
        "pair": ("不是有效的元组。",),
        "mixed": ["必须大于或等于 0。", {"inner": ["值无效。"]}],
    }
    assert list(result) == list(errors)
    assert list(result["items"]) == [0, 2]
    assert result is not errors
    assert result["items"] is not errors["items"]


def test_translate_errors_english_and_scalars():
    """English leaves messages as they are; plain strings and non-strings are handled."""
    errors = {"a": ["Not a valid integer."], "b": {0: ["Unknown field."]}}
    assert translate_errors(errors, "en") == errors
    assert translate_errors("Unknown field.", "zh") == "未知字段。"
    assert translate_errors(["Unknown field."], "zh") == ["未知字段。"]
    assert translate_errors(None, "zh") is None
    assert translate_errors({}, "zh") == {}


# ---------------------------------------------------------------------------
# Real marshmallow errors
# ---------------------------------------------------------------------------


class Status(enum.Enum):
    """Sample enum for the Enum field."""

    DRAFT = "draft"
    DONE = "done"


class AddressSchema(Schema):
    """Nested schema used by ProbeSchema."""

    city = fields.Str(required=True)
    zip_code = fields.Str(validate=validate.Regexp(r"^\d{6}$"))


class ProbeSchema(Schema):
    """Schema whose fields produce as many default error messages as possible."""

    class Meta:
        unknown = RAISE

    count = fields.Int()
    code = fields.Str(required=True, validate=validate.Length(max=3))
    name = fields.Str(validate=validate.Length(min=2, max=5))
    pin = fields.Str(validate=validate.Length(equal=4))
    email = fields.Email()
    kind = fields.Str(validate=validate.OneOf(["alpha", "beta"]))
    level = fields.Int(validate=validate.Range(min=1, max=10))
    page = fields.Int(validate=validate.Range(min=1))
    ratio_high = fields.Float(validate=validate.Range(max=1, max_inclusive=False))
    ratio_low = fields.Float(validate=validate.Range(min=0, min_inclusive=False))
    address = fields.Nested(AddressSchema)
    other_address = fields.Nested(AddressSchema)
    lines = fields.List(fields.Nested(AddressSchema))
    tags = fields.List(fields.Str())
    numbers = fields.List(fields.Int())
    created_at = fields.DateTime()
    naive_at = fields.NaiveDateTime()
    aware_at = fields.AwareDateTime()
    day = fields.Date()
    at_time = fields.Time()
    duration = fields.TimeDelta()
    score = fields.Float(allow_nan=False)
    amount = fields.Decimal(allow_nan=False)
    huge = fields.Float()
    active = fields.Bool()
    uid = fields.UUID()
    website = fields.Url()
    ip = fields.IP()
    meta = fields.Dict(keys=fields.Str(validate=validate.Length(max=2)), values=fields.Int())
    pair = fields.Tuple((fields.Int(), fields.Str()))
    status = fields.Enum(Status)
    confirm = fields.Int(validate=validate.Equal(42))
    colours = fields.List(fields.Str(), validate=validate.ContainsOnly(["red", "green"]))
    banned = fields.List(fields.Str(), validate=validate.ContainsNoneOf(["root"]))
    username = fields.Str(validate=validate.NoneOf(["admin"]))
    digits = fields.Str(validate=validate.Predicate("isdigit"))
    nullable = fields.Int()
    delimited = webargs_fields.DelimitedList(fields.Int())


BAD_INPUT = {
    "count": "many",
    "name": "x",
    "pin": "12",
    "email": "not-an-email",
    "kind": "gamma",
    "level": 11,
    "page": 0,
    "ratio_high": 1,
    "ratio_low": 0,
    "address": {"zip_code": "abc"},
    "other_address": "not a dict",
    "lines": [{"city": "Beijing"}, {"city": None, "extra": 1}],
    "tags": ["ok", 5],
    "numbers": "not a list",
    "created_at": "yesterday",
    "naive_at": "2024-01-01T00:00:00+08:00",
    "aware_at": "2024-01-01T00:00:00",
    "day": "32/13/2024",
    "at_time": "25:99",
    "duration": "forever",
    "score": "nan",
    "amount": "NaN",
    "huge": "1e999999",
    "active": "maybe",
    "uid": "1234",
    "website": "not a url",
    "ip": "999.1.1.1",
    "meta": {"long": "x"},
    "pair": [1],
    "status": "UNKNOWN",
    "confirm": 41,
    "colours": ["red", "blue"],
    "banned": ["root"],
    "username": "admin",
    "digits": "12a",
    "nullable": None,
    "delimited": "1,x",
    "surprise": "unexpected",
}

# Values quoted in messages from the input or from choices.
ALLOWED_VALUES = ("alpha, beta", "draft, done", "DRAFT, DONE", "red, green", "root")


def test_real_schema_errors_are_fully_translated():
    """Errors raised by a real marshmallow schema contain no English once translated to zh."""
    with pytest.raises(ValidationError) as excinfo:
        ProbeSchema().load(BAD_INPUT)
    errors = excinfo.value.messages
    snapshot = copy.deepcopy(errors)

    translated = translate_errors(errors, "zh")

    assert errors == snapshot
    assert set(translated) == set(errors)
    # Every field in BAD_INPUT (plus the required "code") reported an error.
    assert set(errors) == set(BAD_INPUT) | {"code"}
    assert 0 not in translated["lines"] and 1 in translated["lines"]
    english = list(_leaves(errors))
    chinese = list(_leaves(translated))
    assert len(english) == len(chinese) >= 40
    for en, zh in zip(english, chinese):
        assert zh != en, en
        _assert_chinese(zh, ALLOWED_VALUES)
    assert translate_errors(errors, "en") == errors


def test_real_schema_level_errors_are_translated():
    """Schema-level (_schema) and collection errors from marshmallow are translated."""
    with pytest.raises(ValidationError) as excinfo:
        AddressSchema().load(["not", "a", "dict"])
    assert translate_errors(excinfo.value.messages, "zh") == {"_schema": ["输入类型无效。"]}

    with pytest.raises(ValidationError) as excinfo:
        AddressSchema(many=True).load([{"city": "x"}, "oops", {"town": "y"}])
    assert translate_errors(excinfo.value.messages, "zh") == {
        1: {"_schema": ["输入类型无效。"]},
        2: {"city": ["缺少必填字段。"], "town": ["未知字段。"]},
    }


# ---------------------------------------------------------------------------
# Coverage of the installed libraries' default messages
# ---------------------------------------------------------------------------


def _field_classes():
    """Every Field subclass exposed by marshmallow.fields and webargs.fields."""
    seen = set()
    for module in (fields, webargs_fields):
        for _name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, fields.Field) and obj not in seen:
                seen.add(obj)
                yield obj


def _rendered_field_messages():
    """Each default field message rendered as the field itself would render it."""
    rendered = set()
    for cls in _field_classes():
        messages = {}
        for klass in reversed(cls.__mro__):
            messages.update(klass.__dict__.get("default_error_messages", {}))
        obj_type = getattr(cls, "OBJ_TYPE", None)
        for _key, template in messages.items():
            if "{obj_type}" in template and obj_type is None:
                continue  # abstract temporal base class
            if "{awareness}" in template and not hasattr(cls, "AWARENESS"):
                continue
            rendered.add(
                template.format(
                    input="abc",
                    obj_type=obj_type,
                    awareness=getattr(cls, "AWARENESS", None),
                    choices="A, B",
                    type="str",
                )
            )
    return sorted(rendered)


@pytest.mark.parametrize("message", _rendered_field_messages())
def test_every_default_field_message_is_translated(message):
    """Every default_error_messages entry of every installed field class is translated."""
    translated = translate_message(message, "zh")
    assert translated != message
    _assert_chinese(translated, ("abc", "IPv4", "IPv6"))


def _validator_messages():
    """Messages raised by the marshmallow validators with their default templates."""
    cases = [
        (validate.URL(), "nope"),
        (validate.Email(), "nope"),
        (validate.Range(min=1), 0),
        (validate.Range(min=1, min_inclusive=False), 1),
        (validate.Range(max=1), 2),
        (validate.Range(max=1, max_inclusive=False), 1),
        (validate.Range(min=1, max=2), 3),
        (validate.Range(min=1, max=2, min_inclusive=False), 3),
        (validate.Range(min=1, max=2, max_inclusive=False), 3),
        (validate.Range(min=1, max=2, min_inclusive=False, max_inclusive=False), 3),
        (validate.Length(min=2), "a"),
        (validate.Length(max=1), "ab"),
        (validate.Length(min=1, max=2), "abc"),
        (validate.Length(equal=2), "a"),
        (validate.Equal(2), 3),
        (validate.Regexp(r"^\d+$"), "a"),
        (validate.Predicate("isdigit"), "a"),
        (validate.NoneOf(["a"]), "a"),
        (validate.OneOf(["A", "B"]), "c"),
        (validate.ContainsOnly(["A"]), ["c"]),
        (validate.ContainsNoneOf(["A"]), ["A"]),
        (validate.And(validate.Range(min=5), validate.Equal(2)), 1),
    ]
    messages = []
    for validator, value in cases:
        try:
            validator(value)
        except ValidationError as error:
            messages.extend(_leaves(error.messages))
        else:  # pragma: no cover - a case that does not fail is a broken test
            raise AssertionError(f"{validator!r} accepted {value!r}")
    return messages


@pytest.mark.parametrize("message", _validator_messages())
def test_every_default_validator_message_is_translated(message):
    """Every message raised by the built-in validators is translated."""
    translated = translate_message(message, "zh")
    assert translated != message
    _assert_chinese(translated, ("A", "B"))


def test_webargs_and_flask_smorest_messages_are_translated():
    """webargs' parser messages and flask-smorest's messages and pagination limits are translated."""
    from flask_smorest import exceptions as smorest_exceptions
    from flask_smorest.pagination import _pagination_parameters_schema_factory

    assert translate_message(webargs_core.Parser.DEFAULT_VALIDATION_MESSAGE, "zh") == "值无效。"
    assert translate_message("Invalid JSON body.", "zh") == "无效的 JSON 请求体。"
    for exc in (smorest_exceptions.NotModified, smorest_exceptions.PreconditionRequired):
        assert CJK.search(translate_message(exc.description, "zh")), exc.description

    schema_cls = _pagination_parameters_schema_factory(1, 10, 100)
    with pytest.raises(ValidationError) as excinfo:
        schema_cls().load({"page": "0", "page_size": "1000"})
    assert translate_errors(excinfo.value.messages, "zh") == {
        "page": ["必须大于或等于 1。"],
        "page_size": ["必须大于或等于 1 且小于或等于 100。"],
    }
