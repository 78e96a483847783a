"""The companion app (网格通) on a phone: Playwright driving Debian's headless Chromium with a phone's
viewport, touch and position, against GridGov served by gunicorn. A resident reports with a photo,
a grid member records door-knock visits with the network off, a responder answers a dispatch; and
the app holds when answers are lost on the way back (the same Idempotency-Key, the same visit ids)."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.browser.conftest import forget, screenshot, watch
from tests.conftest import DEMO_PASSWORD
from tests.live_server import running_server

MARK = "手机测试"  # in what this module's matters and visits say, so it can remove them (it commits for real)
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "permissions": ["geolocation"]}
CELL_1 = "411104001001001"  # 漓江路社区第1网格: the resident's home and the grid member's cell


@pytest.fixture(scope="module")
def server(app, tmp_path_factory):
    since = datetime.now(UTC)
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.connect() as conn:  # follow-ups recorded here move these dates: put back afterwards
        followed = conn.execute(text("SELECT id, last_follow_up_at, next_follow_up_on FROM followed_persons")).all()
    try:
        with running_server(app.config["DATABASE_URL"], tmp_path_factory.mktemp("app") / "gunicorn.log") as port:
            yield f"http://127.0.0.1:{port}"
    finally:
        forget(app.config["DATABASE_URL"], MARK, since=since)
        with engine.begin() as conn:
            for row in followed:
                conn.execute(text("UPDATE followed_persons SET last_follow_up_at = :l, next_follow_up_on = :n "
                                  "WHERE id = :i"), {"l": row.last_follow_up_at, "n": row.next_follow_up_on, "i": row.id})
        engine.dispose()


@pytest.fixture(scope="module")
def sql(app):
    engine = create_engine(app.config["DATABASE_URL"])

    def run(statement, **params):
        with engine.connect() as conn:
            return conn.execute(text(statement), params).all()

    yield run
    engine.dispose()


@pytest.fixture(scope="module")
def inside_cell_1(sql):
    lng, lat = sql("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(boundary) AS p FROM places WHERE code = :c) q",
                   c=CELL_1)[0]
    return {"longitude": lng, "latitude": lat}


@pytest.fixture
def phone(browser, request, inside_cell_1):
    """A phone: its own storage (IndexedDB, service worker), standing inside 漓江路社区第1网格."""
    context = browser.new_context(**PHONE, geolocation=inside_cell_1)
    page = watch(context.new_page())
    yield page
    screenshot(page, request.node.name)
    context.close()


def _log_in(page, server, username):
    page.goto(f"{server}/app/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def _jpeg(colour=(200, 120, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def _controlled(page):
    """Wait until the service worker controls the page (it then answers the app's files offline)."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)


def _lose_the_first_answer(page, pattern):
    """The first request to `pattern` reaches the server, but its answer never reaches the phone."""
    seen = []

    def handler(route):
        if not seen:
            seen.append(route.request.url)
            route.fetch()  # the server does the work...
            route.abort("connectionreset")  # ...and the phone hears nothing
        else:
            route.continue_()

    page.context.route(pattern, handler)  # the context's routes also see what passes the service worker
    return seen


def test_the_app_is_installable_and_its_pages_are_locked_down(phone, server):
    response = phone.goto(f"{server}/app/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "manifest-src 'self'" in csp
    assert "geolocation=(self)" in response.headers["permissions-policy"]
    manifest = phone.context.request.get(f"{server}/app/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["start_url"] == "/app/" and body["display"] == "standalone" and body["lang"] == "zh-CN"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in body["icons"]}
    for icon in body["icons"]:
        assert phone.context.request.get(f"{server}/app/{icon['src']}").ok
    _controlled(phone)
    expect(phone.get_by_role("heading", name="网格通")).to_be_visible()


def test_a_resident_reports_a_matter_with_a_photo_and_sees_it_listed(phone, server, sql):
    """In under a minute: kind, words, a camera photo, the phone's position placed in its cell; the
    report goes once even though the server's first answer is lost; it is listed with its number."""
    _log_in(phone, server, "resident")
    expect(phone.get_by_role("heading", name="上报事件")).to_be_visible()
    expect(phone.locator(".where")).to_contain_text("漓江路社区第1网格")  # WGS-84 from the phone, placed by the API
    phone.get_by_label("类别").select_option("ROAD-LIGHT")
    phone.get_by_label("描述").fill(f"{MARK}：小区门口路灯不亮")
    phone.get_by_label("拍照或选择照片").set_input_files({"name": "light.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()})
    expect(phone.locator(".thumbs img")).to_have_count(1)
    lost_photo = _lose_the_first_answer(phone, "**/api/v1/photos")
    lost_report = _lose_the_first_answer(phone, "**/api/v1/matters")
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("heading", name="我的上报")).to_be_visible()
    mine = phone.get_by_role("list", name="我的上报")
    expect(mine.locator("li", has_text="路灯不亮").first).to_contain_text("已上报", timeout=20_000)
    assert lost_photo and lost_report  # both first answers were lost, and retried
    rows = sql("SELECT m.id, m.number, m.source, p.code, (SELECT count(*) FROM photos f WHERE f.matter_id = m.id) "
               "FROM matters m JOIN places p ON p.id = m.grid_cell_id WHERE m.description LIKE :m", m=f"{MARK}：小区门口%")
    assert len(rows) == 1, rows  # once, though sent twice
    _, number, source, cell, photos = rows[0]
    assert (source, cell, photos) == ("app", CELL_1, 1)
    uploads = sql("SELECT count(*) FROM photos WHERE uploader_id = (SELECT id FROM users WHERE username = 'resident') "
                  "AND matter_id IS NULL AND created_at > now() - interval '5 minutes'")
    assert uploads[0][0] == 0  # the retried upload made no second photo
    expect(mine).to_contain_text(f"#{number}")
    # its page: the progress so far, the photo
    mine.get_by_role("link", name=f"#{number}").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(f"#{number}")
    expect(phone.locator("ol.timeline")).to_contain_text("上报")
    expect(phone.locator(".thumbs img")).to_have_count(1)
    # the same kind of matter reported here again: the app shows the first before sending
    phone.get_by_role("link", name="上报", exact=True).click()
    phone.get_by_label("类别").select_option("ROAD-LIGHT")
    nearby = phone.locator(".nearby")
    expect(nearby).to_contain_text("附近已有")
    expect(nearby).to_contain_text(f"#{number} 路灯不亮 · 已上报")
    assert not [p for p in phone.problems if "Content Security Policy" in p], phone.problems


def test_what_a_resident_types_survives_closing_the_app(browser, server, inside_cell_1):
    context = browser.new_context(**PHONE, geolocation=inside_cell_1)
    try:
        page = context.new_page()
        _log_in(page, server, "resident")
        page.get_by_label("类别").select_option("ROAD-PAVEMENT")
        page.get_by_label("描述").fill(f"{MARK}：人行道地砖松动")
        page.wait_for_timeout(600)  # the draft is kept a moment after typing stops
        page.close()
        again = context.new_page()
        again.goto(f"{server}/app/#/report")
        expect(again.get_by_label("描述")).to_have_value(f"{MARK}：人行道地砖松动")
        expect(again.get_by_label("类别")).to_have_value("ROAD-PAVEMENT")
        screenshot(again, "resident_draft_restored")
    finally:
        context.close()


def test_a_grid_member_records_visits_offline_and_each_reaches_the_server_once(phone, server, sql):
    """The week's plan is kept on the phone; with the network off the app still opens (service
    worker) and visits are recorded; back online they sync, the first batch's answer lost on the
    way and sent again; the server has each visit exactly once and the plan shows each result."""
    _log_in(phone, server, "grid_member")
    plan = phone.get_by_role("list", name="走访计划")
    expect(plan.locator("li").first).to_be_visible()
    _controlled(phone)
    households = [h for h in plan.locator("li").evaluate_all("items => items.map(i => i.dataset.household)")][:3]
    assert len(households) == 3

    phone.context.set_offline(True)
    phone.reload()  # the app opens from the service worker's cache, the plan from the phone's store
    expect(phone.locator("header .net")).to_have_text("离线")
    expect(plan.locator("li")).not_to_have_count(0)
    for index, (household, result) in enumerate(zip(households, ["见到住户", "无人在家", "见到住户"], strict=True)):
        plan.locator(f"li[data-household='{household}'] a").click()
        expect(phone.get_by_role("form", name="走访记录")).to_be_visible()
        phone.get_by_role("radio", name=result).check()
        phone.get_by_label("走访情况").fill(f"{MARK}：第 {index + 1} 户")
        if index == 2:  # something seen at the door that needs action becomes a matter
            phone.get_by_role("button", name="+ 添加问题").click()
            phone.get_by_label("问题类别").select_option("hazard")
            phone.get_by_placeholder("说明").fill(f"{MARK}：楼道堆放杂物")
            phone.get_by_label("需要处理（生成事件）").check()
        phone.get_by_role("button", name="保存走访").click()
        expect(plan.locator(f"li[data-household='{household}'] [data-visit-state]")).to_have_text("待同步")
    expect(phone.locator("header .queue")).to_have_text("待发送 3")
    assert sql("SELECT count(*) FROM visits WHERE notes LIKE :m", m=f"{MARK}%")[0][0] == 0  # nothing left the phone

    lost = _lose_the_first_answer(phone, "**/api/v1/visits/sync")
    phone.context.set_offline(False)
    for household in households:
        expect(plan.locator(f"li[data-household='{household}'] [data-visit-state]")).to_have_text(
            "已同步（服务器已有）", timeout=30_000)  # the second send: the server already had them
    assert lost
    expect(phone.locator("header .queue")).to_have_text("")
    rows = sql("SELECT id, household_id::text, result, count(*) OVER (PARTITION BY id) FROM visits WHERE notes LIKE :m",
               m=f"{MARK}%")
    assert len(rows) == 3 and {r[1] for r in rows} == set(households) and all(r[3] == 1 for r in rows)
    assert sorted(r[2] for r in rows) == ["met", "met", "nobody_home"]
    found = sql("SELECT source FROM matters WHERE description LIKE :m", m=f"%{MARK}：楼道堆放杂物%")
    assert found == [("door_knock",)]
    # the send log shows what the server answered
    phone.goto(f"{server}/app/#/sync")
    expect(phone.get_by_role("list", name="发送记录").locator("li[data-state=done]")).to_have_count(3)


def test_a_grid_member_checks_in_and_records_a_patrol(phone, server, sql, inside_cell_1):
    started = datetime.now(UTC)
    _log_in(phone, server, "grid_member")
    phone.get_by_role("link", name="巡查").click()
    phone.get_by_role("button", name="签到").click()
    expect(phone.get_by_role("status").filter(has_text="已签到")).to_be_visible()
    phone.get_by_role("button", name="开始巡查").click()
    expect(phone.locator(".summary")).to_contain_text("1 个点", timeout=10_000)  # where the patrol starts
    for step in range(1, 4):  # walking east about 30 m at a time
        phone.context.set_geolocation({"longitude": inside_cell_1["longitude"] + step * 0.0003,
                                       "latitude": inside_cell_1["latitude"], "accuracy": 8})
        expect(phone.locator(".summary")).to_contain_text(f"{step + 1} 个点", timeout=10_000)
    phone.reload()  # closing and opening the app goes on recording the same patrol
    phone.context.set_geolocation({"longitude": inside_cell_1["longitude"] + 0.0015,
                                   "latitude": inside_cell_1["latitude"], "accuracy": 8})
    expect(phone.locator(".summary")).to_contain_text("5 个点", timeout=10_000)
    phone.get_by_role("button", name="结束巡查").click()
    expect(phone.get_by_role("list", name="最近的签到与巡查")).to_contain_text("已上传", timeout=20_000)
    expect(phone.get_by_role("list", name="最近的签到与巡查")).to_contain_text("经过 1 个网格")
    member = "(SELECT id FROM users WHERE username = 'grid_member')"
    patrols = sql(f"SELECT point_count, length_m FROM patrols WHERE user_id = {member} AND created_at >= :t", t=started)  # noqa: S608
    assert len(patrols) == 1 and patrols[0][0] == 5 and 100 < patrols[0][1] < 150
    check_ins = sql(f"SELECT in_own_cells FROM check_ins WHERE user_id = {member} AND created_at >= :t", t=started)  # noqa: S608
    assert check_ins == [(True,)]


def test_a_responder_on_duty_gets_a_dispatch_live_and_acknowledges_it(phone, server, sql, inside_cell_1):
    api, base = phone.context.request, f"{server}/api/v1"
    token = api.post(f"{base}/auth/login", data={"username": "street_admin", "password": DEMO_PASSWORD}).json()
    commander = {"Authorization": f"Bearer {token['access_token']}"}
    _log_in(phone, server, "responder")
    expect(phone.get_by_role("heading", name="出警任务")).to_be_visible()
    duty = phone.locator("main .row button").first
    expect(duty).to_have_text(re.compile("^(上岗|下岗)$"))
    if duty.text_content() == "上岗":  # the demo's responder may start on duty
        duty.click()
    expect(duty).to_have_text("下岗")
    expect(phone.locator("main")).to_have_attribute("data-live", "true")  # the stream is open
    expect(phone.get_by_text("位置已共享")).to_be_visible(timeout=15_000)  # the phone's position reached the server
    incident = api.post(f"{base}/incidents", headers=commander, data={
        "title": f"{MARK}：沿街商铺起火", "kind": "accident", "subtype": "fire", "level": "III",
        "location": {"lng": inside_cell_1["longitude"], "lat": inside_cell_1["latitude"]}})
    assert incident.status == 201, incident.text()
    responder = sql("SELECT id::text FROM users WHERE username = 'responder'")[0][0]
    sent = api.post(f"{base}/incidents/{incident.json()['id']}/dispatches", headers=commander,
                    data={"responder_ids": [responder]})
    assert sent.status == 201, sent.text()
    dispatch = sent.json()[0]["id"]
    card = phone.locator(f"li[data-dispatch='{dispatch}']")
    expect(card).to_contain_text("沿街商铺起火", timeout=5_000)  # live, no reload
    expect(phone.get_by_role("status").filter(has_text="新的出警任务")).to_be_visible()
    card.get_by_role("button", name="确认接收").click()
    expect(card).to_have_attribute("data-status", "acknowledged")
    expect(card.get_by_role("button", name="出发")).to_be_visible()

    def status():
        return sql("SELECT status FROM dispatches WHERE id = :d", d=uuid.UUID(dispatch))[0][0]

    phone.wait_for_function("() => !document.querySelector('header .queue').textContent")  # the outbox is empty
    assert status() == "acknowledged"
    card.get_by_role("button", name="出发").click()
    expect(card.get_by_role("button", name="到达现场")).to_be_visible()
    phone.wait_for_function("() => !document.querySelector('header .queue').textContent")
    assert status() == "en_route"
    card.get_by_role("button", name="到达现场").click()
    card.get_by_role("button", name="处置完成").click()
    # done: no longer an active task of this phone
    expect(phone.get_by_role("list", name="出警任务")).to_contain_text("目前没有任务", timeout=10_000)
    assert status() == "done"
    steps = sql("SELECT action FROM incident_events WHERE incident_id = :i ORDER BY at, id",
                i=uuid.UUID(incident.json()["id"]))
    assert [a for (a,) in steps if a.startswith("dispatch_")] == [  # each answer once, in order
        "dispatch_acknowledge", "dispatch_en_route", "dispatch_on_scene", "dispatch_done"]
    assert [f for f in phone.failed if not f.endswith("/api/v1/me")] == [], phone.failed


def test_a_grid_member_records_a_follow_up_and_a_newcomer_at_the_door(phone, server, sql):
    """The visit form offers the household's people under follow-up and its roster: a care target's
    follow-up and a newcomer reach the server with the visit."""
    person, name, household = sql(
        "SELECT f.id, r.name, r.household_id::text FROM followed_persons f JOIN residents r ON r.id = f.resident_id "
        "JOIN places p ON p.id = f.grid_cell_id WHERE p.code = :c AND f.status = 'active' AND r.household_id IS NOT NULL "
        "ORDER BY f.created_at LIMIT 1", c=CELL_1)[0]
    _log_in(phone, server, "grid_member")
    expect(phone.get_by_role("list", name="走访计划").locator("li").first).to_be_visible()
    phone.goto(f"{server}/app/#/visit/{household}")
    form = phone.get_by_role("form", name="走访记录")
    expect(form).to_contain_text(name)
    phone.get_by_label(f"{name}的状况").select_option("needs_attention")
    phone.get_by_placeholder("观察到的情况（加密保存）").fill("情绪低落，已联系家属")
    phone.get_by_role("button", name="+ 添加变动").click()
    phone.get_by_label("变动类型").select_option("moved_in")
    phone.get_by_placeholder("姓名").fill(f"{MARK}新住户")
    phone.get_by_placeholder("手机号").fill("13912345678")
    phone.get_by_label("走访情况").fill(f"{MARK}：随访与新住户")
    phone.get_by_role("button", name="保存走访").click()
    state = phone.get_by_role("list", name="走访计划").locator(f"li[data-household='{household}'] [data-visit-state]")
    expect(state).to_have_text("已同步", timeout=20_000)
    visit = sql("SELECT id FROM visits WHERE notes = :n", n=f"{MARK}：随访与新住户")
    assert len(visit) == 1
    assert sql("SELECT assessment FROM follow_ups WHERE visit_id = :v AND person_id = :p", v=visit[0][0], p=person) == [
        ("needs_attention",)]
    assert sql("SELECT household_id::text, phone FROM residents WHERE name = :n", n=f"{MARK}新住户") == [
        (household, "13912345678")]


def test_a_resident_is_told_the_matter_is_done_rates_it_and_reopens_it(app, phone, server, sql, inside_cell_1):
    """Closed by the staff: the resident's notification leads to the matter, which now asks for a
    rating; not satisfied, the resident reopens it with a reason; both reach the server."""
    from sqlalchemy.orm import Session

    from api.notifications.service import deliver_pending

    api, base = phone.context.request, f"{server}/api/v1"

    def as_user(username):
        token = api.post(f"{base}/auth/login", data={"username": username, "password": DEMO_PASSWORD}).json()
        return {"Authorization": f"Bearer {token['access_token']}"}

    resident, staff = as_user("resident"), as_user("community_staff")
    matter = api.post(f"{base}/matters", headers=resident, data={
        "category": "ENV-GARBAGE", "description": f"{MARK}：楼下垃圾三天没清运",
        "location": {"lng": inside_cell_1["longitude"], "lat": inside_cell_1["latitude"]}}).json()
    unit = sql("SELECT id::text FROM handling_units ORDER BY name LIMIT 1")[0][0]
    for headers, step, body in [(staff, "accept", {}), (staff, "register", {}), (staff, "dispatch", {"unit_id": unit}),
                                (as_user("unit_staff"), "handle", {"note": "已清运"}),
                                (as_user("grid_member"), "verify", {}), (staff, "close", {})]:
        answer = api.post(f"{base}/matters/{matter['id']}/transitions", headers=headers, data={"action": step, **body})
        assert answer.ok, (step, answer.text())
    engine = create_engine(app.config["DATABASE_URL"])
    with Session(engine) as session, session.begin():
        deliver_pending(session)  # what the background worker does
    engine.dispose()

    _log_in(phone, server, "resident")
    phone.get_by_role("link", name="消息").click()
    told = phone.get_by_role("list", name="消息").locator("li", has_text=f"第 {matter['number']} 号事件已办结")
    expect(told).to_be_visible()
    told.get_by_role("link").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(f"#{matter['number']}")
    expect(phone.locator("ol.timeline")).to_contain_text("结案")
    phone.get_by_role("button", name="不满意", exact=True).click()
    expect(phone.get_by_text("我的评价：不满意")).to_be_visible()  # the page now shows the matter as it is
    assert sql("SELECT rating FROM matters WHERE id = :i", i=uuid.UUID(matter["id"])) == [("dissatisfied",)]
    expect(phone.get_by_role("button", name="满意", exact=True)).to_have_count(0)
    assert "null" not in phone.inner_text("main")
    # not satisfied: reopened with a reason, back to the handlers
    phone.get_by_label("原因").fill("垃圾桶旁边还有一堆没清走")
    phone.get_by_role("button", name="没解决，重新办理").click()
    expect(phone.locator("ol.timeline")).to_contain_text("重新办理", timeout=10_000)
    assert sql("SELECT status, reopen_count FROM matters WHERE id = :i", i=uuid.UUID(matter["id"])) == [("registered", 1)]
