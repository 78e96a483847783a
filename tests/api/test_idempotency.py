"""Idempotency-Key: a create retried by a phone on a bad network happens once."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

from api.idempotency import lock_id
from models import GridCell, Photo, Resident, User
from models.db import get_engine
from tests.api.matter_helpers import report

LIJIANGLU_1 = "411104001001001"


def _body(db, name="重试的人"):
    cell = db.scalars(select(GridCell).where(GridCell.code == LIJIANGLU_1)).one()
    return {"grid_cell_id": str(cell.id), "name": name, "kind": "registered"}


def _count(db, name):
    return db.scalar(select(func.count(Resident.id)).where(Resident.name == name))


def test_same_key_and_body_replays_the_first_answer(client, as_user, db):
    """The retry gets the same 201 and the same id; one resident exists."""
    headers = {**as_user("grid_member"), "Idempotency-Key": "phone-0001"}
    first = client.post("/api/v1/residents", json=_body(db), headers=headers)
    second = client.post("/api/v1/residents", json=_body(db), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count(db, "重试的人") == 1


def test_same_key_with_another_body_is_422(client, as_user, db):
    """Reusing a key for a different request is refused and creates nothing more."""
    headers = {**as_user("grid_member"), "Idempotency-Key": "phone-0002"}
    assert client.post("/api/v1/residents", json=_body(db), headers=headers).status_code == 201
    other = client.post("/api/v1/residents", json=_body(db, "另一个人"), headers=headers)
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_reused"
    assert _count(db, "另一个人") == 0


def test_keys_belong_to_their_user(client, as_user, db):
    """Another user's request with the same key is a request of its own."""
    key = {"Idempotency-Key": "shared-key"}
    a = client.post("/api/v1/residents", json=_body(db), headers={**as_user("grid_member"), **key})
    b = client.post("/api/v1/residents", json=_body(db), headers={**as_user("community_staff"), **key})
    assert a.status_code == b.status_code == 201 and a.get_json()["id"] != b.get_json()["id"]


def test_a_failed_request_does_not_burn_its_key(client, as_user, db):
    """A 422 is not stored: the corrected request with the same key goes through."""
    headers = {**as_user("grid_member"), "Idempotency-Key": "phone-0003"}
    bad = client.post("/api/v1/residents", json={**_body(db), "phone": "123"}, headers=headers)
    assert bad.status_code == 422
    assert client.post("/api/v1/residents", json=_body(db), headers=headers).status_code == 201


def test_without_a_key_each_request_creates(client, as_user, db):
    """No header, no deduplication: two requests, two residents (the console's behaviour)."""
    headers = as_user("grid_member")
    client.post("/api/v1/residents", json=_body(db), headers=headers)
    client.post("/api/v1/residents", json=_body(db), headers=headers)
    assert _count(db, "重试的人") == 2


def test_malformed_key_is_422(client, as_user, db):
    """A key with spaces or over 100 characters is refused naming the header."""
    for key in ("has space", "x" * 101):
        response = client.post("/api/v1/residents", json=_body(db), headers={**as_user("grid_member"), "Idempotency-Key": key})
        assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["errors"]


def test_the_same_json_in_another_order_is_the_same_request(client, as_user, db):
    """A retry that serialises its keys in another order replays, not 422."""
    import json

    headers = {**as_user("grid_member"), "Idempotency-Key": "phone-0009", "Content-Type": "application/json"}
    body = _body(db)
    first = client.post("/api/v1/residents", data=json.dumps(body), headers=headers)
    again = client.post("/api/v1/residents", data=json.dumps(dict(reversed(list(body.items())))), headers=headers)
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"


def test_a_retried_photo_upload_stores_one_photo(client, as_user, db):
    """The same key and the same file (in a new multipart body, with another boundary) answer the
    first photo; the key with another file is refused."""
    headers = {**as_user("resident"), "Idempotency-Key": "photo-0001"}

    def upload(colour):
        buffer = io.BytesIO()
        Image.new("RGB", (32, 24), colour).save(buffer, format="JPEG")
        return client.post("/api/v1/photos", data={"file": (io.BytesIO(buffer.getvalue()), "p.jpg")},
                           headers=headers, content_type="multipart/form-data")

    mine = select(func.count(Photo.id)).where(Photo.uploader_id == select(User.id).where(User.username == "resident")
                                              .scalar_subquery())
    before = db.scalar(mine)
    first, again = upload((200, 10, 10)), upload((200, 10, 10))
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert db.scalar(mine) == before + 1
    other = upload((10, 10, 200))
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_reused"


def test_a_retried_matter_step_is_taken_once(client, as_user, db):
    """A phone's retry of a step it took (its answer lost) replays the answer instead of a 409;
    the timeline has the step once."""
    matter = report(client, as_user, db)
    headers = {**as_user("community_staff"), "Idempotency-Key": "step-0001"}
    first = client.post(f"/api/v1/matters/{matter}/transitions", json={"action": "accept"}, headers=headers)
    again = client.post(f"/api/v1/matters/{matter}/transitions", json={"action": "accept"}, headers=headers)
    assert first.status_code == again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["status"] == first.get_json()["status"] == "accepted"
    steps = [e["action"] for e in client.get(f"/api/v1/matters/{matter}/timeline", headers=headers).get_json()]
    assert steps.count("accept") == 1
    no_key = client.post(f"/api/v1/matters/{matter}/transitions", json={"action": "accept"},
                         headers=as_user("community_staff"))
    assert no_key.status_code == 409


def test_a_retry_while_the_first_is_still_running_is_409(client, as_user, db):
    """The first request with a key holds the key's lock until its transaction ends: here another
    connection holds it, as a request still running in another worker would. The retry answers
    409 idempotency_in_progress at once and writes nothing; once the first is done, the key works."""
    user_id = db.scalar(select(User.id).where(User.username == "grid_member"))
    headers = {**as_user("grid_member"), "Idempotency-Key": "phone-busy"}
    with get_engine().connect() as other:
        other.execute(select(func.pg_advisory_xact_lock(lock_id(user_id, "phone-busy"))))
        busy = client.post("/api/v1/residents", json=_body(db, "正忙的人"), headers=headers)
        assert busy.status_code == 409, busy.get_json()
        assert busy.get_json()["error"] == "idempotency_in_progress"
        assert _count(db, "正忙的人") == 0
        # another key of the same user is not held up
        assert client.post("/api/v1/residents", json=_body(db, "别的人"),
                           headers={**headers, "Idempotency-Key": "phone-free"}).status_code == 201
        other.rollback()  # the first request ends
    done = client.post("/api/v1/residents", json=_body(db, "正忙的人"), headers=headers)
    assert done.status_code == 201 and _count(db, "正忙的人") == 1
