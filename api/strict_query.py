"""Unknown query parameters are refused (422 naming each), as unknown body fields are.

webargs parses the query string of each operation with several schemas (the operation's own
arguments, then flask-smorest's pagination), each dropping what it does not know; no single
schema can refuse the rest. So the names an operation declares are read once from the OpenAPI
document, and a request that carries any other name is refused before the view runs. A misspelt
filter (``?grid_cel_id=``) would otherwise answer — or export — everything in scope instead of one
cell, and look like success.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_smorest.spec.plugins import FlaskPlugin

from api.errors import ValidationFailed

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


def _by_rule(app: Flask) -> dict[tuple[str, str], frozenset[str]]:
    """``(Flask rule, METHOD) → query parameter names``, for the rules that are operations of the
    document (not the console's pages, Open311 or the health checks): one dict lookup a request."""
    declared = _declared(app)
    found = {}
    for rule in app.url_map.iter_rules():
        path = FlaskPlugin.flaskpath2openapi(rule.rule)
        for method in rule.methods or ():
            names = declared.get((path, method))
            if names is not None:
                found[(rule.rule, method)] = names
    return found


def refuse_unknown_query_parameters() -> None:
    if not request.args or request.url_rule is None:
        return
    by_rule = current_app.extensions.get("gridgov.query_names")
    if by_rule is None:
        by_rule = current_app.extensions["gridgov.query_names"] = _by_rule(current_app)
    method = "GET" if request.method == "HEAD" else request.method
    names = by_rule.get((request.url_rule.rule, method))
    if names is None:  # not an operation of the document
        return
    unknown = sorted(set(request.args) - names)
    if unknown:
        raise ValidationFailed(errors={name[:100]: [_UNKNOWN] for name in unknown[:20]})
