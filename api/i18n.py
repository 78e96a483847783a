"""Language negotiation and Chinese translation of validation messages.

GridGov answers in Chinese by default and in English when the client's
``Accept-Language`` header prefers English.  The validation messages produced
by marshmallow, webargs and flask-smorest are English only, so this module
maps them to Chinese.

The English side of the catalogue is read from the installed libraries
themselves (``default_error_messages`` of the field classes, the message
attributes of the validators, ...), with the text of the pinned versions as a
fallback, so a wording change upstream does not silently stop the
translation.  Messages with ``{placeholders}`` are matched by regular
expressions generated from the library templates (literal parts escaped, each
placeholder turned into a non-greedy group) and re-rendered into a Chinese
template with the captured values.  Everything is compiled once at import time.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from marshmallow import Schema, fields, validate
from webargs import core as webargs_core
from webargs import fields as webargs_fields

SUPPORTED = ("zh", "en")
_DEFAULT_LANG = "zh"

__all__ = ["SUPPORTED", "negotiate", "translate_errors", "translate_message"]


# ---------------------------------------------------------------------------
# Accept-Language negotiation
# ---------------------------------------------------------------------------

_LANGUAGE_RANGE = re.compile(r"\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*")


def _parse_language_range(item: str) -> tuple[str, float] | None:
    """Parse one ``lang;q=0.8`` element; ``None`` when it is malformed."""
    tag, *params = item.split(";")
    tag = tag.strip().lower().replace("_", "-")
    if not _LANGUAGE_RANGE.fullmatch(tag):
        return None
    quality = 1.0
    for param in params:
        name, sep, value = param.partition("=")
        if name.strip().lower() != "q":
            continue
        if not sep:
            return None
        try:
            quality = float(value.strip())
        except ValueError:
            return None
        if not math.isfinite(quality):
            return None
        quality = min(max(quality, 0.0), 1.0)
    return tag, quality


def negotiate(accept_language: str | None) -> str:
    """'en' when the Accept-Language header prefers English (any en, en-US…, honouring q-values, e.g. 'en;q=0.5, zh;q=0.9' -> 'zh'), otherwise 'zh' (the default, also for missing, empty, '*', or unsupported languages such as 'fr')."""
    if not isinstance(accept_language, str) or not accept_language.strip():
        return _DEFAULT_LANG

    explicit: dict[str, tuple[float, int]] = {}  # lang -> (best q, first position)
    wildcard_q: float | None = None
    for position, item in enumerate(accept_language.split(",")):
        parsed = _parse_language_range(item)
        if parsed is None:
            continue
        tag, quality = parsed
        if tag == "*":
            wildcard_q = quality if wildcard_q is None else max(wildcard_q, quality)
            continue
        primary = tag.split("-", 1)[0]
        if primary not in SUPPORTED:
            continue
        previous = explicit.get(primary)
        if previous is None:
            explicit[primary] = (quality, position)
        elif quality > previous[0]:
            explicit[primary] = (quality, previous[1])

    best_lang, best_key = _DEFAULT_LANG, None
    for lang in SUPPORTED:
        if lang in explicit:
            quality, position = explicit[lang]
            is_explicit = True
        elif wildcard_q is not None:
            quality, position, is_explicit = wildcard_q, len(accept_language), False
        else:
            continue
        if quality <= 0.0:
            continue
        # Highest q wins; ties go to an explicitly listed language, then to
        # the one listed first, then to the default language.
        key = (quality, is_explicit, -position, lang == _DEFAULT_LANG)
        if best_key is None or key > best_key:
            best_lang, best_key = lang, key
    return best_lang


# ---------------------------------------------------------------------------
# Message catalogue
# ---------------------------------------------------------------------------


def _library_text(owner: Any, attribute: str, key: str | None, fallback: str) -> str:
    """The message text as defined by the installed library, else ``fallback``."""
    value = getattr(owner, attribute, None)
    if key is not None:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value if isinstance(value, str) else fallback


def _entry(owner: Any, attribute: str, key: str | None, english: str, chinese: str):
    """Catalogue pairs for one library message (library text and pinned text)."""
    yield _library_text(owner, attribute, key, english), chinese
    yield english, chinese


def _field(cls: type, key: str, english: str, chinese: str):
    """Catalogue pairs for ``cls.default_error_messages[key]``."""
    return _entry(cls, "default_error_messages", key, english, chinese)


def _validator(cls: type, english: str, chinese: str, attribute: str = "default_message"):
    """Catalogue pairs for a validator's message attribute."""
    return _entry(cls, attribute, None, english, chinese)


def _range_entries() -> Iterator[tuple[str, str]]:
    """All six Range templates, composed exactly as ``validate.Range`` does."""
    rng = validate.Range
    lower = {
        "gte": (_library_text(rng, "message_gte", None, "greater than or equal to"), "大于或等于"),
        "gt": (_library_text(rng, "message_gt", None, "greater than"), "大于"),
    }
    upper = {
        "lte": (_library_text(rng, "message_lte", None, "less than or equal to"), "小于或等于"),
        "lt": (_library_text(rng, "message_lt", None, "less than"), "小于"),
    }
    message_min = _library_text(rng, "message_min", None, "Must be {min_op} {{min}}.")
    message_max = _library_text(rng, "message_max", None, "Must be {max_op} {{max}}.")
    message_all = _library_text(
        rng, "message_all", None, "Must be {min_op} {{min}} and {max_op} {{max}}."
    )
    for min_en, min_zh in lower.values():
        yield message_min.format(min_op=min_en), f"必须{min_zh} {{min}}。"
    for max_en, max_zh in upper.values():
        yield message_max.format(max_op=max_en), f"必须{max_zh} {{max}}。"
    for min_en, min_zh in lower.values():
        for max_en, max_zh in upper.values():
            yield (
                message_all.format(min_op=min_en, max_op=max_en),
                f"必须{min_zh} {{min}} 且{max_zh} {{max}}。",
            )


def _catalogue() -> Iterator[tuple[str, str]]:
    """Every known English message or template with its Chinese counterpart."""
    f, v = fields, validate
    # marshmallow fields: default_error_messages of every field class.
    yield from _field(f.Field, "required", "Missing data for required field.", "缺少必填字段。")
    yield from _field(f.Field, "null", "Field may not be null.", "该字段不能为空值。")
    yield from _field(f.Field, "validator_failed", "Invalid value.", "值无效。")
    yield from _field(f.Nested, "type", "Invalid type.", "类型无效。")
    yield from _field(f.List, "invalid", "Not a valid list.", "不是有效的列表。")
    yield from _field(f.Tuple, "invalid", "Not a valid tuple.", "不是有效的元组。")
    yield from _field(f.String, "invalid", "Not a valid string.", "不是有效的字符串。")
    yield from _field(
        f.String, "invalid_utf8", "Not a valid utf-8 string.", "不是有效的 UTF-8 字符串。"
    )
    yield from _field(f.UUID, "invalid_uuid", "Not a valid UUID.", "不是有效的 UUID。")
    yield from _field(f.Number, "invalid", "Not a valid number.", "不是有效的数字。")
    yield from _field(f.Number, "too_large", "Number too large.", "数值过大。")
    yield from _field(f.Integer, "invalid", "Not a valid integer.", "不是有效的整数。")
    special_zh = "不允许使用特殊数值（非数字或无穷大）。"
    special_en = "Special numeric values (nan or infinity) are not permitted."
    yield from _field(f.Float, "special", special_en, special_zh)
    yield from _field(f.Decimal, "special", special_en, special_zh)
    yield from _field(f.Boolean, "invalid", "Not a valid boolean.", "不是有效的布尔值。")
    yield from _field(f.DateTime, "invalid", "Not a valid {obj_type}.", "不是有效的{obj_type}。")
    yield from _field(
        f.DateTime,
        "invalid_awareness",
        "Not a valid {awareness} {obj_type}.",
        "不是有效的{awareness}{obj_type}。",
    )
    yield from _field(
        f.DateTime,
        "format",
        '"{input}" cannot be formatted as a {obj_type}.',
        "“{input}”无法格式化为{obj_type}。",
    )
    yield from _field(f.Date, "invalid", "Not a valid date.", "不是有效的日期。")
    yield from _field(
        f.Date, "format", '"{input}" cannot be formatted as a date.', "“{input}”无法格式化为日期。"
    )
    yield from _field(f.TimeDelta, "invalid", "Not a valid period of time.", "不是有效的时间间隔。")
    yield from _field(
        f.TimeDelta,
        "format",
        "{input!r} cannot be formatted as a timedelta.",
        "{input} 无法格式化为时间间隔。",
    )
    yield from _field(f.Mapping, "invalid", "Not a valid mapping type.", "不是有效的映射类型。")
    yield from _field(f.Url, "invalid", "Not a valid URL.", "不是有效的 URL。")
    yield from _field(f.Email, "invalid", "Not a valid email address.", "不是有效的电子邮件地址。")
    yield from _field(f.IP, "invalid_ip", "Not a valid IP address.", "不是有效的 IP 地址。")
    yield from _field(f.IPv4, "invalid_ip", "Not a valid IPv4 address.", "不是有效的 IPv4 地址。")
    yield from _field(f.IPv6, "invalid_ip", "Not a valid IPv6 address.", "不是有效的 IPv6 地址。")
    yield from _field(
        f.IPInterface, "invalid_ip_interface", "Not a valid IP interface.", "不是有效的 IP 接口。"
    )
    yield from _field(
        f.IPv4Interface,
        "invalid_ip_interface",
        "Not a valid IPv4 interface.",
        "不是有效的 IPv4 接口。",
    )
    yield from _field(
        f.IPv6Interface,
        "invalid_ip_interface",
        "Not a valid IPv6 interface.",
        "不是有效的 IPv6 接口。",
    )
    yield from _field(f.Enum, "unknown", "Must be one of: {choices}.", "必须是以下值之一：{choices}。")

    # webargs fields and parser.
    yield from _field(
        webargs_fields.DelimitedList, "invalid", "Not a valid delimited list.", "不是有效的分隔列表。"
    )
    yield from _field(
        webargs_fields.DelimitedTuple,
        "invalid",
        "Not a valid delimited tuple.",
        "不是有效的分隔元组。",
    )
    yield from _entry(
        webargs_core.Parser, "DEFAULT_VALIDATION_MESSAGE", None, "Invalid value.", "值无效。"
    )
    # Literal in every webargs parser's handle_invalid_json_error().
    yield "Invalid JSON body.", "无效的 JSON 请求体。"

    # marshmallow schema-level messages.
    yield from _entry(Schema, "_default_error_messages", "type", "Invalid input type.", "输入类型无效。")
    yield from _entry(Schema, "_default_error_messages", "unknown", "Unknown field.", "未知字段。")

    # marshmallow validators (Range also covers flask-smorest's pagination args).
    yield from _validator(v.URL, "Not a valid URL.", "不是有效的 URL。")
    yield from _validator(v.Email, "Not a valid email address.", "不是有效的电子邮件地址。")
    yield from _range_entries()
    yield from _validator(
        v.Length, "Shorter than minimum length {min}.", "长度不能少于 {min}。", "message_min"
    )
    yield from _validator(
        v.Length, "Longer than maximum length {max}.", "长度不能超过 {max}。", "message_max"
    )
    yield from _validator(
        v.Length,
        "Length must be between {min} and {max}.",
        "长度必须介于 {min} 和 {max} 之间。",
        "message_all",
    )
    yield from _validator(v.Length, "Length must be {equal}.", "长度必须为 {equal}。", "message_equal")
    yield from _validator(v.Equal, "Must be equal to {other}.", "必须等于 {other}。")
    yield from _validator(v.Regexp, "String does not match expected pattern.", "格式不符合要求。")
    yield from _validator(v.Predicate, "Invalid input.", "输入无效。")
    yield from _validator(v.NoneOf, "Invalid input.", "输入无效。")
    yield from _validator(v.OneOf, "Must be one of: {choices}.", "必须是以下值之一：{choices}。")
    yield from _validator(
        v.ContainsOnly,
        "One or more of the choices you made was not in: {choices}.",
        "所选的一个或多个值不在可选范围内：{choices}。",
    )
    yield from _validator(
        v.ContainsNoneOf,
        "One or more of the choices you made was in: {values}.",
        "所选的一个或多个值不能是以下值：{values}。",
    )

    # flask-smorest ETag exceptions (flask_smorest.exceptions; not imported
    # here to keep this module free of Flask).
    yield "Resource not modified since last request.", "资源自上次请求以来未被修改。"
    yield (
        'This request is required to be conditional; try using "If-Match".',
        "该请求必须为条件请求，请使用 “If-Match” 请求头。",
    )


# Placeholder values that come from a closed set and are translated too.
_PLACEHOLDER_VALUES_ZH: dict[str, dict[str, str]] = {
    "obj_type": {
        _library_text(fields.DateTime, "OBJ_TYPE", None, "datetime"): "日期时间",
        _library_text(fields.Time, "OBJ_TYPE", None, "time"): "时间",
        _library_text(fields.Date, "OBJ_TYPE", None, "date"): "日期",
    },
    "awareness": {
        _library_text(fields.NaiveDateTime, "AWARENESS", None, "naive"): "不含时区信息的",
        _library_text(fields.AwareDateTime, "AWARENESS", None, "aware"): "含时区信息的",
    },
}


class _Template(NamedTuple):
    """A compiled English template and its Chinese rendering."""

    english: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]  # placeholder name of each capture group, in order
    chinese: str
    literal_length: int


_FORMATTER = string.Formatter()


def _placeholders(template: str) -> list[tuple[str, str | None]] | None:
    """``(literal, placeholder name)`` parts of a format string; ``None`` if malformed."""
    try:
        return [
            (literal, None if name is None else (re.split(r"[.\[]", name, maxsplit=1)[0]))
            for literal, name, _spec, _conversion in _FORMATTER.parse(template)
        ]
    except ValueError:
        return None


def _compile_template(english: str, chinese: str) -> _Template | None:
    """Regex for an English template: literal parts escaped, placeholders as groups."""
    parts = _placeholders(english)
    zh_parts = _placeholders(chinese)
    if parts is None or zh_parts is None:
        return None
    regex, names, literal_length = [], [], 0
    for literal, name in parts:
        regex.append(re.escape(literal))
        literal_length += len(literal)
        if name is None:
            continue
        if not name:  # positional "{}" placeholders are never used by the libraries
            return None
        known_values = _PLACEHOLDER_VALUES_ZH.get(name)
        if known_values:
            choices = sorted(known_values, key=len, reverse=True)
            regex.append("(" + "|".join(re.escape(choice) for choice in choices) + ")")
        else:
            regex.append("(.+?)")
        names.append(name)
    if not {name for _literal, name in zh_parts if name is not None} <= set(names):
        return None
    return _Template(
        english=english,
        pattern=re.compile("".join(regex), re.DOTALL),
        names=tuple(names),
        chinese=chinese,
        literal_length=literal_length,
    )


def _build() -> tuple[dict[str, str], tuple[_Template, ...]]:
    fixed: dict[str, str] = {}
    templates: dict[str, _Template] = {}
    for english, chinese in _catalogue():
        if english in fixed or english in templates:
            continue
        parts = _placeholders(english)
        if parts is not None and all(name is None for _literal, name in parts):
            fixed[english] = chinese
            continue
        compiled = _compile_template(english, chinese)
        if compiled is not None:
            templates[english] = compiled
    # Most specific first: "Must be greater than or equal to {min}." must be
    # tried before "Must be greater than {min}.", and the "{min} and {max}"
    # forms before either.
    ordered = sorted(templates.values(), key=lambda t: (-t.literal_length, t.english))
    return fixed, tuple(ordered)


_FIXED_MESSAGES, _TEMPLATES = _build()


# ---------------------------------------------------------------------------
# Translation
# ---------------------------------------------------------------------------


def register_messages(pairs: dict[str, str]) -> None:
    """Chinese for the English messages of GridGov's own schema validators (English → Chinese)."""
    _FIXED_MESSAGES.update(pairs)


def translate_message(message: str, lang: str) -> str:
    """A single English validation message from marshmallow / webargs / flask-smorest into Chinese when lang == 'zh'; unchanged when lang == 'en' or the message is unknown."""
    if lang != "zh" or not isinstance(message, str):
        return message
    fixed = _FIXED_MESSAGES.get(message)
    if fixed is not None:
        return fixed
    for template in _TEMPLATES:
        match = template.pattern.fullmatch(message)
        if match is None:
            continue
        values: dict[str, str] = {}
        for name, value in zip(template.names, match.groups()):
            values.setdefault(name, _PLACEHOLDER_VALUES_ZH.get(name, {}).get(value, value))
        return template.chinese.format_map(values)
    return message


def translate_errors(errors, lang: str):
    """Walks a marshmallow-style error structure (dict of field -> list of messages, nested dicts for nested schemas, dicts keyed by integer index for lists, lists of strings, plain strings) and returns the same shape with every message string translated by translate_message. Keys (field names, indexes) are kept as they are. Must not mutate its input."""
    if isinstance(errors, str):
        return translate_message(errors, lang)
    if isinstance(errors, Mapping):
        return {key: translate_errors(value, lang) for key, value in errors.items()}
    if isinstance(errors, tuple):
        return tuple(translate_errors(item, lang) for item in errors)
    if isinstance(errors, Iterable) and not isinstance(errors, (bytes, bytearray)):
        return [translate_errors(item, lang) for item in errors]
    return errors
