"""The authorization matrix: every operation of the OpenAPI document, who may call it, what to
send, and what each caller must get for an object inside and outside their scope.

Read spec.py for the columns. Written by hand from the README ("Scope", "Roles", each area's
"who sees what"), DOMAIN.md and RELIABILITY.md — never computed from api/policy.py. Where the
code disagreed with a row and the documents settle it, the row says so in ``note``.

The accounts (README, "Demo accounts"): district_admin, street_admin (天桥街道), community_staff
(漓江路社区), grid_member (漓江路社区第1网格), grid_member_2 (翟庄社区第1网格), resident (lives in
grid_member's cell), responder (天桥街道's rescue team), unit_staff (召陵区城市管理局), and the
separated administrators audit_admin, system_admin, security_admin.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

from tests.authz.spec import EMPTY, PUBLIC, Bbox, Case, Fn, Pt, Ref, Row, Tile, accounts
from tests.authz.world import ACCOUNTS

DEMO_PASSWORD = "Demo-pass-2026"

# --- who (README "Roles", "Scope" and each area's "who sees what") ------------------------------
EVERYONE = accounts(*ACCOUNTS)
MEMBERS = accounts("grid_member", "grid_member_2")
MANAGERS = accounts("community_staff", "street_admin", "district_admin")  # community staff and above
STAFF = MEMBERS | MANAGERS  # "grid members and staff"
LEADERS = accounts("street_admin", "district_admin")
ADMINS = accounts("system_admin", "security_admin", "audit_admin")  # 三权分立
# Places: everyone but the audit administrator, whose one duty is the audit log.
PLACE_READERS = EVERYONE - {"audit_admin"}
# Matters: a resident their own, a grid member their cells', staff their area's, a handling unit and
# a responder what is dispatched to them (README "Resident matters", Scope).
MATTER_READERS = STAFF | accounts("resident", "unit_staff", "responder")
REPORTERS = STAFF | accounts("resident")  # who reports from the app or the console
# Photos: whoever reports or handles a matter uploads them.
UPLOADERS = MATTER_READERS
# 综治: "residents, handling units and responders get 403" (README, Key persons)
GOVERNANCE_READERS = STAFF
# 信访: petition staff and the unit a petition is assigned to; "Residents, grid members and
# responders get 403".
PETITION_READERS = MANAGERS | accounts("unit_staff")
# 应急: staff open and follow incidents, responders their dispatches
INCIDENT_READERS = STAFF | accounts("responder")
TEAM_MEMBERS = MEMBERS | accounts("responder")  # "members are responders or grid members"
USER_READERS = STAFF | ADMINS

TODAY = Fn(lambda c: date.today().isoformat(), "const today")
NOW = Fn(lambda c: (datetime.now(UTC) - timedelta(minutes=5)).isoformat(), "const now")
NEW_ID = Fn(lambda c: str(uuid.uuid4()), "const new uuid")
WEEK = Fn(lambda c: "{}-W{:02d}".format(*date.today().isocalendar()[:2]), "const this week")
IF_MATCH = {"If-Match": "*"}  # any current version: the write goes through; 428 without it


def _track(c):
    p = c.world.point(c.side)
    start = datetime.now(UTC) - timedelta(minutes=30)
    return [{"lng": p["lng"] + i * 0.0001, "lat": p["lat"], "at": (start + timedelta(minutes=i)).isoformat()}
            for i in range(3)]


def _visit(c, household):
    return {"id": str(uuid.uuid4()), "household_id": household,
            "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(), "result": "met", "notes": "矩阵测试"}


def _sync_results(statuses):
    def check(cell, response):
        got = [r["status"] for r in response.get_json()["results"]]
        return got == statuses(cell), f"sync results {got}"
    return check


def _tiny_cell(c):
    """A new cell inside the side's community: a square of 0.3 m × 0.3 m, under the 1 m² of overlap
    the check tolerates, so that in scope the write goes through."""
    p = c.world.point(c.side)
    d = 0.000003
    return {"code": c.ref("community", "code") + "987", "name": "矩阵测试网格", "kind": "mixed",
            "boundary": {"type": "Polygon", "coordinates": [[[p["lng"], p["lat"]], [p["lng"] + d, p["lat"]],
                                                              [p["lng"] + d, p["lat"] + d], [p["lng"], p["lat"] + d],
                                                              [p["lng"], p["lat"]]]]}}


def _feature_of_cell(c):
    """An import of the side's cell exactly as it is (a dry run: nothing changes)."""
    from tests.authz.world import cell_feature  # noqa: PLC0415

    return {"type": "FeatureCollection", "features": [cell_feature(c.side)]}


def _party_link(c):
    from tests.authz.world import unlinked_party_pair  # noqa: PLC0415

    resident, household = unlinked_party_pair(c.side)
    return {"resident_id": resident, "household_id": household}


def _unknown_parent(field):
    """The refusal names ``field`` and says "does not exist or is outside your area": the words of a
    missing place, so that the answer tells nothing about places outside the area."""
    def check(cell, response):
        if cell.where == "in":
            return True, ""
        text = json.dumps(response.get_json().get("errors", {}), ensure_ascii=False)
        return field in response.get_json().get("errors", {}) and "不存在或不在您的管辖范围内" in text, text[:200]
    return check


def _refused(field):
    def check(cell, response):
        if cell.where == "in":
            return True, ""
        return field in response.get_json().get("errors", {}), str(response.get_json())[:200]
    return check


def _names(field):
    """The refusal names ``field`` (which id of the body was refused)."""
    def check(cell, response):
        errors = (response.get_json() or {}).get("errors") or {}
        return field in errors, f"errors {errors}"
    return check


def _out(kinds):
    """Marks an Fn body as naming objects from outside (see harness.run_cases)."""
    def mark(fn):
        fn.out_kinds = kinds
        return fn
    return mark


@_out({"household"})
def _party_link_out(c):
    resident, _ = _unlinked(c.side)
    return {"resident_id": resident, "household_id": c.ref("household", where="out")}


@_out({"household"})
def _mixed_batch(c):
    return {"visits": [_visit(c, c.ref("household")), _visit(c, c.ref("household", where="out"))]}


@_out({"resident"})
def _roster_out(c):
    visit = _visit(c, c.ref("household"))
    visit["roster_changes"] = [{"change": "moved_out", "resident_id": c.ref("resident", where="out")}]
    return {"visits": [visit]}


@_out({"key_person"})
def _follow_up_out(c):
    visit = _visit(c, c.ref("household"))
    visit["follow_ups"] = [{"person_id": c.ref("key_person", where="out"), "assessment": "stable"}]
    return {"visits": [visit]}


@_out({"foreign_photo"})
def _photo_out(c):
    visit = _visit(c, c.ref("household"))
    visit["photo_ids"] = [c.ref("foreign_photo", where="out")]
    return {"visits": [visit]}


def _unlinked(side):
    from tests.authz.world import unlinked_party_pair  # noqa: PLC0415

    return unlinked_party_pair(side)


def _no_ids(cell, response):
    items = response.get_json()
    return all(i["id"] is None and i["description"] is None for i in items), "nearby outside scope shows no ids or words"


def _marked(n):
    return lambda cell, response: (response.get_json()["marked"] == n, f"marked {response.get_json()}")


ROWS: list[Row] = [
    # --- authentication (README "Authentication"; RELIABILITY API2) ------------------------------
    Row("POST /api/v1/auth/login", PUBLIC,
        body=Fn(lambda c: {"username": c.account if c.account != "anonymous" else "resident",
                           "password": DEMO_PASSWORD}, "const own credentials"),
        note="public: each caller logs in with its own name (anonymous: resident's)"),
    Row("POST /api/v1/auth/refresh", PUBLIC,
        body=Fn(lambda c: {"refresh_token": c.world.refresh_token(c.account)}, "const own refresh token"),
        note="public: the refresh token is the credential"),
    Row("POST /api/v1/auth/logout", EVERYONE, ok=204),
    Row("GET /api/v1/me", EVERYONE),
    Row("POST /api/v1/me/password", EVERYONE, ok=204,
        body={"current_password": DEMO_PASSWORD, "new_password": "Matrix-pass-2026!"}),

    # --- places and grid cells (README "Grid cells and the map") ---------------------------------
    Row("GET /api/v1/places", PLACE_READERS, query={"parent_id": Ref("community")}, out=EMPTY,
        ok={"*": 200}, note="a filter outside the scope finds nothing"),
    Row("GET /api/v1/places/{place_id}", PLACE_READERS, path={"place_id": Ref("grid_cell")}),
    Row("GET /api/v1/grid-cells", PLACE_READERS, query={"community_id": Ref("community")}, out=EMPTY),
    Row("POST /api/v1/grid-cells", MANAGERS, body=Fn(_tiny_cell, "a cell in the side's community"),
        out=422, check=_unknown_parent("code"),
        note="a cell names its community by code, as an import does: outside the area the code's parent "
             "'does not exist or is outside your area' (422 on code, the same words as for no such place)"),
    Row("GET /api/v1/grid-cells/{cell_id}", PLACE_READERS, path={"cell_id": Ref("grid_cell")}),
    Row("PATCH /api/v1/grid-cells/{cell_id}", MANAGERS, path={"cell_id": Ref("grid_cell")},
        body={"name": "矩阵测试改名"}, headers=IF_MATCH),
    Row("GET /api/v1/grid-cells/locate", PLACE_READERS, query={"lng": Fn(lambda c: c.world.point(c.side)["lng"], "lng"),
                                                               "lat": Fn(lambda c: c.world.point(c.side)["lat"], "lat")},
        out=200, note="README: locate answers for any cell of the deployment, whatever the caller's scope "
                      "(ids, codes and names only; fetching the cell stays scoped)"),
    Row("POST /api/v1/grid-cells/import", LEADERS, query={"dry_run": "true"},
        body=Fn(_feature_of_cell, "the side's cell as a feature"), out=422, check=_unknown_parent("features"),
        note="README: an import stays inside the caller's area and lists every problem by feature: a "
             "feature outside it is 422, in the same words as a parent that does not exist"),
    Row("GET /api/v1/grid-cells/export", LEADERS, query={"code": Ref("grid_cell", "code")}, out=EMPTY),
    Row("GET /api/v1/places/{place_id}/coverage", PLACE_READERS, path={"place_id": Ref("community")},
        ok={"*": 200, "grid_member": 404, "grid_member_2": 404, "resident": 404},
        note="a grid member's and a resident's scope is their cell, not the community around it"),
    Row("GET /api/v1/map/grid-cells", PLACE_READERS, query={"bbox": Bbox()}, out=EMPTY),
    Row("GET /api/v1/tiles/grid-cells/{z}/{x}/{y}.mvt", PLACE_READERS,
        path={"z": 16, "x": Tile("x", 16), "y": Tile("y", 16)}, out=EMPTY),
    Row("GET /api/v1/responsibility-posts", PLACE_READERS),
    Row("GET /api/v1/responsibility-posts/{code}", PLACE_READERS, path={"code": "grid_leader"}),
    Row("PATCH /api/v1/responsibility-posts/{code}", accounts("district_admin"), path={"code": "grid_leader"},
        body={"title": "网格长"}, headers=IF_MATCH, note="titles are renamed by the district admin"),
    Row("GET /api/v1/grid-cells/{cell_id}/chain", PLACE_READERS, path={"cell_id": Ref("grid_cell")}),
    Row("POST /api/v1/grid-cells/{cell_id}/chain", MANAGERS, path={"cell_id": Ref("grid_cell")},
        body={"post": "building_leader", "name": "矩阵测试楼栋长"}),

    # --- the population base (README "The population base") --------------------------------------
    Row("GET /api/v1/residents", STAFF, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY,
        cases=[
            Case("?household_id= from outside", query={"household_id": Ref("household", where="out")}, expect=EMPTY),
        ]),
    Row("POST /api/v1/residents", STAFF, body={"household_id": Ref("household"), "name": "矩阵测试居民",
                                              "kind": "registered"},
        cases=[
            Case("grid_cell_id from outside", body={"grid_cell_id": Ref("grid_cell", where="out"),
                                                    "name": "矩阵测试居民", "kind": "registered"}),
        ]),
    Row("POST /api/v1/residents/lookup", STAFF, body={"id_number": Ref("resident", "id_number")}, out=EMPTY,
        note="an exact identity number outside the scope finds nobody"),
    Row("GET /api/v1/residents/{resident_id}", STAFF, path={"resident_id": Ref("resident")}),
    Row("PATCH /api/v1/residents/{resident_id}", STAFF, path={"resident_id": Ref("resident")},
        body={"tags": ["elderly_alone"]}, headers=IF_MATCH,
        cases=[
            Case("moved into a household from outside", body={"household_id": Ref("household", where="out")}),
        ]),
    Row("POST /api/v1/residents/{resident_id}/reveal", MANAGERS, path={"resident_id": Ref("resident")},
        body={"reason": "矩阵测试核实身份"}, note="community, street and district staff may reveal, with a reason"),
    Row("GET /api/v1/households", STAFF, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY),
    Row("POST /api/v1/households", STAFF, body={"grid_cell_id": Ref("grid_cell"), "address": "矩阵测试 1 号"},
        cases=[
            Case("building_id from outside", body={"building_id": Ref("building", where="out"), "address": "矩阵测试 2 号"},
                 accounts=STAFF - {"district_admin"}),
        ]),
    Row("GET /api/v1/households/{household_id}", STAFF, path={"household_id": Ref("household")}),
    Row("PATCH /api/v1/households/{household_id}", STAFF, path={"household_id": Ref("household")},
        body={"weekly_follow_up": True, "follow_up_reason": "矩阵测试"}, headers=IF_MATCH),
    Row("GET /api/v1/buildings", STAFF, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY),
    Row("POST /api/v1/buildings", STAFF, body={"name": "矩阵测试楼", "address": "矩阵测试路 1 号", "location": Pt()},
        out=422, check=_refused("location"),
        note="a building is placed by its point: a point in a cell outside the area is 422 on location"),
    Row("GET /api/v1/buildings/{building_id}", STAFF, path={"building_id": Ref("building")}),
    Row("PATCH /api/v1/buildings/{building_id}", STAFF, path={"building_id": Ref("building")},
        body={"floors": 7}, headers=IF_MATCH,
        cases=[
            Case("compound_id from outside", body={"compound_id": Ref("compound", where="out")},
                 accounts=STAFF - {"district_admin"}),
        ]),
    Row("GET /api/v1/compounds", STAFF, query={"community_id": Ref("community")}, out=EMPTY, needs=("compound",)),
    Row("POST /api/v1/compounds", MANAGERS, body={"community_id": Ref("community"), "name": "矩阵测试小区"}),
    Row("GET /api/v1/compounds/{compound_id}", STAFF, path={"compound_id": Ref("compound")}),
    Row("PATCH /api/v1/compounds/{compound_id}", MANAGERS, path={"compound_id": Ref("compound")},
        body={"owners_committee_phone": "0395-7654321"}, headers=IF_MATCH),
    Row("GET /api/v1/property-companies", STAFF),
    Row("POST /api/v1/property-companies", MANAGERS,
        body={"name": "矩阵测试物业", "phone": "0395-1234567", "place_id": Ref("community")}),
    Row("GET /api/v1/party-links", STAFF, query={"household_id": Ref("party_household")}, out=EMPTY),
    Row("POST /api/v1/party-links", STAFF, body=Fn(_party_link, "a party member and a household of the side"),
        cases=[
            Case("household from outside", body=Fn(_party_link_out, "own party member, household from outside"),
                 accounts=STAFF - {"district_admin"}),
        ]),
    Row("DELETE /api/v1/party-links/{link_id}", STAFF, path={"link_id": Ref("party_link")}),

    # --- matters (README "Resident matters") -----------------------------------------------------
    Row("GET /api/v1/matter-categories", EVERYONE),
    Row("POST /api/v1/matter-categories", accounts("district_admin"),
        body={"code": "ROAD-MATRIX", "parent": "ROAD", "name": "矩阵测试", "name_en": "Matrix test"}),
    Row("GET /api/v1/matter-categories/{code}", EVERYONE, path={"code": "ROAD-LIGHT"}),
    Row("PATCH /api/v1/matter-categories/{code}", accounts("district_admin"), path={"code": "ROAD-LIGHT"},
        body={"handle_hours": 24}, headers=IF_MATCH),
    Row("GET /api/v1/matters", MATTER_READERS, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY,
        needs=("matter",),
        cases=[
            Case("?community_id= from outside", query={"community_id": Ref("community", where="out")}, expect=EMPTY,
                 accounts=MANAGERS),
        ]),
    Row("POST /api/v1/matters", REPORTERS,
        body={"category": "ROAD-LIGHT", "description": "矩阵测试路灯", "location": Pt()}, out=201,
        note="README: a resident reports wherever they stand; the matter lands in the cell of its point",
        cases=[
            Case("photo_ids: somebody else's upload", body={
                "category": "ROAD-LIGHT", "description": "矩阵测试", "location": Pt(),
                "photo_ids": [Ref("foreign_photo", where="out")]}, check=_names("photo_ids")),
        ]),
    Row("GET /api/v1/matters/nearby", REPORTERS,
        query={"category": "ROAD-LIGHT", "lng": Fn(lambda c: c.world.point(c.side)["lng"], "lng"),
               "lat": Fn(lambda c: c.world.point(c.side)["lat"], "lat"), "radius_m": 1000},
        out=200, check=lambda cell, r: (True, "") if cell.where == "in" else _no_ids(cell, r),
        note="outside the scope: without id or words, the distance rounded to 50 m"),
    Row("GET /api/v1/matters/export.xlsx", MANAGERS, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY),
    Row("GET /api/v1/matters/export.csv", MANAGERS, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY),
    Row("GET /api/v1/handling-units", MANAGERS),
    Row("GET /api/v1/matters/stats", MANAGERS),
    Row("GET /api/v1/matters/{matter_id}", MATTER_READERS, path={"matter_id": Ref("matter")}),
    Row("POST /api/v1/matters/{matter_id}/transitions", MATTER_READERS, path={"matter_id": Ref("matter")},
        body={"action": "urge", "note": "矩阵测试催办"},
        body_for={"grid_member": {"action": "escalate", "note": "矩阵测试上报"},
                  "grid_member_2": {"action": "escalate", "note": "矩阵测试上报"},
                  "resident": {"action": "rate", "rating": "satisfied"},
                  "unit_staff": {"action": "handle", "note": "矩阵测试已处置"},
                  "responder": {"action": "handle", "note": "矩阵测试已处置"}},
        ok={"*": 200, "resident": 409},
        note="each role takes a step of its own (README's table); the resident rates a matter not yet "
             "closed: 409 after it was found",
        cases=[
            Case("dispatch to a unit outside the line", path={"matter_id": Ref("registered_matter")},
                 body={"action": "dispatch", "unit_id": Ref("unit", where="out")}, accounts=MANAGERS,
                 expect=422, check=_names("unit_id")),
            Case("dispatch to a person outside the area", path={"matter_id": Ref("registered_matter")},
                 body={"action": "dispatch", "assignee_id": Ref("patroller", where="out")},
                 accounts=MANAGERS - {"district_admin"}),
            Case("merge into a matter outside", path={"matter_id": Ref("registered_matter")},
                 body={"action": "merge", "into_id": Ref("matter", where="out")}, accounts=MANAGERS),
        ]),
    Row("GET /api/v1/matters/{matter_id}/timeline", MATTER_READERS, path={"matter_id": Ref("matter")}),
    Row("GET /api/v1/map/matters", MATTER_READERS, query={"bbox": Bbox()}, out=EMPTY, needs=("matter",)),
    Row("GET /api/v1/tiles/matters/{z}/{x}/{y}.mvt", MATTER_READERS,
        path={"z": 16, "x": Tile("x", 16), "y": Tile("y", 16)}, out=EMPTY, needs=("matter",)),
    Row("GET /api/v1/notifications", EVERYONE),
    Row("POST /api/v1/notifications/read", EVERYONE, body={"ids": [Ref("notification")]}, out=200,
        check=lambda cell, r: _marked(1 if cell.where == "in" else 0)(cell, r),
        note="someone else's notification id is ignored (marked 0), never marked"),
    Row("POST /api/v1/photos", UPLOADERS, multipart=True),
    Row("GET /api/v1/photos/{photo_id}", MATTER_READERS, path={"photo_id": Ref("photo")},
        note="one's own upload, or a photo of a matter within scope"),

    # --- Open311 keys (README "Open311 GeoReport v2": issued by the system administrator) ----------
    Row("GET /api/v1/open311-keys", accounts("system_admin")),
    Row("POST /api/v1/open311-keys", accounts("system_admin"), body={"name": "矩阵测试伙伴", "place_id": Ref("street")}),
    Row("PATCH /api/v1/open311-keys/{key_id}", accounts("system_admin"), path={"key_id": Ref("open311_key")},
        body={"is_active": True}),

    # --- door-knock visits, check-ins and patrols (README "Door-knock visits") ------------------------
    Row("POST /api/v1/visits/sync", MEMBERS | accounts("community_staff"),
        body=Fn(lambda c: {"visits": [_visit(c, c.ref("household"))]}, "a visit to the side's household"),
        out=200, check=_sync_results(lambda cell: ["created" if cell.where == "in" else "rejected"]),
        note="a visit to a household outside the caller's cells is rejected in the batch's answer",
        cases=[
            Case("a batch: own household, one from outside", body=Fn(_mixed_batch, "in and out households"),
                 expect=200, check=_sync_results(lambda cell: ["created", "rejected"])),
            Case("roster change: moving out a resident from outside", body=Fn(_roster_out, "resident from outside"),
                 expect=200, check=_sync_results(lambda cell: ["rejected"])),
            Case("follow-up of a key person from outside", body=Fn(_follow_up_out, "key person from outside"),
                 expect=200, check=_sync_results(lambda cell: ["rejected"])),
            Case("photo_ids: somebody else's upload", body=Fn(_photo_out, "foreign photo"),
                 expect=200, check=_sync_results(lambda cell: ["rejected"])),
        ]),
    Row("GET /api/v1/visits", STAFF, query={"household_id": Ref("household")}, out=EMPTY),
    Row("GET /api/v1/visits/plan", STAFF, query={"week": WEEK, "grid_cell_id": Ref("grid_cell")}),
    Row("GET /api/v1/visits/unvisited", STAFF, query={"grid_cell_id": Ref("grid_cell")}),
    Row("GET /api/v1/visits/coverage", STAFF, query={"week": WEEK}),
    Row("GET /api/v1/visits/export.xlsx", STAFF, query={"household_id": Ref("household")}, out=EMPTY),
    Row("GET /api/v1/check-ins", STAFF, query={"user_id": Ref("patroller")},
        ok={"*": 200}, note="a grid member sees their own; staff those of the people under them"),
    Row("POST /api/v1/check-ins", MEMBERS | accounts("community_staff"),
        body={"id": NEW_ID, "kind": "check_in", "at": NOW, "location": Pt()}, out=201,
        note="a check-in is recorded where one stands; the answer says whether the cell is one's own"),
    Row("GET /api/v1/patrols", STAFF, query={"user_id": Ref("patroller")}),
    Row("POST /api/v1/patrols", MEMBERS | accounts("community_staff"),
        body={"id": NEW_ID, "points": Fn(_track, "a track in the side's cell")}, out=201,
        note="a track is recorded wherever it went"),
    Row("GET /api/v1/patrols/{patrol_id}", STAFF, path={"patrol_id": Ref("patrol")}),
    Row("GET /api/v1/patrols/daily", STAFF, query={"user_id": Ref("patroller")}),

    # --- key persons and care targets (README "Key persons, care targets and disputes") ---------------
    Row("GET /api/v1/key-persons", STAFF, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY, needs=("key_person",)),
    Row("POST /api/v1/key-persons", MANAGERS, body={"resident_id": Ref("resident"), "category": "at_risk_youth",
                                                   "attention_level": "low"},
        cases=[
            Case("id_number of a resident outside", body={"id_number": Ref("resident", "id_number", where="out"),
                                                          "category": "at_risk_youth", "attention_level": "low"},
                 accounts=MANAGERS - {"district_admin"}),
            Case("responsible_user_id from outside", body={
                "resident_id": Ref("resident"), "category": "at_risk_youth", "attention_level": "low",
                "responsible_user_id": Ref("patroller", where="out")}, accounts=MANAGERS - {"district_admin"},
                 expect=422, check=_names("responsible_user_id")),
        ]),
    Row("GET /api/v1/key-persons/alerts", STAFF),
    Row("GET /api/v1/key-persons/{person_id}", STAFF, path={"person_id": Ref("key_person")}),
    Row("PATCH /api/v1/key-persons/{person_id}", MANAGERS, path={"person_id": Ref("key_person")},
        body={"attention_level": "medium"}, headers=IF_MATCH),
    Row("POST /api/v1/key-persons/{person_id}/reveal", MANAGERS, path={"person_id": Ref("key_person")},
        body={"reason": "矩阵测试核实"}),
    Row("GET /api/v1/key-persons/export.xlsx", STAFF, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY,
        needs=("key_person",)),
    Row("GET /api/v1/care-targets", STAFF, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY,
        needs=("care_target",)),
    Row("POST /api/v1/care-targets", MANAGERS, body={"resident_id": Ref("resident"), "category": "low_income",
                                                    "attention_level": "low"}),
    Row("GET /api/v1/care-targets/alerts", STAFF),
    Row("GET /api/v1/care-targets/{person_id}", STAFF, path={"person_id": Ref("care_target")}),
    Row("PATCH /api/v1/care-targets/{person_id}", MANAGERS, path={"person_id": Ref("care_target")},
        body={"attention_level": "medium"}, headers=IF_MATCH),
    Row("POST /api/v1/care-targets/{person_id}/reveal", MANAGERS, path={"person_id": Ref("care_target")},
        body={"reason": "矩阵测试核实"}),
    Row("GET /api/v1/care-targets/export.xlsx", STAFF, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY,
        needs=("care_target",)),

    # --- disputes ----------------------------------------------------------------------------------
    Row("GET /api/v1/disputes", STAFF, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY, needs=("dispute",)),
    Row("POST /api/v1/disputes", STAFF, body={
        "kind": "neighbour", "summary": "矩阵测试纠纷", "risk_level": "low", "grid_cell_id": Ref("grid_cell"),
        "parties": [{"name": "甲（合成）"}, {"name": "乙（合成）"}]},
        cases=[
            Case("matter_id from outside", body={
                "kind": "neighbour", "summary": "矩阵测试纠纷", "risk_level": "low", "matter_id": Ref("matter", where="out"),
                "parties": [{"name": "甲（合成）"}, {"name": "乙（合成）"}]}),
            Case("visit_id from outside", body={
                "kind": "neighbour", "summary": "矩阵测试纠纷", "risk_level": "low",
                "visit_id": Ref("dispute_visit", where="out"),
                "parties": [{"name": "甲（合成）"}, {"name": "乙（合成）"}]}, accounts=STAFF - {"district_admin"}),
            Case("mediator_id from outside", body={
                "kind": "neighbour", "summary": "矩阵测试纠纷", "risk_level": "low", "grid_cell_id": Ref("grid_cell"),
                "mediator_id": Ref("user", where="out"), "parties": [{"name": "甲（合成）"}, {"name": "乙（合成）"}]}),
            Case("a party's resident_id from outside", body={
                "kind": "neighbour", "summary": "矩阵测试纠纷", "risk_level": "low", "grid_cell_id": Ref("grid_cell"),
                "parties": [{"name": "甲（合成）", "resident_id": Ref("resident", where="out")}, {"name": "乙（合成）"}]}),
        ]),
    Row("GET /api/v1/disputes/stats", STAFF),
    Row("GET /api/v1/disputes/{dispute_id}", STAFF, path={"dispute_id": Ref("dispute")}),
    Row("POST /api/v1/disputes/{dispute_id}/sessions", STAFF, path={"dispute_id": Ref("dispute")},
        body={"held_on": TODAY, "notes": "矩阵测试调解"}),
    Row("POST /api/v1/disputes/{dispute_id}/close", STAFF, path={"dispute_id": Ref("dispute")},
        body={"outcome": "agreement"}, ok={"*": 200, "grid_member": 403, "grid_member_2": 403},
        note="community staff and above, or the dispute's own mediator: a grid member who is not "
             "its mediator is refused after the dispute was found"),
    Row("GET /api/v1/disputes/export.xlsx", STAFF, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY,
        needs=("dispute",)),

    # --- petitions (README "Petitions", "Who sees what") ----------------------------------------
    Row("GET /api/v1/petitions", PETITION_READERS, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY),
    Row("POST /api/v1/petitions", MANAGERS, body={
        "channel": "letter", "received_on": TODAY, "kind": "claim", "summary": "矩阵测试信访",
        "grid_cell_id": Ref("grid_cell"), "petitioners": [{"name": "丁（合成）"}]},
        cases=[
            Case("matter_id from outside", body={
                "channel": "letter", "received_on": TODAY, "kind": "claim", "summary": "矩阵测试信访",
                "grid_cell_id": Ref("grid_cell"), "petitioners": [{"name": "丁（合成）"}], "matter_id": Ref("matter", where="out")}),
            Case("a petitioner's resident_id from outside", body={
                "channel": "letter", "received_on": TODAY, "kind": "claim", "summary": "矩阵测试信访",
                "grid_cell_id": Ref("grid_cell"),
                "petitioners": [{"name": "丁（合成）", "resident_id": Ref("resident", where="out")}]}),
            Case("photo_ids: somebody else's upload", body={
                "channel": "letter", "received_on": TODAY, "kind": "claim", "summary": "矩阵测试信访",
                "grid_cell_id": Ref("grid_cell"), "petitioners": [{"name": "丁（合成）"}],
                "photo_ids": [Ref("foreign_photo", where="out")]}, check=_names("photo_ids")),
        ]),
    Row("GET /api/v1/petitions/stats", MANAGERS),
    Row("GET /api/v1/petitions/{petition_id}", PETITION_READERS, path={"petition_id": Ref("petition")}),
    Row("POST /api/v1/petitions/{petition_id}/transitions", PETITION_READERS, path={"petition_id": Ref("petition")},
        body={"action": "went_up", "level": "city"},
        body_for={"unit_staff": {"action": "reply", "note": "矩阵测试答复"}},
        note="petition staff take the steps; the assigned unit replies",
        cases=[
            Case("assign to a unit outside the line", path={"petition_id": Ref("accepted_petition")},
                 body={"action": "assign", "unit_id": Ref("unit", where="out")}, accounts=MANAGERS,
                 expect=422, check=_names("unit_id")),
        ]),
    Row("GET /api/v1/petitions/export.xlsx", PETITION_READERS, query={"grid_cell_id": Ref("grid_cell")}, out=EMPTY),

    # --- emergencies (README "Emergencies") --------------------------------------------------------
    Row("GET /api/v1/incidents", INCIDENT_READERS),
    Row("POST /api/v1/incidents", STAFF, body={"title": "矩阵测试燃气泄漏", "kind": "accident", "subtype": "gas_leak",
                                              "level": "IV", "location": Pt()},
        out=422, check=_refused("location"),
        note="README: the cell of its location must be in the caller's area (422 on location)",
        cases=[
            Case("matter_id from outside", body={"matter_id": Ref("matter", where="out"), "level": "IV"}),
            Case("commander_id from outside", body={
                "title": "矩阵测试", "kind": "accident", "subtype": "gas_leak", "level": "IV", "location": Pt(),
                "commander_id": Ref("user", where="out")}),
        ]),
    Row("GET /api/v1/incidents/{incident_id}", INCIDENT_READERS, path={"incident_id": Ref("incident")}),
    Row("POST /api/v1/incidents/{incident_id}/transitions", MANAGERS, path={"incident_id": Ref("incident")},
        body={"action": "regrade", "level": "III"}),
    Row("POST /api/v1/incidents/{incident_id}/messages", INCIDENT_READERS,
        path={"incident_id": Ref("incident")}, body={"message": "矩阵测试现场情况"},
        ok={"*": 201, "grid_member": 403, "grid_member_2": 403},
        note="the command log: commanders and the responders sent to it; a grid member reads the incident "
             "(so 404 outside, 403 inside) but is neither (fixed: the code let them write)"),
    Row("GET /api/v1/incidents/{incident_id}/recommendations", MANAGERS, path={"incident_id": Ref("incident")}),
    Row("POST /api/v1/incidents/{incident_id}/dispatches", MANAGERS, path={"incident_id": Ref("rescue_incident")},
        body={"responder_ids": [Ref("on_duty_responder")]},
        cases=[
            Case("a responder outside the area", body={"responder_ids": [Ref("on_duty_responder", where="out")]},
                 accounts=MANAGERS - {"district_admin"}, expect=422, check=_names("responder_ids.0")),
        ]),
    Row("POST /api/v1/dispatches/{dispatch_id}/transitions", TEAM_MEMBERS, path={"dispatch_id": Ref("dispatch")},
        body={"action": "acknowledge"}, note="only the responder the dispatch went to"),
    Row("GET /api/v1/responders/me/dispatches", TEAM_MEMBERS),
    Row("POST /api/v1/responders/me/position", TEAM_MEMBERS, body=Fn(lambda c: c.world.point("A"), "const point"),
        ok={"*": 200, "grid_member": 404, "grid_member_2": 404},
        note="the demo grid members are on no team: 404 (not a team member) after the role was let through"),
    Row("POST /api/v1/responders/me/duty", TEAM_MEMBERS, body={"duty_status": "on_duty"},
        ok={"*": 200, "grid_member": 404, "grid_member_2": 404}),
    Row("GET /api/v1/responders/me", TEAM_MEMBERS, ok={"*": 200, "grid_member": 404, "grid_member_2": 404}),
    Row("GET /api/v1/responders", MANAGERS, query={"team_id": Ref("team")}, out=EMPTY),
    Row("GET /api/v1/responders/{user_id}/track", MANAGERS, path={"user_id": Ref("responder_user")}),
    Row("GET /api/v1/teams", MANAGERS),
    Row("POST /api/v1/teams", MANAGERS, body={"place_id": Ref("community"), "kind": "rescue", "name": "矩阵测试救援队"}),
    Row("POST /api/v1/teams/{team_id}/members", MANAGERS, path={"team_id": Ref("team")},
        body={"user_id": Ref("team_candidate"), "skills": ["first_aid"]},
        cases=[
            Case("user_id from outside", body={"user_id": Ref("team_candidate", where="out")},
                 accounts=MANAGERS - {"district_admin"}),
        ]),
    Row("GET /api/v1/stream", INCIDENT_READERS, stream=True),
    Row("GET /api/v1/incidents/export.xlsx", INCIDENT_READERS),

    # --- accounts and audit (README "Roles": 三权分立) ------------------------------------------------
    Row("GET /api/v1/users", USER_READERS, query={"place_id": Ref("grid_cell")}, out=EMPTY, needs=("user",)),
    Row("POST /api/v1/users", accounts("system_admin"), body={
        "username": "matrix_user", "display_name": "矩阵测试", "role": "resident", "place_id": Ref("grid_cell"),
        "password": "Matrix-pass-2026!"},
        cases=[
            Case("a grid member's cells from outside", body={
                "username": "matrix_member", "display_name": "矩阵测试", "role": "grid_member",
                "place_id": Ref("community"), "grid_cell_ids": [Ref("grid_cell", where="out")],
                "password": "Matrix-pass-2026!"}),
        ]),
    Row("GET /api/v1/users/{user_id}", USER_READERS, path={"user_id": Ref("user")}),
    Row("PATCH /api/v1/users/{user_id}", accounts("system_admin"), path={"user_id": Ref("user")},
        body={"display_name": "矩阵测试改名"}, headers=IF_MATCH,
        cases=[
            Case("a grid member moved to cells from outside", path={"user_id": Ref("patroller")},
                 body={"grid_cell_ids": [Ref("grid_cell", where="out")]}),
        ]),
    Row("POST /api/v1/users/{user_id}/unlock", accounts("security_admin"), path={"user_id": Ref("user")}, ok=204),
    Row("GET /api/v1/audit-events", accounts("audit_admin"), query={"actor_id": Ref("user")}, out=EMPTY,
        needs=("photo",)),

    # --- the cockpit (README "The cockpit's figures") ----------------------------------------------
    Row("GET /api/v1/matters/figures", STAFF, query={"place_id": Ref("grid_cell")}),
    Row("GET /api/v1/assessment", MANAGERS),
]
