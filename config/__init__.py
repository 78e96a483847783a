"""Settings classes read from the environment.

Pick one with ``GRIDGOV_ENV`` (``development`` by default, ``production``, ``testing``).
Every variable is listed in the README and in ``.env.example``.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The environment does not hold what the chosen settings need."""


def _ack_minutes(raw: str) -> dict[str, int]:
    """"I=2,II=3,III=5,IV=10": minutes to acknowledge a dispatch, per incident level."""
    try:
        minutes = {level.strip(): int(value) for level, value in (part.split("=") for part in raw.split(","))}
    except ValueError as exc:
        raise ConfigError(f"DISPATCH_ACK_MINUTES must look like I=2,II=3,III=5,IV=10, not {raw!r}") from exc
    if set(minutes) != {"I", "II", "III", "IV"} or min(minutes.values()) <= 0:
        raise ConfigError("DISPATCH_ACK_MINUTES needs a positive number of minutes for each of I, II, III and IV")
    return minutes


_ORIGIN = re.compile(r"^https?://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])"
                     r"(?::[0-9]{1,5})?$")


def _origins(raw: str) -> tuple[str, ...]:
    """"https://a.example,https://b.example:8443": exact origins allowed to call the API from a
    browser (CORS). Scheme, host and port only; no paths, no wildcard."""
    origins = []
    for part in raw.split(","):
        origin = part.strip().lower()
        if not origin:
            continue
        if "*" in origin:
            raise ConfigError("CORS_ALLOWED_ORIGINS lists exact origins; a wildcard would let every site's scripts "
                              "call the API with a stolen token: list each origin")
        if not _ORIGIN.match(origin):
            raise ConfigError(f"CORS_ALLOWED_ORIGINS: {part.strip()!r} is not an origin like https://app.example.cn "
                              "or http://10.0.0.5:8080 (scheme, host and port; no path, no trailing slash)")
        origins.append(origin)
    return tuple(dict.fromkeys(origins))


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _random_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _persisted(name: str, make) -> str:
    path = ROOT / "var" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


class BaseConfig:
    ENV_NAME = "base"
    # Demo data (demo accounts with a published password) may only be loaded where this is true.
    ALLOW_DEMO_DATA = False

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "")
        self.DATABASE_URL = os.environ.get("DATABASE_URL", "")
        # The role that owns the schema and runs migrations; the application itself connects with
        # DATABASE_URL, ideally as a role that owns nothing (see `flask db upgrade`).
        self.DATABASE_OWNER_URL = os.environ.get("DATABASE_OWNER_URL", "") or self.DATABASE_URL
        # Access tokens are short-lived; refresh sessions live on the server and rotate.
        self.ACCESS_TOKEN_TTL = _int("ACCESS_TOKEN_TTL", 900)
        self.REFRESH_SESSION_TTL = _int("REFRESH_SESSION_TTL", 7 * 24 * 3600)
        # Browsers (the console) keep their tokens in httpOnly cookies; Secure unless served over
        # plain http on a developer's machine (production always sets it).
        # The console's base map: a raster tile URL template (e.g. Tianditu's with your key,
        # "https://t0.tianditu.gov.cn/vec_w/wmts?...&tk=KEY"); empty: the layers on a plain background.
        self.CONSOLE_BASEMAP_URL = os.environ.get("CONSOLE_BASEMAP_URL", "")
        self.CONSOLE_BASEMAP_ATTRIBUTION = os.environ.get("CONSOLE_BASEMAP_ATTRIBUTION", "")
        secure_default = "true" if self.ENV_NAME == "production" else "false"
        self.COOKIE_SECURE = os.environ.get("COOKIE_SECURE", secure_default).lower() not in ("0", "false", "no")
        # Strict-Transport-Security on every answer while COOKIE_SECURE is on (https deployments):
        # browsers then refuse plain http to this host for this many seconds; 0 sends none.
        self.HSTS_SECONDS = _int("HSTS_SECONDS", 365 * 24 * 3600)
        # Web apps on other origins that may call the API from a browser (CORS), comma-separated
        # exact origins; empty (the default): none may. Bearer tokens only, never the cookie session.
        self.CORS_ALLOWED_ORIGINS = _origins(os.environ.get("CORS_ALLOWED_ORIGINS", ""))
        # 等保 2.0 level 3: a session left idle this long ends (assessors commonly use 30 min).
        self.SESSION_IDLE_TIMEOUT = _int("SESSION_IDLE_TIMEOUT", 1800)
        # Staff passwords (等保 level 3 complexity): length, and how many of lower case, upper case,
        # digits and symbols (1–4).
        self.PASSWORD_MIN_LENGTH = _int("PASSWORD_MIN_LENGTH", 8)
        self.PASSWORD_MIN_CLASSES = _int("PASSWORD_MIN_CLASSES", 3)
        self.LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
        self.LOGIN_LOCK_SECONDS = _int("LOGIN_LOCK_SECONDS", 900)
        self.LOGIN_RATE_PER_MINUTE = _int("LOGIN_RATE_PER_MINUTE", 30)
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 1024 * 1024)
        self.PHOTO_MAX_BYTES = _int("PHOTO_MAX_BYTES", 8 * 1024 * 1024)
        # Share of a cell's households to visit (plan templates cite at least 80%).
        self.VISIT_TARGET_PERCENT = _int("VISIT_TARGET_PERCENT", 80)
        # Days between follow-ups of key persons and care targets per attention level (关注程度).
        self.FOLLOW_UP_DAYS_HIGH = _int("FOLLOW_UP_DAYS_HIGH", 7)
        self.FOLLOW_UP_DAYS_MEDIUM = _int("FOLLOW_UP_DAYS_MEDIUM", 14)
        self.FOLLOW_UP_DAYS_LOW = _int("FOLLOW_UP_DAYS_LOW", 30)
        # Days a closed key-person or care-target record keeps its sealed details and follow-up
        # observations before the worker deletes them (PIPL art. 47).
        self.FOLLOWED_RETENTION_DAYS = _int("FOLLOWED_RETENTION_DAYS", 180)
        # Petition deadlines (《信访工作条例》 2022), calendar days; settings in case the rules change.
        self.PETITION_ACCEPT_DAYS = _int("PETITION_ACCEPT_DAYS", 15)
        self.PETITION_REPLY_DAYS = _int("PETITION_REPLY_DAYS", 60)
        self.PETITION_MAX_EXTENSION_DAYS = _int("PETITION_MAX_EXTENSION_DAYS", 30)
        self.PETITION_REVIEW_REQUEST_DAYS = _int("PETITION_REVIEW_REQUEST_DAYS", 30)
        self.PETITION_REVIEW_DAYS = _int("PETITION_REVIEW_DAYS", 30)
        self.PETITION_WARN_DAYS = _int("PETITION_WARN_DAYS", 3)
        # A visit recorded farther than this from the household's building is flagged (not refused).
        self.VISIT_FAR_METRES = _int("VISIT_FAR_METRES", 200)
        # Gaps between two GPS fixes of a patrol longer than this do not count as patrol time.
        self.PATROL_MAX_GAP_SECONDS = _int("PATROL_MAX_GAP_SECONDS", 300)
        # Emergencies (应急): how far to look for responders, how fresh their position must be, how
        # often a phone may report it, how long a track is kept, minutes to acknowledge a dispatch
        # per level before it is flagged and the next nearest sent, and the live stream's keep-alive.
        self.INCIDENT_RADIUS_METRES = _int("INCIDENT_RADIUS_METRES", 5000)
        self.RESPONDER_POSITION_FRESH_SECONDS = _int("RESPONDER_POSITION_FRESH_SECONDS", 600)
        self.RESPONDER_POSITION_MIN_SECONDS = _int("RESPONDER_POSITION_MIN_SECONDS", 3)
        self.RESPONDER_TRACK_HOURS = _int("RESPONDER_TRACK_HOURS", 24)
        self.DISPATCH_ACK_MINUTES = _ack_minutes(os.environ.get("DISPATCH_ACK_MINUTES") or "I=2,II=3,III=5,IV=10")
        self.DISPATCH_AUTO_REPLACE = os.environ.get("DISPATCH_AUTO_REPLACE", "true").lower() not in ("0", "false", "no")
        self.STREAM_KEEPALIVE_SECONDS = _int("STREAM_KEEPALIVE_SECONDS", 15)
        self.STREAM_RETENTION_HOURS = _int("STREAM_RETENTION_HOURS", 48)
        # Idempotency keys are kept this long (at least 24 hours).
        self.IDEMPOTENCY_TTL = max(_int("IDEMPOTENCY_TTL", 48 * 3600), 24 * 3600)
        self.DB_POOL_SIZE = _int("DB_POOL_SIZE", 5)
        # Rate limits (429 with Retry-After above them), shared by every worker process: counted in
        # Redis when REDIS_URL is set ("redis://[:password@]host:port/db", "rediss://…" for TLS),
        # in the database otherwise (and while Redis does not answer).
        self.REDIS_URL = os.environ.get("REDIS_URL", "").strip()
        # Reports one user may file in an hour (a phone gone wild, a script).
        self.MATTER_REPORTS_PER_HOUR = _int("MATTER_REPORTS_PER_HOUR", 60)
        # Photos one user may upload in an hour.
        self.PHOTOS_PER_HOUR = _int("PHOTOS_PER_HOUR", 120)
        # Each of the other submissions, per user and hour: visit sync batches, check-ins, patrol
        # uploads, petitions and disputes registered.
        self.SUBMISSIONS_PER_HOUR = _int("SUBMISSIONS_PER_HOUR", 120)
        # Identity numbers one user may reveal in an hour, residents', key persons' and care
        # targets' together: a staff member revealing dozens an hour is what a data thief does.
        self.REVEALS_PER_HOUR = _int("REVEALS_PER_HOUR", 30)
        # Residents looked up by full identity number (POST /residents/lookup) per user and hour: the
        # lookup answers "does this number live in my scope", an oracle a thief could walk.
        self.LOOKUPS_PER_HOUR = _int("LOOKUPS_PER_HOUR", 120)
        # Ledger exports (every export.xlsx / .csv and the grid cells' GeoJSON) one user may take in an hour.
        self.EXPORTS_PER_HOUR = _int("EXPORTS_PER_HOUR", 20)
        # Open311 requests one partner key may file in a minute.
        self.OPEN311_POSTS_PER_MINUTE = _int("OPEN311_POSTS_PER_MINUTE", 120)
        self.DB_STATEMENT_TIMEOUT_MS = _int("DB_STATEMENT_TIMEOUT_MS", 15000)
        self.ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
        self.ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", 65536)
        self.ARGON2_PARALLELISM = _int("ARGON2_PARALLELISM", 4)
        self.TRUST_PROXY_HOPS = _int("TRUST_PROXY_HOPS", 0)
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        # Identity numbers: AES-256-GCM at rest, HMAC-SHA256 for exact lookup; base64 of 32 bytes each.
        # Generate with: python -c "from api.population.identity import generate_key; print(generate_key())"
        self.PII_ENCRYPTION_KEY = os.environ.get("PII_ENCRYPTION_KEY", "")
        self.PII_HASH_KEY = os.environ.get("PII_HASH_KEY", "")
        # Key rotation: the current key's id, and retired keys ("id:base64,...") kept to open old
        # tokens until `flask pii rotate` has re-sealed everything with the current key.
        self.PII_KEY_ID = os.environ.get("PII_KEY_ID", "1")
        self.PII_PREVIOUS_KEYS = os.environ.get("PII_PREVIOUS_KEYS", "")

        # flask-smorest / OpenAPI
        self.API_TITLE = "GridGov"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.PROPAGATE_EXCEPTIONS = False

    def validate(self) -> None:
        """Refuse settings that cannot work; production refuses to start without its secrets."""
        for name in ("ACCESS_TOKEN_TTL", "REFRESH_SESSION_TTL", "SESSION_IDLE_TIMEOUT", "LOGIN_MAX_FAILURES",
                     "LOGIN_LOCK_SECONDS", "LOGIN_RATE_PER_MINUTE", "MAX_CONTENT_LENGTH", "IDEMPOTENCY_TTL", "PHOTO_MAX_BYTES",
                     "FOLLOW_UP_DAYS_HIGH", "FOLLOW_UP_DAYS_MEDIUM", "FOLLOW_UP_DAYS_LOW", "FOLLOWED_RETENTION_DAYS",
                     "PETITION_ACCEPT_DAYS", "PETITION_REPLY_DAYS", "PETITION_MAX_EXTENSION_DAYS",
                     "PETITION_REVIEW_REQUEST_DAYS", "PETITION_REVIEW_DAYS", "PETITION_WARN_DAYS", "VISIT_FAR_METRES",
                     "INCIDENT_RADIUS_METRES", "RESPONDER_POSITION_FRESH_SECONDS", "RESPONDER_POSITION_MIN_SECONDS",
                     "RESPONDER_TRACK_HOURS", "STREAM_KEEPALIVE_SECONDS", "STREAM_RETENTION_HOURS",
                     "PATROL_MAX_GAP_SECONDS", "MATTER_REPORTS_PER_HOUR", "PHOTOS_PER_HOUR", "SUBMISSIONS_PER_HOUR",
                     "REVEALS_PER_HOUR", "LOOKUPS_PER_HOUR", "EXPORTS_PER_HOUR", "OPEN311_POSTS_PER_MINUTE", "DB_STATEMENT_TIMEOUT_MS"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        if not 8 <= self.PASSWORD_MIN_LENGTH <= 64:
            raise ConfigError("PASSWORD_MIN_LENGTH must be from 8 to 64 (等保 level 3 asks for at least 8)")
        if not 1 <= self.PASSWORD_MIN_CLASSES <= 4:
            raise ConfigError("PASSWORD_MIN_CLASSES must be from 1 to 4")
        if self.HSTS_SECONDS < 0:
            raise ConfigError("HSTS_SECONDS must be 0 (no header) or positive")
        if self.REDIS_URL and urlsplit(self.REDIS_URL).scheme not in ("redis", "rediss", "unix"):
            raise ConfigError("REDIS_URL must look like redis://[:password@]host:port/db (or rediss://, unix://)")
        if not self.DATABASE_URL:
            raise ConfigError("DATABASE_URL is not set")
        from api.population.identity import IdentityCipher

        try:
            IdentityCipher.from_settings(self.PII_ENCRYPTION_KEY, self.PII_HASH_KEY, self.PII_KEY_ID,
                                         self.PII_PREVIOUS_KEYS)
        except ValueError as exc:
            raise ConfigError(f"PII_ENCRYPTION_KEY / PII_HASH_KEY / PII_KEY_ID / PII_PREVIOUS_KEYS: {exc}") from None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    ALLOW_DEMO_DATA = True

    def __init__(self) -> None:
        super().__init__()
        # Keys kept under ./var, so that tokens and encrypted data survive a restart of `make run`.
        self.SECRET_KEY = self.SECRET_KEY or _persisted("secret_key", lambda: secrets.token_hex(32))
        self.PII_ENCRYPTION_KEY = self.PII_ENCRYPTION_KEY or _persisted("pii_encryption_key", _random_key)
        self.PII_HASH_KEY = self.PII_HASH_KEY or _persisted("pii_hash_key", _random_key)


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    ALLOW_DEMO_DATA = True

    def __init__(self) -> None:
        super().__init__()
        self.DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or self.DATABASE_URL
        self.DATABASE_OWNER_URL = self.DATABASE_URL
        self.SECRET_KEY = self.SECRET_KEY or "testing-secret-key-not-for-production-0123456789"
        self.PII_ENCRYPTION_KEY = "dGVzdGluZy1vbmx5LWVuY3J5cHRpb24ta2V5LTAxMjM="  # fixed: tests only
        self.PII_HASH_KEY = "dGVzdGluZy1vbmx5LWxvb2t1cC1oYXNoLWtleS0wMTI="
        # Rate limits count in the database, where each test's transaction rolls its counts back;
        # the Redis backend's tests make their own counter (TEST_REDIS_URL).
        self.REDIS_URL = ""
        # Cheap hashes keep the suite fast; the algorithm (argon2id) is the same.
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 1024
        self.ARGON2_PARALLELISM = 1


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    ALLOW_DEMO_DATA = False  # demo accounts have a published password: never in production

    def validate(self) -> None:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL", "PII_ENCRYPTION_KEY", "PII_HASH_KEY")
                   if not getattr(self, name)]
        if missing:
            raise ConfigError("production refuses to start without " + " and ".join(missing))
        if len(self.SECRET_KEY) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
        super().validate()


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> BaseConfig:
    name = name or os.environ.get("GRIDGOV_ENV", "development")
    try:
        cls = CONFIGS[name]
    except KeyError as exc:
        raise ConfigError(f"GRIDGOV_ENV must be one of {sorted(CONFIGS)}, got {name!r}") from exc
    config = cls()
    config.validate()
    return config
