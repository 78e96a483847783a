"""The console in a real browser: Playwright driving Debian's headless Chromium against GridGov
served by gunicorn. Screenshots go to test-artifacts/ (kept by CI as the run's artifacts)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import forget, screenshot, watch
from tests.conftest import DEMO_PASSWORD
from tests.live_server import running_server

# where 漓江路社区第1网格 is on the screen: the mean of its outer ring's corners, projected
CELL_1_ON_SCREEN = """() => {
  const map = document.getElementById("map").gridgovMap;
  const cell = map.queryRenderedFeatures({layers: ["cells-fill"]}).find(f => f.properties.code === "411104001001001");
  const g = cell.geometry;
  const ring = g.type === "Polygon" ? g.coordinates[0] : g.coordinates[0][0];
  const p = map.project([ring.reduce((s, c) => s + c[0], 0) / ring.length, ring.reduce((s, c) => s + c[1], 0) / ring.length]);
  return [p.x, p.y];
}"""
MARK = "浏览器测试"  # what this module's own matters say, so it can remove them (it commits for real)


@pytest.fixture(scope="module")
def console_url(app, tmp_path_factory):
    try:
        with running_server(app.config["DATABASE_URL"], tmp_path_factory.mktemp("console") / "gunicorn.log") as port:
            yield f"http://127.0.0.1:{port}/console/"
    finally:
        forget(app.config["DATABASE_URL"], MARK)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = watch(context.new_page())  # page.failed: the first /me before logging in is a 401
    yield page
    screenshot(page, request.node.name)
    context.close()


def _log_in(page, url, username):
    page.goto(url)
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_staff_log_in_and_see_their_grid_cells_on_the_map(page, console_url):
    response = page.goto(console_url)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    _log_in(page, console_url, "community_staff")
    expect(page.get_by_role("navigation", name="主导航")).to_contain_text("一图感知")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    drawn = int(page.locator("#map").get_attribute("data-cells-drawn"))
    assert drawn >= 10  # 漓江路社区's cells, drawn from GridGov's own vector tiles
    codes = page.evaluate("() => [...new Set(document.getElementById('map').gridgovMap"
                          ".queryRenderedFeatures({layers: ['cells-fill']}).map(f => f.properties.code))]")
    assert codes and all(code.startswith("411104001001") for code in codes)  # only the caller's community
    # colour the cells by their open matters: each cell gets its figure
    page.get_by_label("网格着色").select_option("open")
    expect(page.locator(".legend")).to_contain_text("未办结事件")
    first = page.evaluate("() => document.getElementById('map').gridgovMap"
                          ".queryRenderedFeatures({layers: ['cells-fill']})[0].properties.id")
    state = page.evaluate(f"() => document.getElementById('map').gridgovMap"
                          f".getFeatureState({{source: 'cells', sourceLayer: 'grid_cells', id: '{first}'}})")
    assert isinstance(state.get("value"), int) and 0 <= state["share"] <= 1
    # key persons only as a count per cell: the cell with the most has the darkest colour
    page.get_by_label("网格着色").select_option("key_persons")
    expect(page.locator(".legend")).to_contain_text("重点人员（人数）")
    alerts = page.context.request.get(console_url.replace("/console/", "/api/v1/key-persons/alerts?level=grid_cell")).json()
    most = max(alerts, key=lambda a: a["active"])
    state = page.evaluate(f"() => document.getElementById('map').gridgovMap"
                          f".getFeatureState({{source: 'cells', sourceLayer: 'grid_cells', id: '{most['place']['id']}'}})")
    assert most["active"] > 0 and state == {"share": 1, "value": most["active"]}
    # a click on a cell shows its card: leaders, roster counts, open work (the demo's first cell has
    # its chain of posts appointed; the cells are convex, so the mean of the corners lies inside)
    box = page.locator("#map canvas").bounding_box()
    point = page.evaluate(CELL_1_ON_SCREEN)
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    card = page.locator(".maplibregl-popup .card")
    expect(card.locator("[data-line=roster]")).to_contain_text("户数")
    expect(card.locator("[data-line=work]")).to_contain_text("未办结事件")
    expect(card).to_contain_text("漓江路社区第1网格")
    expect(card.locator("[data-line=leader]").first).to_be_visible()
    # the session is in httpOnly cookies: the page's scripts cannot read the tokens
    cookies = page.evaluate("() => document.cookie")
    assert "gridgov_csrf=" in cookies and "gridgov_access" not in cookies and "gridgov_refresh" not in cookies
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems


def test_a_wrong_password_is_told_and_logging_out_ends_the_session(page, console_url):
    page.goto(console_url)
    page.get_by_label("用户名或手机号").fill("community_staff")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    _log_in(page, console_url, "street_admin")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("alert")).to_contain_text("已退出")
    page.reload()
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def _report(page, console_url) -> int:
    """A resident reports a matter through the API (as the app would), committed for real."""
    api = page.context.request
    token = api.post(console_url.replace("/console/", "/api/v1/auth/login"),
                     data={"username": "resident", "password": DEMO_PASSWORD}).json()["access_token"]
    cell = api.get(console_url.replace("/console/", "/api/v1/me"), headers={"Authorization": f"Bearer {token}"}).json()
    place = api.get(console_url.replace("/console/", f"/api/v1/places/{cell['place']['id']}"),
                    headers={"Authorization": f"Bearer {token}"}).json()
    ring = place["boundary"]["coordinates"][0][0]
    lng, lat = sum(p[0] for p in ring[:-1]) / (len(ring) - 1), sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    created = api.post(console_url.replace("/console/", "/api/v1/matters"), headers={"Authorization": f"Bearer {token}"},
                       data={"category": "ROAD-LIGHT", "description": f"{MARK}：路灯不亮", "location": {"lng": lng, "lat": lat}})
    assert created.status == 201, created.text()
    return created.json()["number"]


def test_staff_open_a_matter_and_move_it_one_step(page, console_url):
    number = str(_report(page, console_url))
    _log_in(page, console_url, "community_staff")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    page.get_by_role("link", name="事件办理").click()
    expect(page.get_by_role("tab", name="待受理")).to_have_attribute("aria-selected", "true")
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"事件 {number}")
    expect(page.locator("[data-field=status]")).to_have_text("待受理")
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator("[data-field=status]")).to_have_text("已受理")
    expect(page.locator("ol.timeline")).to_contain_text("受理")
    # a step that needs a note says so, and nothing is sent
    page.get_by_role("button", name="上报上级").click()
    expect(page.get_by_role("alert").first).to_contain_text("需要填写说明")
    # register, then dispatch to the district's bureau, picked from the units the caller may use
    page.get_by_role("button", name="立案").click()
    expect(page.locator("[data-field=status]")).to_have_text("已立案")
    page.get_by_label("派遣给").select_option(label="召陵区城市管理局（演示）")
    page.get_by_role("button", name="派遣", exact=True).click()
    expect(page.locator("[data-field=status]")).to_have_text("已派遣")


def _open_matter(page, console_url, username, number, tab="待受理"):
    _log_in(page, console_url, username)
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    page.get_by_role("link", name="事件办理").click()
    page.get_by_role("tab", name=tab).click()
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"事件 {number}")


def test_staff_merge_a_duplicate_and_raise_an_incident(page, console_url):
    original, duplicate = str(_report(page, console_url)), str(_report(page, console_url))
    _open_matter(page, console_url, "community_staff", duplicate)
    merge = page.get_by_role("form", name="合并重复事件")
    nearby = merge.get_by_label("附近同类事件")
    nearby.select_option(nearby.locator("option", has_text=f"{original} · ").get_attribute("value"))
    merge.get_by_role("button", name="合并到原事件").click()
    expect(page.locator("[data-field=status]")).to_have_text("已办结")
    page.get_by_role("link", name="原事件").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"事件 {original}")
    raise_incident = page.get_by_role("form", name="升级为突发事件")
    raise_incident.get_by_role("button", name="升级为突发事件").click()  # no level or note: the browser refuses
    expect(page.locator("[data-field=incident]")).to_have_count(0)
    raise_incident.get_by_label("事件等级").select_option("IV")
    raise_incident.get_by_label("情况说明").fill(f"{MARK}：路灯倒伏压住电线")
    raise_incident.get_by_role("button", name="升级为突发事件").click()
    expect(page.locator("[data-field=incident]")).to_have_text("已升级为突发事件")
    assert [f for f in page.failed if not f.endswith("/api/v1/me")] == [], page.failed


def test_the_handling_unit_reports_its_work_with_a_photo(page, console_url, tmp_path):
    from PIL import Image

    number = str(_report(page, console_url))
    _open_matter(page, console_url, "community_staff", number)
    for step in ("受理", "立案"):
        page.get_by_role("button", name=step, exact=True).click()
        expect(page.locator("ol.timeline")).to_contain_text(step)
    page.get_by_label("派遣给").select_option(label="召陵区城市管理局（演示）")
    page.get_by_role("button", name="派遣", exact=True).click()
    expect(page.locator("[data-field=status]")).to_have_text("已派遣")
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_text("已退出。")).to_be_visible()  # the session's cookies are gone
    photo = tmp_path / "done.jpg"
    Image.new("RGB", (320, 240), (30, 140, 60)).save(photo, format="JPEG")
    _open_matter(page, console_url, "unit_staff", number, tab="已派遣")
    handle = page.get_by_role("form", name="处置完成")
    handle.get_by_label("处置情况").fill("已更换灯具")
    handle.get_by_label("照片（最多 9 张）").set_input_files(str(photo))
    handle.get_by_role("button", name="处置完成").click()
    expect(page.locator("[data-field=status]")).to_have_text("已处置")
    expect(page.locator(".photos img")).to_have_count(1)
    expect(page.locator("ol.timeline")).to_contain_text("处置：已更换灯具")
    assert [f for f in page.failed if not f.endswith("/api/v1/me")] == [], page.failed


def test_a_leader_reads_the_cockpit_charts(page, console_url):
    _log_in(page, console_url, "street_admin")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    page.get_by_role("link", name="驾驶舱").click()
    for title in ("事件趋势（每日上报与结案）", "事件类别（大类）", "各环节按时办结率", "在办事件（按状态）",
                  "敲门走访覆盖率", "重点人员按期跟进率", "信访（在办、超期、越级）", "突发事件（按等级）"):
        chart = page.get_by_role("img", name=title)
        expect(chart).to_have_attribute("data-rendered", "true", timeout=20_000)
        expect(chart.locator("canvas")).to_have_count(1)
    kpis = page.get_by_label("主要指标")
    expect(kpis).to_contain_text("上报事件")
    expect(kpis).to_contain_text("满意率")
    ranking = page.get_by_role("table", name="考核排名")
    expect(ranking.locator("tbody tr")).to_have_count(4)  # 天桥街道's four communities, ranked
    expect(ranking.locator("tbody tr").first).to_contain_text("漓江路社区")  # the demo's only patrolled community
    page.get_by_label("统计期间").select_option(label="近一年")
    expect(page.get_by_role("img", name="事件趋势（每日上报与结案）")).to_have_attribute("data-rendered", "true")
    assert not [p for p in page.problems if "Content Security Policy" in p or "Error" in p], page.problems


def test_the_ledger_exports_to_excel_exactly_as_filtered(page, console_url, tmp_path):
    import io

    from openpyxl import load_workbook

    _log_in(page, console_url, "community_staff")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    page.get_by_role("link", name="台账").click()
    page.get_by_label("状态").select_option("closed")
    page.get_by_role("button", name="筛选").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("共")
    shown = int(status.inner_text().split("共 ")[1].split(" 条")[0])
    assert shown > 50  # the demo's half year of closed matters: more than a page
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(50)
    first_of_page_1 = rows.first.inner_text()
    page.get_by_role("navigation", name="翻页").get_by_role("link", name="下一页").click()
    expect(status).to_contain_text("第 2/")
    expect(rows).to_have_count(min(50, shown - 50))
    assert rows.first.inner_text() != first_of_page_1
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    saved = tmp_path / "ledger.xlsx"
    download.value.save_as(saved)
    rows = list(load_workbook(io.BytesIO(saved.read_bytes())).active.iter_rows(values_only=True))
    assert len(rows) - 1 == shown and all(r[2] == "closed" for r in rows[1:])


def test_each_ledger_by_role_and_key_persons_masked(page, console_url, tmp_path):
    import io

    from openpyxl import load_workbook

    _log_in(page, console_url, "community_staff")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    page.get_by_role("link", name="台账").click()
    tabs = page.get_by_role("tablist", name="台账")
    expect(tabs.get_by_role("tab")).to_have_text(["事件台账", "走访台账", "重点人员台账", "关爱对象台账", "矛盾纠纷台账",
                                                  "信访台账", "突发事件台账"])
    tabs.get_by_role("tab", name="重点人员台账").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("重点人员台账")
    status = page.get_by_role("status")
    expect(status).to_contain_text("共 7 条")  # the demo's seven
    names = page.locator("table.list tbody tr td:first-child").all_inner_texts()
    assert len(names) == 7 and all(re.fullmatch(r".\*+", n) for n in names), names
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    saved = tmp_path / "key-persons.xlsx"
    download.value.save_as(saved)
    rows = list(load_workbook(io.BytesIO(saved.read_bytes())).active.iter_rows(values_only=True))
    assert sorted(r[0] for r in rows[1:]) == sorted(names)
    tabs.get_by_role("tab", name="矛盾纠纷台账").click()
    page.get_by_label("状态").select_option("closed")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"#/ledgers/disputes\?status=closed"))
    expect(status).to_contain_text("共")
    assert [f for f in page.failed if not f.endswith("/api/v1/me")] == [], page.failed


def test_a_commander_dispatches_and_sees_the_phone_answer_live(page, console_url):
    """An incident's command post: the nearest on-duty responder is offered, the commander sends
    them, and the dispatch turns 已确认 on screen when the phone acknowledges (the stream)."""
    api, base = page.context.request, console_url.replace("/console/", "/api/v1")

    def login(username):
        token = api.post(f"{base}/auth/login", data={"username": username, "password": DEMO_PASSWORD}).json()
        return {"Authorization": f"Bearer {token['access_token']}"}

    staff, phone = login("community_staff"), login("responder")
    place = api.get(f"{base}/places/{api.get(f'{base}/me', headers=staff).json()['place']['id']}", headers=staff).json()
    ring = place["boundary"]["coordinates"][0][0]
    lng, lat = sum(p[0] for p in ring[:-1]) / (len(ring) - 1), sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    assert api.post(f"{base}/responders/me/duty", headers=phone, data={"duty_status": "on_duty"}).status == 200
    assert api.post(f"{base}/responders/me/position", headers=phone, data={"lng": lng + 0.002, "lat": lat}).status == 200
    created = api.post(f"{base}/incidents", headers=staff, data={
        "title": f"{MARK}：楼道燃气泄漏", "kind": "accident", "subtype": "gas_leak", "level": "III",
        "location": {"lng": lng, "lat": lat}})
    assert created.status == 201, created.text()
    incident = created.json()

    _log_in(page, console_url, "community_staff")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    page.get_by_role("link", name="突发事件").click()
    page.get_by_role("link", name=str(incident["number"]), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("楼道燃气泄漏")
    expect(page.locator("#page[data-live=true]")).to_have_count(1)  # the stream is open
    name = api.get(f"{base}/responders/me", headers=phone).json()["name"]
    page.get_by_role("checkbox", name=f"选择 {name}").check()
    page.get_by_role("button", name="派遣所选队员").click()
    row = page.get_by_role("table", name="派遣").locator("tbody tr", has_text=name)
    expect(row.locator("[data-field=dispatch-status]")).to_have_text("已派出")
    mine = api.get(f"{base}/responders/me/dispatches", headers=phone).json()
    sent = next(d for d in mine if d["incident_id"] == incident["id"])
    assert api.post(f"{base}/dispatches/{sent['id']}/transitions", headers=phone,
                    data={"action": "acknowledge"}).status == 200
    expect(row.locator("[data-field=dispatch-status]")).to_have_text("已确认", timeout=5_000)  # no reload
    expect(page.locator("[data-field=status]")).to_have_text("处置中")  # sending someone started the response
    page.get_by_role("button", name="已控制").click()
    expect(page.locator("[data-field=status]")).to_have_text("已控制")
    expect(page.locator("ol.timeline")).to_contain_text("contain")
    assert [f for f in page.failed if not f.endswith("/api/v1/me")] == [], page.failed


def test_the_area_pages_visits_people_and_disputes(page, console_url):
    _log_in(page, console_url, "community_staff")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    page.get_by_role("link", name="走访", exact=True).click()
    coverage = page.get_by_role("table", name="走访覆盖率")
    expect(coverage.locator("tbody tr")).to_have_count(12)  # the community's twelve cells
    page.get_by_label("周次").select_option(index=1)  # last week: the demo visited then
    expect(page).to_have_url(re.compile(r"#/visits\?week=\d{4}-W\d{2}"))
    expect(coverage.locator("tbody tr").first).to_contain_text("%")
    page.get_by_role("link", name="重点人员", exact=True).click()
    expect(page.get_by_role("table", name="重点人员", exact=True).locator("tbody tr")).to_have_count(7)
    page.get_by_role("tab", name="只看跟进逾期").click()
    rows = page.get_by_role("table", name="重点人员", exact=True).locator("tbody tr")
    expect(rows.first).to_contain_text("逾期")
    assert rows.count() == page.locator("tr.overdue").count()
    page.get_by_role("tab", name="关爱对象").click()
    expect(page.get_by_role("table", name="关爱对象按地区")).to_be_visible()
    page.get_by_role("link", name="纠纷", exact=True).click()
    expect(page.get_by_role("table", name="调解成功率").locator("tbody tr").first).to_be_visible()
    expect(page.get_by_role("table", name="在调纠纷")).to_be_visible()
    assert [f for f in page.failed if not f.endswith("/api/v1/me")] == [], page.failed


def test_a_petition_page_with_its_clock_takes_the_next_step(page, console_url):
    api, base = page.context.request, console_url.replace("/console/", "/api/v1")
    token = api.post(f"{base}/auth/login", data={"username": "community_staff", "password": DEMO_PASSWORD}).json()
    staff = {"Authorization": f"Bearer {token['access_token']}"}
    cell = api.get(f"{base}/grid-cells?code=411104001001001", headers=staff).json()[0]["id"]
    created = api.post(f"{base}/petitions", headers=staff, data={
        "channel": "letter", "received_on": date.today().isoformat(), "kind": "claim",
        "summary": f"{MARK}：小区供暖不达标", "grid_cell_id": cell, "petitioners": [{"name": "测试信访人"}]})
    assert created.status == 201, created.text()
    petition = created.json()
    _log_in(page, console_url, "community_staff")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    page.get_by_role("link", name="信访", exact=True).click()
    page.locator(f"tr[data-petition='{petition['id']}'] a").click()
    expect(page.locator("[data-field=status]")).to_have_text("已登记")
    expect(page.locator("[data-field=clock]")).to_contain_text("受理告知")
    steps = page.get_by_role("form", name="办理信访")
    steps.get_by_label("步骤").select_option("not_accept")
    steps.get_by_role("button", name="提交").click()
    expect(steps.get_by_role("alert")).to_contain_text("需要填写说明")  # checked before sending
    steps.get_by_label("步骤").select_option("accept")
    steps.get_by_role("button", name="提交").click()
    expect(page.locator("[data-field=status]")).to_have_text("已受理")
    expect(page.locator("[data-field=clock]")).to_contain_text("办理答复")
    expect(page.locator("ol.timeline")).to_contain_text("受理")
    assert [f for f in page.failed if not f.endswith("/api/v1/me")] == [], page.failed


def test_a_tablet_gets_every_page_without_sideways_scrolling(browser, console_url):
    """768 × 1024, a tablet held upright: the navigation wraps, the map fills the width, the
    cockpit's panels fit two a row, and no page needs scrolling sideways (wide tables scroll inside their
    panel)."""
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    try:
        _log_in(page, console_url, "street_admin")
        expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
        overflow = "() => document.documentElement.scrollWidth - window.innerWidth"
        assert page.evaluate(overflow) <= 0
        map_box = page.locator("#map").bounding_box()
        assert map_box["width"] >= 700
        for name, ready in (("事件办理", "table.list"), ("驾驶舱", ".chart[data-rendered=true]"),
                            ("台账", "table.list"), ("信访", "table.list")):
            page.get_by_role("link", name=name).click()
            expect(page.locator(ready).first).to_be_visible(timeout=20_000)
            assert page.evaluate(overflow) <= 0, name
        page.get_by_role("link", name="驾驶舱").click()
        charts = page.locator(".chart[data-rendered=true]")
        expect(charts.nth(3)).to_be_visible(timeout=20_000)
        boxes = [charts.nth(i).bounding_box() for i in range(charts.count())]
        assert all(b["x"] >= 0 and b["x"] + b["width"] <= 768 and b["width"] >= 300 for b in boxes)  # two a row, whole
        screenshot(page, "tablet_cockpit")
    finally:
        context.close()


def test_petitions_show_their_statutory_clocks(page, console_url):
    _log_in(page, console_url, "community_staff")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    page.get_by_role("link", name="信访").click()
    page.get_by_role("link", name="只看超期").click()
    overdue = page.locator("tr.overdue")
    expect(overdue.first).to_be_visible()
    assert overdue.count() == page.locator("table.list tbody tr").count()  # only the overdue
    expect(overdue.first).to_contain_text("超期")


def test_the_map_shows_the_work_and_responders_moving_live(page, console_url):
    _log_in(page, console_url, "street_admin")
    expect(page.get_by_role("status")).to_contain_text("个网格", timeout=30_000)
    expect(page.locator("#map")).to_have_attribute("data-work", re.compile("matters"), timeout=20_000)
    work = json.loads(page.locator("#map").get_attribute("data-work"))
    assert work["matters"] >= 1 and work["incidents"] >= 1 and work["responders"] >= 1
    # the responder's phone reports a position: the street's console sees it move
    api = page.context.request
    base = console_url.replace("/console/", "/api/v1")
    token = api.post(f"{base}/auth/login", data={"username": "responder", "password": DEMO_PASSWORD}).json()["access_token"]
    me = api.get(f"{base}/responders/me", headers={"Authorization": f"Bearer {token}"}).json()
    moved = api.post(f"{base}/responders/me/position", headers={"Authorization": f"Bearer {token}"},
                     data={"lng": me["position"]["lng"] + 0.0005, "lat": me["position"]["lat"]})
    assert moved.status == 200, moved.text()
    expect(page.locator("#map")).to_have_attribute("data-moves", "1", timeout=10_000)
