"""Tests for identity number validation, masking and encryption (pure Python, no database).

All numbers here are invented or the published GB 11643 examples.
"""

import base64
import datetime

import pytest

from api.population.identity import (
    PHONE_RE,
    IdentityCipher,
    InvalidIdNumber,
    birth_date,
    check_character,
    gender,
    generate_key,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
)

TODAY = datetime.date(2026, 11, 27)
ENC_KEY = bytes(range(32))
HASH_KEY = bytes(range(32, 64))


def make_number(first17: str) -> str:
    """Complete 17 digits with their check character."""
    return first17 + check_character(first17)


VALID = make_number("41110419900307123")  # male, born 1990-03-07


@pytest.fixture
def cipher():
    return IdentityCipher(ENC_KEY, HASH_KEY)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def test_published_sample_number_is_valid():
    """The GB 11643 example 11010519491231002X validates."""
    assert validate_id_number("11010519491231002X", today=TODAY) == "11010519491231002X"


def test_published_1880_sample_refused_by_1900_rule():
    """The GB 11643 example 440524188001010014 has a correct check character but is born before 1900."""
    with pytest.raises(InvalidIdNumber) as info:
        validate_id_number("440524188001010014", today=TODAY)
    assert info.value.en == "birth date is before 1900-01-01"


def test_check_character_matches_published_samples():
    """check_character reproduces the check characters of the published examples."""
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


def test_constructed_numbers_are_valid():
    """Numbers completed with check_character validate for several regions and dates."""
    for first17 in ("41110419900307123", "41010220000229004", "34010219300101001", "82000020261127001"):
        number = make_number(first17)
        assert validate_id_number(number, today=TODAY) == number


def test_check_character_rejects_bad_input():
    """check_character needs exactly 17 ASCII digits."""
    for bad in ("1234", "4111041990030712X", "411104199003071234", "４１１１０４１９９００３０７１２３"):
        with pytest.raises(ValueError):
            check_character(bad)


@pytest.mark.parametrize(
    ("value", "en_fragment"),
    [
        ("", "empty"),
        ("411104900307123", "15-digit"),
        ("41110419900307123", "18 characters"),
        ("4111041990030712345", "18 characters"),
        ("41110419900A071234", "digits"),
        ("41110419900307123Y", "check character must be"),
        (VALID[:17] + ("0" if VALID[17] != "0" else "1"), "wrong check character"),
        (make_number("01110419900307123"), "region"),
        (make_number("91110419900307123"), "region"),
        (make_number("83110419900307123"), "region"),
        (make_number("41110419901307123"), "birth date is not a valid date"),
        (make_number("41110419900230123"), "birth date is not a valid date"),
        (make_number("41110420261128123"), "future"),
        (make_number("41110418991231123"), "before 1900"),
    ],
)
def test_each_failure_kind_has_zh_and_en_reason(value, en_fragment):
    """Every kind of invalid number raises InvalidIdNumber with a Chinese and an English reason."""
    with pytest.raises(InvalidIdNumber) as info:
        validate_id_number(value, today=TODAY)
    assert en_fragment in info.value.en
    assert info.value.zh and any("\u4e00" <= ch <= "\u9fff" for ch in info.value.zh)
    assert isinstance(info.value, ValueError)


def test_wrong_check_character_message():
    """A wrong check character is reported as 校验位错误 / wrong check character."""
    with pytest.raises(InvalidIdNumber) as info:
        validate_id_number("110105194912310021", today=TODAY)
    assert (info.value.zh, info.value.en) == ("校验位错误", "wrong check character")


def test_non_ascii_digits_refused():
    """Full-width digits are not accepted as digits."""
    with pytest.raises(InvalidIdNumber):
        validate_id_number("１１０１０５１９４９１２３１００２X", today=TODAY)


def test_non_string_refused():
    """A non-string value raises InvalidIdNumber, not TypeError."""
    with pytest.raises(InvalidIdNumber):
        validate_id_number(110105194912310020, today=TODAY)


def test_lowercase_x_and_spaces_normalized():
    """A lower-case x and spaces are normalized to the canonical form."""
    assert normalize_id_number(" 110105 19491231 002x ") == "11010519491231002X"
    assert validate_id_number("11010519491231002x", today=TODAY) == "11010519491231002X"


def test_future_birth_date_refused():
    """A birth date after `today` is refused while the same date as `today` is accepted."""
    number = make_number("41110420261127002")
    assert validate_id_number(number, today=TODAY) == number
    with pytest.raises(InvalidIdNumber) as info:
        validate_id_number(number, today=TODAY - datetime.timedelta(days=1))
    assert info.value.zh == "出生日期不能晚于今天"


def test_feb_29_only_in_leap_years():
    """Feb 29 is accepted in leap years (2000, 2024) and refused otherwise (1900, 2023)."""
    for year in ("2000", "2024"):
        validate_id_number(make_number(f"411104{year}0229002"), today=TODAY)
    for year in ("1900", "2023"):
        with pytest.raises(InvalidIdNumber) as info:
            validate_id_number(make_number(f"411104{year}0229002"), today=TODAY)
        assert info.value.en == "birth date is not a valid date"


def test_birth_date_and_gender():
    """birth_date decodes YYYYMMDD and gender follows the 17th digit's parity."""
    assert birth_date("11010519491231002X") == datetime.date(1949, 12, 31)
    assert gender("11010519491231002X") == "female"
    assert gender("440524188001010014") == "male"
    assert gender(make_number("41110419900307123")) == "male"
    assert gender(make_number("41110419900307124")) == "female"


def test_masking():
    """Masking keeps the first 4 and last 4 characters around 10 asterisks."""
    assert mask_id_number("411104199003071234") == "4111**********1234"
    assert mask_id_number("11010519491231002x") == "1101**********002X"
    assert len(mask_id_number(VALID)) == 18


def test_masking_malformed_input_hides_everything():
    """Input that is not 18 characters is masked completely."""
    assert mask_id_number("41110419900307") == "*" * 14


def test_encrypt_decrypt_round_trip(cipher):
    """decrypt(encrypt(x)) gives back the normalized number."""
    token = cipher.encrypt(VALID)
    assert token.startswith("v1:")
    assert "=" not in token
    assert cipher.decrypt(token) == VALID
    assert cipher.decrypt(cipher.encrypt("11010519491231002x")) == "11010519491231002X"


def test_random_nonce_but_stable_lookup_hash(cipher):
    """Two encryptions of one number differ while its lookup hash is the same."""
    assert cipher.encrypt(VALID) != cipher.encrypt(VALID)
    assert cipher.lookup_hash(VALID) == cipher.lookup_hash(VALID)
    assert cipher.lookup_hash("11010519491231002x") == cipher.lookup_hash("11010519491231002X")
    assert cipher.lookup_hash(VALID) != cipher.lookup_hash("11010519491231002X")
    assert len(cipher.lookup_hash(VALID)) == 64
    other = IdentityCipher(ENC_KEY, bytes(range(64, 96)))
    assert other.lookup_hash(VALID) != cipher.lookup_hash(VALID)


def test_tampered_token_refused(cipher):
    """Changing any byte of the token body makes decrypt raise ValueError."""
    token = cipher.encrypt(VALID)
    prefix, body = token.split(":")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    for position in (0, 12, len(raw) - 1):  # nonce, ciphertext, tag
        tampered = bytearray(raw)
        tampered[position] ^= 0x01
        bad = f"{prefix}:{base64.urlsafe_b64encode(bytes(tampered)).rstrip(b'=').decode()}"
        with pytest.raises(ValueError):
            cipher.decrypt(bad)
    for bad in (token[:-4], f"{prefix}:", f"{prefix}:***", "garbage", ""):
        with pytest.raises(ValueError):
            cipher.decrypt(bad)


def test_wrong_key_refused(cipher):
    """A token cannot be decrypted with another key or under an unknown key id."""
    token = cipher.encrypt(VALID)
    with pytest.raises(ValueError):
        IdentityCipher(bytes(range(100, 132)), HASH_KEY).decrypt(token)
    with pytest.raises(ValueError, match="unknown key id"):
        IdentityCipher(ENC_KEY, HASH_KEY, key_id="2").decrypt(token)


def test_keys_must_be_32_bytes_and_distinct():
    """The constructor refuses short, long, non-bytes or identical keys and bad key ids."""
    for enc, hsh in ((b"short", HASH_KEY), (ENC_KEY, bytes(33)), ("x" * 32, HASH_KEY), (ENC_KEY, ENC_KEY)):
        with pytest.raises(ValueError):
            IdentityCipher(enc, hsh)
    with pytest.raises(ValueError):
        IdentityCipher(ENC_KEY, HASH_KEY, key_id="a:b")


def test_from_settings_accepts_urlsafe_and_standard_base64():
    """from_settings decodes urlsafe or standard base64, with or without padding."""
    enc = bytes([0xFB, 0xFF] * 16)  # encodes with '-'/'_' in urlsafe and '+'/'/' in standard
    urlsafe = _b64(enc)
    standard = base64.b64encode(HASH_KEY).decode()
    a = IdentityCipher.from_settings(urlsafe, standard)
    b = IdentityCipher.from_settings(base64.b64encode(enc).decode().rstrip("="), standard)
    assert b.decrypt(a.encrypt(VALID)) == VALID
    assert a.lookup_hash(VALID) == IdentityCipher(enc, HASH_KEY).lookup_hash(VALID)


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "not base64 at all!", _b64(bytes(16)), _b64(bytes(range(33))), "AAAA*AAA"],
)
def test_from_settings_refuses_bad_keys(bad):
    """from_settings raises ValueError with a message naming the key for bad base64 or wrong length."""
    with pytest.raises(ValueError, match="encryption key"):
        IdentityCipher.from_settings(bad, _b64(HASH_KEY))
    with pytest.raises(ValueError, match="hash key"):
        IdentityCipher.from_settings(_b64(ENC_KEY), bad)


def test_generate_key_is_usable():
    """generate_key gives distinct 32-byte urlsafe keys that from_settings accepts."""
    first, second = generate_key(), generate_key()
    assert first != second
    assert len(base64.urlsafe_b64decode(first)) == 32
    IdentityCipher.from_settings(first, second)


def test_plaintext_never_appears_in_token(cipher):
    """Neither the number nor its base64 encoding shows in the token."""
    for number in (VALID, "11010519491231002X"):
        token = cipher.encrypt(number)
        assert number not in token
        assert number[:8] not in token and number[-8:] not in token
        assert base64.urlsafe_b64encode(number.encode()).decode()[:12] not in token
        assert number not in repr(cipher)


def test_phone_regex():
    """PHONE_RE accepts 11-digit mobiles 13x-19x only."""
    assert PHONE_RE.match("13812345678")
    for bad in ("12812345678", "1381234567", "138123456789", "03953123456", "+8613812345678"):
        assert not PHONE_RE.match(bad)
