"""Rotating the PII key: old tokens still open with the key kept as previous; `rotate` re-seals every
sealed column with the current key, after which the old key alone opens nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from api.population.identity import IdentityCipher, generate_key
from api.sealed import rotate
from models import Dispute, FollowedPerson, Resident


def test_rotation_reseals_every_column(app, db, client, as_user):
    old = app.extensions["gridgov.identity"]
    config = app.config
    new_key = generate_key()
    new = IdentityCipher.from_settings(new_key, config["PII_HASH_KEY"], "2", f"1:{config['PII_ENCRYPTION_KEY']}")
    number_before = old.decrypt(db.scalars(select(Resident.id_number_cipher).where(
        Resident.id_number_cipher.isnot(None)).limit(1)).one())
    assert new.decrypt(old.encrypt(number_before)) == number_before  # the previous key still opens old tokens

    counts = rotate(db, new, batch=200)
    assert counts["residents.id_number_cipher"] > 0 and counts["followed_persons.details_sealed"] > 0
    assert counts["disputes.parties_sealed"] > 0 and counts["mediation_sessions.notes_sealed"] > 0
    for table, column in (("residents", "id_number_cipher"), ("followed_persons", "details_sealed"),
                          ("follow_ups", "observations_sealed"), ("disputes", "parties_sealed"),
                          ("mediation_sessions", "notes_sealed")):
        stale = db.scalar(text(f"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL AND {column} NOT LIKE 'v2:%'"))  # noqa: S608
        assert stale == 0, table
    assert rotate(db, new) == dict.fromkeys(counts, 0)  # nothing left: a second run does nothing

    person = db.scalars(select(FollowedPerson).where(FollowedPerson.details_sealed.isnot(None))).first()
    assert new.unseal(person.kind.value, person.details_sealed)
    dispute = db.scalars(select(Dispute)).first()
    assert new.unseal("dispute_parties", dispute.parties_sealed)["parties"]
    with pytest.raises(ValueError):
        old.unseal(person.kind.value, person.details_sealed)  # the old key alone opens nothing now
    retired_only = IdentityCipher.from_settings(new_key, config["PII_HASH_KEY"], "2")
    assert retired_only.decrypt(db.scalars(select(Resident.id_number_cipher).where(
        Resident.id_number_cipher.isnot(None)).limit(1)).one())


def test_bad_previous_keys_are_refused():
    with pytest.raises(ValueError):
        IdentityCipher.from_settings(generate_key(), generate_key(), "2", "1:not-base64!")
    key = generate_key()
    with pytest.raises(ValueError):
        IdentityCipher.from_settings(key, generate_key(), "1", f"1:{generate_key()}")  # the same id twice
