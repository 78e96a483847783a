// 走访 / 重点人员与关爱对象 / 矛盾纠纷: the area's door-knock coverage by week and the households left
// unvisited; the people followed up, overdue first, and the counts per place; the disputes open and
// the mediation success per place. Each list is what the API gives the caller.
import {get, getAll} from "../common/js/api.js";
import {el, isoWeek} from "../common/js/dom.js";

const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", {hour12: false}) : "—");
const ATTENTION = {high: "高", medium: "中", low: "低"};
const DISPUTE_KINDS = {neighbour: "邻里纠纷", family: "婚姻家庭", property_management: "物业纠纷", land: "土地山林",
                       labour: "劳动争议", contract: "合同债务", other: "其他"};
const DISPUTE_STATUS = {registered: "登记", mediating: "调解中", closed: "结案"};

function levelOf(me) {
  return me.role === "community_staff" || me.role === "grid_member" ? "grid_cell" : "community";
}

function table(label, headers, rows, empty) {
  return el("table", {class: "list", "aria-label": label},
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {scope: "col"}, h)))),
    el("tbody", {}, ...(rows.length ? rows : [el("tr", {}, el("td", {colspan: headers.length}, empty))])));
}

export async function showVisits(main, me) {
  const weeks = Array.from({length: 8}, (_, i) => isoWeek(new Date(Date.now() - i * 7 * 86400 * 1000)));
  const chosen = new URLSearchParams(location.hash.split("?")[1] || "").get("week") || weeks[0];
  const pick = el("select", {"aria-label": "周次"}, ...weeks.map((w, i) =>
    el("option", {value: w, selected: w === chosen}, i === 0 ? `${w}（本周）` : w)));
  pick.addEventListener("change", () => { location.hash = `#/visits?week=${pick.value}`; });
  const [coverage, unvisited] = await Promise.all([
    getAll(`/api/v1/visits/coverage?week=${chosen}&level=${levelOf(me)}`),
    get("/api/v1/visits/unvisited?weeks=4&page_size=50"),
  ]);
  main.append(el("div", {class: "toolbar"}, el("h1", {}, "敲门走访"), pick),
    el("h2", {}, "走访覆盖率"),
    table("走访覆盖率", ["地区", "户数", "已走访", "覆盖率"], coverage.map((c) => el("tr", {class: c.meets_target ? null : "overdue"},
      el("td", {}, c.place.name), el("td", {}, c.households), el("td", {}, c.visited),
      el("td", {}, `${c.coverage_percent}%（目标 ${c.target_percent}%）`))), "没有住户。"),
    el("h2", {}, "四周以上未走访的住户（前 50）"),
    table("未走访住户", ["住址", "网格", "上次走访", "未走访周数"], unvisited.map((h) => el("tr", {},
      el("td", {}, h.address), el("td", {}, h.grid_cell.name), el("td", {}, when(h.last_visited_at)),
      el("td", {}, h.weeks_since_visit ?? "从未走访"))), "没有。"));
}

export async function showPeople(main, me) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const kind = params.get("kind") === "care-targets" ? "care-targets" : "key-persons";
  const overdue = params.get("overdue") === "true";
  const title = kind === "key-persons" ? "重点人员" : "关爱对象";
  const link = (k, o, text, selected) => el("a", {role: "tab", href: `#/people?kind=${k}${o ? "&overdue=true" : ""}`,
                                                  "aria-selected": String(selected)}, text);
  const [alerts, people] = await Promise.all([
    getAll(`/api/v1/${kind}/alerts?level=${levelOf(me)}`),
    get(`/api/v1/${kind}?page_size=100${overdue ? "&overdue=true" : ""}`),
  ]);
  main.append(el("h1", {}, "重点人员与关爱对象"),
    el("div", {class: "tabs", role: "tablist", "aria-label": "对象"},
      link("key-persons", overdue, "重点人员", kind === "key-persons"),
      link("care-targets", overdue, "关爱对象", kind === "care-targets"),
      link(kind, !overdue, overdue ? "显示全部" : "只看跟进逾期", false)),
    el("h2", {}, `${title}（按地区）`),
    table(`${title}按地区`, ["地区", "在册", "跟进逾期", "高关注逾期"], alerts.map((a) => el("tr", {},
      el("td", {}, a.place.name), el("td", {}, a.active), el("td", {}, a.overdue), el("td", {}, a.high_attention_overdue))),
    "没有在册对象。"),
    el("h2", {}, overdue ? `跟进逾期的${title}` : `${title}（下次跟进日期最近的在前）`),
    table(title, ["姓名", "网格", "类别", "关注程度", "下次跟进", "责任人"], people.map((p) =>
      el("tr", {class: p.overdue ? "overdue" : null},
        el("td", {}, p.resident.name), el("td", {}, p.grid_cell.name), el("td", {}, p.details_visible ? p.category : "—"),
        el("td", {}, ATTENTION[p.attention_level] || p.attention_level),
        el("td", {}, p.overdue ? `${p.next_follow_up_on}（逾期）` : p.next_follow_up_on),
        el("td", {}, p.responsible ? p.responsible.display_name : "—"))), "没有。"));
}

export async function showDisputes(main, me) {
  const level = levelOf(me);
  const [stats, mediating, registered] = await Promise.all([
    getAll(`/api/v1/disputes/stats?level=${level}`),
    get("/api/v1/disputes?status=mediating&page_size=100"),
    get("/api/v1/disputes?status=registered&page_size=100"),
  ]);
  const unsettled = [...mediating, ...registered];
  main.append(el("h1", {}, "矛盾纠纷"),
    el("h2", {}, "调解成功率（按地区）"),
    table("调解成功率", ["地区", "登记", "在调", "结案", "调解成功", "成功率"], stats.map((s) => el("tr", {},
      el("td", {}, s.place.name), el("td", {}, s.registered), el("td", {}, s.open), el("td", {}, s.closed),
      el("td", {}, s.agreements), el("td", {}, s.success_rate_percent === null ? "—" : `${s.success_rate_percent}%`))),
    "没有纠纷。"),
    el("h2", {}, "在调纠纷（风险高的请优先）"),
    table("在调纠纷", ["登记时间", "网格", "类型", "概要", "当事人数", "风险", "状态", "调解员"], unsettled
      .sort((a, b) => ["high", "medium", "low"].indexOf(a.risk_level) - ["high", "medium", "low"].indexOf(b.risk_level))
      .map((d) => el("tr", {class: d.risk_level === "high" ? "overdue" : null},
        el("td", {}, when(d.created_at)), el("td", {}, d.grid_cell.name), el("td", {}, DISPUTE_KINDS[d.kind] || d.kind),
        el("td", {}, d.summary), el("td", {}, d.party_count), el("td", {}, ATTENTION[d.risk_level] || d.risk_level),
        el("td", {}, DISPUTE_STATUS[d.status] || d.status), el("td", {}, d.mediator ? d.mediator.display_name : "—"))),
    "没有在调的纠纷。"));
}
