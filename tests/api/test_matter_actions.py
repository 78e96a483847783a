"""A matter tells each caller the steps they may take now, as the flow would allow them."""

from __future__ import annotations

import pytest

from tests.api.matter_helpers import act, report

pytestmark = pytest.mark.usefixtures("clean_matters")


def _actions(client, as_user, matter_id, username):
    return set(client.get(f"/api/v1/matters/{matter_id}", headers=as_user(username)).get_json()["actions"])


def test_each_role_is_offered_exactly_what_it_may_do(client, as_user, db):
    matter_id = report(client, as_user, db)
    staff = _actions(client, as_user, matter_id, "community_staff")
    assert {"accept", "reject", "merge", "urge", "escalate"} <= staff
    assert not staff & {"register", "dispatch", "close", "rate", "reopen", "supervise", "place"}
    assert "supervise" in _actions(client, as_user, matter_id, "street_admin")
    assert _actions(client, as_user, matter_id, "resident") == set()  # nothing to rate yet
    assert {"resolve_on_spot", "escalate"} <= _actions(client, as_user, matter_id, "grid_member")
    # every action offered is accepted by the flow (here: the first one offered to staff)
    act(client, as_user("community_staff"), matter_id, "accept")
    after = _actions(client, as_user, matter_id, "community_staff")
    assert "register" in after and "accept" not in after
