"""Settings from the environment; production refuses to start without its secrets (issue 2 point 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


KEY_A = "dGVzdGluZy1vbmx5LWVuY3J5cHRpb24ta2V5LTAxMjM="
KEY_B = "dGVzdGluZy1vbmx5LWxvb2t1cC1oYXNoLWtleS0wMTI="


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "GRIDGOV_ENV", "ACCESS_TOKEN_TTL", "LOGIN_MAX_FAILURES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PII_ENCRYPTION_KEY", KEY_A)
    monkeypatch.setenv("PII_HASH_KEY", KEY_B)
    return monkeypatch


def test_production_refuses_without_secret_key(clean_env):
    """No SECRET_KEY: production does not start."""
    clean_env.setenv("DATABASE_URL", "postgresql://x@localhost/x")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config("production")


def test_production_refuses_without_database_url(clean_env):
    """No DATABASE_URL: production does not start."""
    clean_env.setenv("SECRET_KEY", "k" * 40)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_config("production")


def test_production_refuses_a_short_secret(clean_env):
    """A guessable SECRET_KEY is refused in production."""
    clean_env.setenv("SECRET_KEY", "short")
    clean_env.setenv("DATABASE_URL", "postgresql://x@localhost/x")
    with pytest.raises(ConfigError, match="32"):
        load_config("production")


def test_production_refuses_without_identity_keys(clean_env):
    """Identity numbers cannot be stored without their keys: production does not start."""
    clean_env.setenv("SECRET_KEY", "k" * 40)
    clean_env.setenv("DATABASE_URL", "postgresql://x@localhost/x")
    clean_env.delenv("PII_HASH_KEY")
    with pytest.raises(ConfigError, match="PII_HASH_KEY"):
        load_config("production")
    clean_env.setenv("PII_HASH_KEY", "not base64 at all!")
    with pytest.raises(ConfigError, match="PII"):
        load_config("production")
    clean_env.setenv("PII_HASH_KEY", KEY_A)  # the same key for both uses is refused
    with pytest.raises(ConfigError, match="differ"):
        load_config("production")


def test_production_never_allows_demo_data(clean_env):
    """Production settings never allow the demo accounts."""
    clean_env.setenv("SECRET_KEY", "k" * 40)
    clean_env.setenv("DATABASE_URL", "postgresql://x@localhost/x")
    assert load_config("production").ALLOW_DEMO_DATA is False


def test_values_come_from_the_environment(clean_env):
    """Variables override the defaults; nonsense values are refused with the variable's name."""
    clean_env.setenv("DATABASE_URL", "postgresql://x@localhost/x")
    clean_env.setenv("LOGIN_MAX_FAILURES", "7")
    assert load_config("development").LOGIN_MAX_FAILURES == 7
    clean_env.setenv("ACCESS_TOKEN_TTL", "soon")
    with pytest.raises(ConfigError, match="ACCESS_TOKEN_TTL"):
        load_config("development")


def test_unknown_environment_is_refused(clean_env):
    """GRIDGOV_ENV must name one of the settings classes."""
    with pytest.raises(ConfigError, match="GRIDGOV_ENV"):
        load_config("staging")


def test_every_variable_is_documented():
    """Each variable the settings read appears in .env.example and in the README's table."""
    import re

    source = (ROOT / "config" / "__init__.py").read_text()
    names = set(re.findall(r'_(?:int|bool)\("([A-Z_]+)"', source)) | set(re.findall(r'environ\.get\("([A-Z_]+)"', source))
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in names:
        assert re.search(rf"^#?\s*{name}=", example, re.M), f"{name} missing from .env.example"
        assert f"`{name}`" in readme, f"{name} missing from the README"


def test_password_policy_cannot_go_below_the_level_3_floor(clean_env):
    """PASSWORD_MIN_LENGTH under 8 or PASSWORD_MIN_CLASSES outside 1–4 is refused at start."""
    clean_env.setenv("SECRET_KEY", "k" * 40)
    clean_env.setenv("DATABASE_URL", "postgresql://x@localhost/x")
    clean_env.setenv("PASSWORD_MIN_LENGTH", "6")
    with pytest.raises(ConfigError, match="PASSWORD_MIN_LENGTH"):
        load_config("production")
    clean_env.setenv("PASSWORD_MIN_LENGTH", "10")
    clean_env.setenv("PASSWORD_MIN_CLASSES", "5")
    with pytest.raises(ConfigError, match="PASSWORD_MIN_CLASSES"):
        load_config("production")
