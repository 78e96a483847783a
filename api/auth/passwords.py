"""Password hashing (argon2id) and the password policy for accounts."""

from __future__ import annotations

import re
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context


@lru_cache(maxsize=4)
def hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID)


def hasher_from(config) -> PasswordHasher:
    return hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])


def hash_password(ph: PasswordHasher, password: str) -> str:
    return ph.hash(password)


def verify_password(ph: PasswordHasher, stored_hash: str, password: str) -> tuple[bool, bool]:
    """(matches, needs_rehash): a hash made with older parameters is upgraded at the next login."""
    try:
        ph.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    return True, ph.check_needs_rehash(stored_hash)


@lru_cache(maxsize=4)
def _dummy_hash(ph: PasswordHasher) -> str:
    return ph.hash("gridgov-dummy-password-for-timing")


def burn_time(ph: PasswordHasher, password: str) -> None:
    """Spend what a real verification costs, so unknown names answer as slowly as real ones."""
    verify_password(ph, _dummy_hash(ph), password)


MIN_LENGTH = 8
MAX_LENGTH = 128
_CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"), re.compile(r"[^A-Za-z0-9]"))


def password_problems(password: str, username: str = "") -> list[tuple[str, str]]:
    """What is wrong with a new password, as (Chinese, English) messages.

    等保 2.0 level 3 asks for complexity: by default at least 8 characters from at least three of
    lower case, upper case, digits and symbols, not containing the username
    (``PASSWORD_MIN_LENGTH``, ``PASSWORD_MIN_CLASSES``).
    """
    config = current_app.config if has_app_context() else {}
    min_length = config.get("PASSWORD_MIN_LENGTH", MIN_LENGTH)
    min_classes = config.get("PASSWORD_MIN_CLASSES", 3)
    problems = []
    if len(password) < min_length:
        problems.append((f"密码至少 {min_length} 位。", f"At least {min_length} characters."))
    if len(password) > MAX_LENGTH:
        problems.append((f"密码最多 {MAX_LENGTH} 位。", f"At most {MAX_LENGTH} characters."))
    if sum(1 for c in _CLASSES if c.search(password)) < min_classes:
        problems.append((f"密码须包含小写字母、大写字母、数字、符号中的至少{'一二三四'[min_classes - 1]}类。",
                         f"Use at least {min_classes} of: lower case, upper case, digits, symbols."))
    if username and len(username) >= 3 and username.lower() in password.lower():
        problems.append(("密码不能包含用户名。", "The password may not contain the username."))
    return problems
