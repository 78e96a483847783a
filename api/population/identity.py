"""Resident identity numbers (居民身份证号码, GB 11643-1999).

An identity number has 18 characters: a 6-digit administrative region code,
the birth date as YYYYMMDD, a 3-digit sequence number (odd for men, even for
women) and one check character computed over the first 17 digits (ISO 7064
MOD 11-2, where 10 is written "X").

Identity numbers are the most sensitive personal data on the platform, so:

* they are validated and normalized before anything else touches them;
* they are stored only encrypted, with AES-256-GCM (authenticated, so a
  modified ciphertext is refused instead of decrypting to garbage);
* exact lookups use a keyed hash (HMAC-SHA256) rather than the plaintext, with
  a key separate from the encryption key;
* they are masked whenever they are shown.

Pure Python: no Flask or database imports, so the module is usable from
migrations, scripts and tests alike. Numbers used in tests and demo data are
invented.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import re
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "InvalidIdNumber",
    "IdentityCipher",
    "PHONE_RE",
    "birth_date",
    "check_character",
    "gender",
    "generate_key",
    "mask_id_number",
    "normalize_id_number",
    "validate_id_number",
]

# Mainland mobile numbers: 11 digits starting 13x-19x.
PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# ASCII only: str.isdigit() would also accept e.g. full-width or Arabic-Indic digits.
_DIGITS17_RE = re.compile(r"^[0-9]{17}$")
_OLD_15_RE = re.compile(r"^[0-9]{15}$")
_WHITESPACE_RE = re.compile(r"\s+")

_EARLIEST_BIRTH = datetime.date(1900, 1, 1)
# Province-level codes run from 11 (Beijing) to 82 (Macao); 0x and 9x never occur.
_PROVINCE_RANGE = range(11, 83)

_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
# Binds ciphertexts to this purpose: a token made for another field with the same key will not decrypt here.
_ASSOCIATED_DATA = b"gridgov:id_number"


def _purpose(purpose: str) -> bytes:
    return f"gridgov:{purpose}".encode()
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class InvalidIdNumber(ValueError):
    """.zh and .en hold the reason in Chinese and English (e.g. 校验位错误 / wrong check character)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


def check_character(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits."""
    if not isinstance(first17, str) or not _DIGITS17_RE.match(first17):
        raise ValueError("check_character needs exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    """Remove all whitespace and upper-case a trailing x, as people type it both ways."""
    return _WHITESPACE_RE.sub("", value).upper()


def validate_id_number(value: str, *, today: datetime.date | None = None) -> str:
    """Return the normalized number, or raise InvalidIdNumber saying what is wrong."""
    if not isinstance(value, str):
        raise InvalidIdNumber("身份证号码必须是文本", "identity number must be a string")
    number = normalize_id_number(value)
    if not number:
        raise InvalidIdNumber("身份证号码不能为空", "identity number is empty")
    if _OLD_15_RE.match(number):
        raise InvalidIdNumber(
            "不支持15位旧身份证号码，请使用18位号码",
            "15-digit identity numbers are no longer accepted, use the 18-digit number",
        )
    if len(number) != 18:
        raise InvalidIdNumber("身份证号码应为18位", "identity number must have 18 characters")
    if not _DIGITS17_RE.match(number[:17]):
        raise InvalidIdNumber("身份证号码前17位必须是数字", "the first 17 characters must be digits")
    if number[17] not in "0123456789X":
        raise InvalidIdNumber("校验位只能是数字或X", "the check character must be a digit or X")
    if number[17] != check_character(number[:17]):
        raise InvalidIdNumber("校验位错误", "wrong check character")
    if int(number[:2]) not in _PROVINCE_RANGE:
        raise InvalidIdNumber("地区代码无效", "invalid region code")
    try:
        born = birth_date(number)
    except ValueError:
        raise InvalidIdNumber("出生日期无效", "birth date is not a valid date") from None
    if born > (today or datetime.date.today()):
        raise InvalidIdNumber("出生日期不能晚于今天", "birth date is in the future")
    if born < _EARLIEST_BIRTH:
        raise InvalidIdNumber("出生日期不能早于1900年1月1日", "birth date is before 1900-01-01")
    return number


def birth_date(id_number: str) -> datetime.date:
    """The birth date encoded in characters 7-14; ValueError if it is not a real date."""
    digits = id_number[6:14]
    if len(digits) != 8 or not digits.isascii() or not digits.isdigit():
        raise ValueError("identity number has no YYYYMMDD birth date at positions 7-14")
    return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))


def gender(id_number: str) -> str:
    """'male' or 'female' from the parity of the 17th digit (the sequence number's last digit)."""
    digit = id_number[16:17]
    if not (digit.isascii() and digit.isdigit()):
        raise ValueError("identity number has no digit at position 17")
    return "male" if int(digit) % 2 else "female"


def mask_name(name: str) -> str:
    """The family name and a star for each other character, e.g. '张**' (a ledger leaves the office)."""
    return name[:1] + "*" * (len(name) - 1)


def mask_id_number(id_number: str) -> str:
    """First 4 + 10 '*' + last 4, e.g. '4111**********1234'.

    Anything that is not 18 characters long is masked completely: malformed
    input must not leak more than a well-formed number would.
    """
    number = normalize_id_number(id_number)
    if len(number) != 18:
        return "*" * len(number)
    return number[:4] + "*" * 10 + number[-4:]


class IdentityCipher:
    """Encrypts identity numbers at rest and computes their lookup hashes.

    Tokens look like "v1:<urlsafe base64 of nonce + ciphertext + tag>"; the key
    id prefix leaves room for key rotation. Numbers are normalized (not
    validated) before encryption and hashing so both stay consistent; callers
    validate with validate_id_number first.
    """

    def __init__(self, encryption_key: bytes, hash_key: bytes, key_id: str = "1", previous: dict | None = None):
        for label, key in (("encryption key", encryption_key), ("hash key", hash_key),
                           *((f"previous key {k}", v) for k, v in (previous or {}).items())):
            if not isinstance(key, bytes | bytearray) or len(key) != _KEY_BYTES:
                raise ValueError(f"identity {label} must be exactly {_KEY_BYTES} bytes")
        # Sharing one key between AES-GCM and HMAC would couple the two uses; insist on separate keys.
        if hmac.compare_digest(bytes(encryption_key), bytes(hash_key)):
            raise ValueError("identity encryption key and hash key must differ")
        for kid in (key_id, *(previous or {})):
            if not isinstance(kid, str) or not _KEY_ID_RE.match(kid):
                raise ValueError("identity key id must be 1-16 characters of A-Z, a-z, 0-9, '_' or '-'")
        if key_id in (previous or {}):
            raise ValueError(f"key id {key_id} is both the current key and a previous one")
        self._aead = AESGCM(bytes(encryption_key))
        # Rotation: tokens carry their key id; previous keys still open old tokens until
        # `flask pii rotate` has re-sealed them with the current key.
        self._ring = {key_id: self._aead, **{k: AESGCM(bytes(v)) for k, v in (previous or {}).items()}}
        self._hash_key = bytes(hash_key)
        self.key_id = key_id
        self._prefix = f"v{key_id}:"

    def _open(self, token: str, associated: bytes, what: str) -> bytes:
        if not isinstance(token, str) or not token.startswith("v") or ":" not in token:
            raise ValueError(f"not {what} token")
        key_id, body = token[1:].split(":", 1)
        aead = self._ring.get(key_id)
        if aead is None:
            raise ValueError(f"{what} token uses an unknown key id")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise ValueError(f"{what} token is not valid base64") from None
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise ValueError(f"{what} token is too short")
        try:
            return aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], associated)
        except InvalidTag:
            raise ValueError(f"{what} token failed authentication (tampered, wrong key or purpose)") from None

    def _close(self, plaintext: bytes, associated: bytes) -> str:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, associated)
        return self._prefix + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")

    def encrypt(self, id_number: str) -> str:
        """AES-256-GCM with a fresh random nonce: equal numbers give different tokens."""
        return self._close(normalize_id_number(id_number).encode("utf-8"), _ASSOCIATED_DATA)

    def decrypt(self, token: str) -> str:
        """The number inside a token; ValueError if it was tampered with or made with an unknown key."""
        return self._open(token, _ASSOCIATED_DATA, "an identity number").decode("utf-8")

    def seal(self, purpose: str, data: dict) -> str:
        """Any JSON-able record, sealed like an identity number but bound to ``purpose`` (a token
        sealed for one purpose will not open for another)."""
        plaintext = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        return self._close(plaintext, _purpose(purpose))

    def unseal(self, purpose: str, token: str) -> dict:
        return json.loads(self._open(token, _purpose(purpose), "a sealed record"))

    def is_current(self, token: str) -> bool:
        return token.startswith(self._prefix)

    def rewrap(self, purpose: str, token: str) -> str:
        """The same plaintext under the current key (``purpose`` "id_number" for identity numbers)."""
        associated = _purpose(purpose)
        return self._close(self._open(token, associated, "a sealed"), associated)

    def lookup_hash(self, id_number: str) -> str:
        """Hex HMAC-SHA256 of the normalized number: deterministic, so usable in a unique index."""
        message = normalize_id_number(id_number).encode("utf-8")
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()

    def keyed_hash(self, purpose: str, value: str) -> str:
        """Hex HMAC-SHA256 of ``purpose`` and ``value`` with the lookup key: equal inputs match, and
        nothing about the value can be learnt without the key (e.g. a petitioner's phone)."""
        return hmac.new(self._hash_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    @classmethod
    def from_settings(cls, encryption_key_b64: str, hash_key_b64: str, key_id: str = "1",
                      previous_keys: str = "") -> IdentityCipher:
        """Build from base64 settings (urlsafe or standard alphabet, padding optional).
        ``previous_keys`` is "id:base64,id:base64": keys retired by a rotation, for opening only."""
        previous = {}
        for entry in (e.strip() for e in (previous_keys or "").split(",") if e.strip()):
            kid, _, value = entry.partition(":")
            previous[kid] = _decode_key(value, f"previous key {kid}")
        return cls(
            _decode_key(encryption_key_b64, "identity encryption key"),
            _decode_key(hash_key_b64, "identity hash key"),
            key_id or "1", previous,
        )

    def __repr__(self) -> str:  # never show key material
        return f"IdentityCipher(key_id={self.key_id!r})"


def _decode_key(value: str, label: str) -> bytes:
    """Decode one base64 key setting; the label names the setting in the error message."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{label} is not set: give base64 of {_KEY_BYTES} random bytes (see generate_key())")
    text = value.strip().replace("-", "+").replace("_", "/").rstrip("=")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{label} is not valid base64") from None
    if len(key) != _KEY_BYTES:
        raise ValueError(f"{label} must decode to {_KEY_BYTES} bytes, got {len(key)}")
    return key


def generate_key() -> str:
    """Urlsafe base64 of 32 random bytes, suitable for either key setting."""
    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii")
