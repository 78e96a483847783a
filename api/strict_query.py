"""Unknown query parameters are refused (422 naming each), as unknown body fields are.

webargs parses the query string of each operation with several schemas (the operation's own
arguments, then flask-smorest's pagination), each dropping what it does not know; no single
schema can refuse the rest. So the names an operation declares are read once from the OpenAPI
document, and a request that carries any other name is refused before the view runs. A misspelt
filter (``?grid_cel_id=``) would otherwise answer — or export — everything in scope instead of one
cell, and look like success.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, request

from api.errors import ValidationFailed

_RULE_PARAM = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
_UNKNOWN = "Unknown field."  # marshmallow's own message: translated by api.i18n like body fields


def _declared(app: Flask) -> dict[tuple[str, str], frozenset[str]]:
    """``(rule, METHOD) → query parameter names`` of every operation in the OpenAPI document."""
    spec = app.extensions["gridgov.api"].spec.to_dict()
    declared: dict[tuple[str, str], frozenset[str]] = {}
    for path, item in spec.get("paths", {}).items():
        shared = [p for p in item.get("parameters", []) if p.get("in") == "query"]
        for method, operation in item.items():
            if method == "parameters" or not isinstance(operation, dict):
                continue
            params = shared + [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            declared[(path, method.upper())] = frozenset(p["name"] for p in params)
    return declared


def refuse_unknown_query_parameters() -> None:
    if not request.args or request.url_rule is None:
        return
    cache = current_app.extensions.get("gridgov.query_names")
    if cache is None:
        cache = current_app.extensions["gridgov.query_names"] = _declared(current_app)
    method = "GET" if request.method == "HEAD" else request.method
    names = cache.get((_RULE_PARAM.sub(r"{\1}", request.url_rule.rule), method))
    if names is None:  # not an operation of the document (console pages, Open311, health)
        return
    unknown = sorted(set(request.args) - names)
    if unknown:
        raise ValidationFailed(errors={name[:100]: [_UNKNOWN] for name in unknown[:20]})
