"""GridGov's Flask application factory."""

from __future__ import annotations

import logging
import time

import swagger_ui_bundle
from flask import Flask, g, request, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix

from api import audit, limits, ratelimit, security
from api.errors import register_error_handlers
from api.extensions import Api
from api.geo.fields import register_fields
from api.population.identity import IdentityCipher
from config import BaseConfig, load_config
from models.db import db_session, init_engine

SWAGGER_ASSETS = "/api/docs/assets/"


def create_app(config: BaseConfig | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__)
    app.request_class = limits.Request  # a chunked body past the cap is a 413, not cut short
    app.config.from_mapping(config.as_dict())
    app.config["GRIDGOV_ENV"] = config.ENV_NAME
    app.config["ALLOW_DEMO_DATA"] = config.ALLOW_DEMO_DATA
    app.json.ensure_ascii = False  # Chinese stays readable in every answer
    app.json.sort_keys = False
    app.config.update(
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_ASSETS,
        # no badge from validator.swagger.io: the docs call nothing outside this origin
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        API_SPEC_OPTIONS={
            "info": {
                "description": "GridGov: the open backend of community grid governance (网格化基层治理). "
                "Errors share one shape; messages are Chinese unless `Accept-Language: en`.",
            },
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
        },
    )
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if app.config["TRUST_PROXY_HOPS"]:
        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.extensions["gridgov.identity"] = IdentityCipher.from_settings(
        app.config["PII_ENCRYPTION_KEY"], app.config["PII_HASH_KEY"], app.config["PII_KEY_ID"],
        app.config["PII_PREVIOUS_KEYS"])
    init_engine(app.config["DATABASE_URL"], pool_size=app.config["DB_POOL_SIZE"],
                statement_timeout_ms=app.config["DB_STATEMENT_TIMEOUT_MS"])
    # Redis when REDIS_URL is set, else the database; chosen once, here.
    app.extensions["gridgov.ratelimit"] = ratelimit.make_counter(app.config)

    api = Api(app)
    app.extensions["gridgov.api"] = api
    register_fields(api)
    register_error_handlers(app)
    _register_blueprints(app, api)
    _register_request_hooks(app)
    _register_cli(app)

    @app.get(SWAGGER_ASSETS + "<path:filename>")
    def swagger_assets(filename):
        # Served from the installed package: the docs work on a network with no CDN.
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    return app


def _register_blueprints(app: Flask, api: Api) -> None:
    from api import web
    from api.audit_events.resources import blp as audit_blp
    from api.auth.resources import blp as auth_blp
    from api.chain.resources import blp as chain_blp
    from api.cockpit.resources import blp as cockpit_blp
    from api.disputes.resources import blp as disputes_blp
    from api.emergency.resources import blp as emergency_blp
    from api.governance.resources import care_targets_blp, key_persons_blp
    from api.grids.resources import blp as grids_blp
    from api.health import bp as health_bp
    from api.matters.resources import blp as matters_blp
    from api.notifications.resources import blp as notifications_blp
    from api.open311.keys import blp as open311_keys_blp
    from api.patrols.resources import blp as patrols_blp
    from api.petitions.resources import blp as petitions_blp
    from api.photos.resources import blp as photos_blp
    from api.places.resources import blp as places_blp
    from api.population.resources import blp as population_blp
    from api.users.resources import blp as users_blp
    from api.visits.resources import blp as visits_blp

    app.register_blueprint(health_bp)
    app.register_blueprint(web.console)
    app.register_blueprint(web.app)
    from api.open311.resources import bp as open311_bp

    app.register_blueprint(open311_bp)
    for blp in (auth_blp, places_blp, grids_blp, chain_blp, population_blp, matters_blp,
                notifications_blp, photos_blp, open311_keys_blp, visits_blp, patrols_blp,
                key_persons_blp, care_targets_blp, disputes_blp, petitions_blp, emergency_blp, users_blp,
                audit_blp, cockpit_blp):
        api.register_blueprint(blp)


def _register_request_hooks(app: Flask) -> None:
    from api.strict_query import refuse_unknown_query_parameters

    @app.before_request
    def start_request():
        g.started = time.perf_counter()
        g.request_id = audit.new_request_id()
        refuse_unknown_query_parameters()

    @app.after_request
    def finish_request(response):
        audit.record_failed_write(response)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if request.path.startswith("/api/v1/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    # security headers on every answer, and CORS for the configured origins (api/security.py)
    security.register(app)

    @app.teardown_request
    def end_session(exc):
        # Whatever the request did not commit is rolled back here: one transaction per request.
        db_session.remove()


def _register_cli(app: Flask) -> None:
    from api.cli import register

    register(app)
