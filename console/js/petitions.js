// 信访: petitions with their statutory clocks — which deadline runs, its date, the days left —
// the overdue first when asked. Petitioners are shown only to petition staff, as the API decides.
import {get} from "./api.js";
import {el} from "./dom.js";

const DEADLINES = {accept_due: "受理告知", reply_due: "办理答复", review_due: "复查答复", re_review_due: "复核答复"};
const STATUS = {registered: "已登记", accepted: "已受理", not_accepted: "不予受理", routed: "已转送", assigned: "已交办",
                replied: "已答复", review_requested: "申请复查", reviewed: "已复查", re_review_requested: "申请复核",
                re_reviewed: "已复核", closed: "已办结"};
const KINDS = {suggestion: "建议意见", accusation: "检举控告", claim: "申诉求决"};

export async function showPetitions(main) {
  const overdueOnly = location.hash.includes("overdue=true");
  const toggle = el("a", {href: overdueOnly ? "#/petitions" : "#/petitions?overdue=true", class: "button"},
    overdueOnly ? "显示全部" : "只看超期");
  const rows = el("tbody");
  main.append(el("h1", {}, "信访"), el("p", {}, toggle),
    el("table", {class: "list"}, el("thead", {}, el("tr", {},
      ...["收到日期", "类别", "摘要", "状态", "当前期限", "到期日", "剩余天数"].map((h) => el("th", {}, h)))), rows));
  const petitions = await get(`/api/v1/petitions?page_size=100${overdueOnly ? "&overdue=true" : ""}`);
  if (!petitions.length) rows.append(el("tr", {}, el("td", {colspan: 7}, "没有信访件。")));
  for (const p of petitions) {
    const due = p.running_deadline ? p[p.running_deadline] : null;
    rows.append(el("tr", {class: p.overdue ? "overdue" : null, "data-petition": p.id},
      el("td", {}, p.received_on), el("td", {}, KINDS[p.kind] || p.kind),
      el("td", {}, p.summary.length > 30 ? `${p.summary.slice(0, 30)}…` : p.summary),
      el("td", {}, STATUS[p.status] || p.status),
      el("td", {}, p.running_deadline ? DEADLINES[p.running_deadline] : "—"), el("td", {}, due || "—"),
      el("td", {}, p.days_left === null ? "—" : p.overdue ? `超期 ${-p.days_left} 天` : `${p.days_left} 天`)));
  }
}
