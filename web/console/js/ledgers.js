// 台账: filtered lists, a page at a time, exported to Excel exactly as filtered (the download uses
// the same query as the list: what you see is what you get in the workbook).
import {getPage} from "../common/js/api.js";
import {el} from "../common/js/dom.js";
import {STATUS_NAMES} from "./matters.js";

const PAGE_SIZE = 50;
const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", {hour12: false}) : "");

const MANAGERS = ["community_staff", "street_admin", "district_admin"];
const AREA = ["grid_member", ...MANAGERS];
const DISPUTE_KINDS = {neighbour: "邻里纠纷", family: "婚姻家庭", property_management: "物业纠纷", land: "土地山林",
                       labour: "劳动争议", contract: "合同债务", other: "其他"};
const RISK = {low: "低", medium: "中", high: "高"};
const DISPUTE_STATUS = {registered: "登记", mediating: "调解中", closed: "结案"};
const INCIDENT_STATUS = {open: "已接报", responding: "处置中", contained: "已控制", closed: "已结束"};
const VISIT_RESULTS = {met: "见面", nobody_home: "无人在家", refused: "拒绝入户"};
// a ledger leaves the office masked: the family name only (the record's own page shows the rest)
const masked = (name) => name.slice(0, 1) + "*".repeat(Math.max(0, name.length - 1));
const yesNo = (flag) => (flag ? "是" : "");

// one ledger: who may open it, its list and export paths, its filters (name, label, options or
// free text) and its columns
const LEDGERS = {
  matters: {
    title: "事件台账", roles: MANAGERS, list: "/api/v1/matters", export: "/api/v1/matters/export.xlsx",
    file: "事件台账.xlsx",
    filters: [
      {name: "q", label: "关键词"},
      {name: "status", label: "状态", options: {"": "全部状态", ...STATUS_NAMES}},
      {name: "deadline_colour", label: "期限", options: {"": "全部", green: "正常", yellow: "临期", red: "超期"}},
    ],
    columns: [
      ["编号", (m) => el("a", {href: `#/matters/${m.id}`}, String(m.number))], ["类别", (m) => m.category.name],
      ["状态", (m) => STATUS_NAMES[m.status] || m.status], ["网格", (m) => (m.grid_cell ? m.grid_cell.name : "待定位")],
      ["描述", (m) => m.description], ["上报时间", (m) => when(m.created_at)],
    ],
  },
  visits: {
    title: "走访台账", roles: AREA, list: "/api/v1/visits", export: "/api/v1/visits/export.xlsx", file: "走访台账.xlsx",
    filters: [{name: "week", label: "周次（如 2026-W48）"}],
    columns: [["走访时间", (v) => when(v.visited_at)], ["周次", (v) => v.week],
              ["结果", (v) => VISIT_RESULTS[v.result] || v.result],
              ["发现事项", (v) => v.findings.map((f) => f.note || f.tag).join("；")],
              ["远离住户", (v) => yesNo(v.far_from_household)], ["备注", (v) => v.notes || ""]],
  },
  "key-persons": {
    title: "重点人员台账", roles: AREA, list: "/api/v1/key-persons", export: "/api/v1/key-persons/export.xlsx",
    file: "重点人员台账.xlsx",
    filters: [{name: "overdue", label: "跟进", options: {"": "全部", true: "逾期", false: "按期"}},
              {name: "attention_level", label: "关注程度", options: {"": "全部", ...RISK}}],
    columns: [["姓名", (p) => masked(p.resident.name)], ["身份证号", (p) => p.resident.id_number_masked || ""],
              ["网格", (p) => p.grid_cell.name], ["关注程度", (p) => RISK[p.attention_level] || p.attention_level],
              ["下次跟进", (p) => p.next_follow_up_on], ["跟进逾期", (p) => yesNo(p.overdue)],
              ["责任人", (p) => (p.responsible ? p.responsible.display_name : "")]],
  },
  "care-targets": {
    title: "关爱对象台账", roles: AREA, list: "/api/v1/care-targets", export: "/api/v1/care-targets/export.xlsx",
    file: "关爱对象台账.xlsx",
    filters: [{name: "overdue", label: "探访", options: {"": "全部", true: "逾期", false: "按期"}}],
    columns: [["姓名", (p) => masked(p.resident.name)], ["网格", (p) => p.grid_cell.name],
              ["下次探访", (p) => p.next_follow_up_on], ["逾期", (p) => yesNo(p.overdue)],
              ["责任人", (p) => (p.responsible ? p.responsible.display_name : "")]],
  },
  disputes: {
    title: "矛盾纠纷台账", roles: AREA, list: "/api/v1/disputes", export: "/api/v1/disputes/export.xlsx",
    file: "矛盾纠纷台账.xlsx",
    filters: [{name: "status", label: "状态", options: {"": "全部", ...DISPUTE_STATUS}},
              {name: "risk_level", label: "风险", options: {"": "全部", ...RISK}}],
    columns: [["登记时间", (d) => when(d.created_at)], ["网格", (d) => d.grid_cell.name],
              ["类型", (d) => DISPUTE_KINDS[d.kind] || d.kind], ["概要", (d) => d.summary],
              ["当事人数", (d) => d.party_count], ["风险", (d) => RISK[d.risk_level] || d.risk_level],
              ["状态", (d) => DISPUTE_STATUS[d.status] || d.status],
              ["调解员", (d) => (d.mediator ? d.mediator.display_name : "")]],
  },
  petitions: {
    title: "信访台账", roles: [...MANAGERS, "unit_staff"], list: "/api/v1/petitions",
    export: "/api/v1/petitions/export.xlsx", file: "信访台账.xlsx",
    filters: [{name: "overdue", label: "期限", options: {"": "全部", true: "超期", false: "未超期"}}],
    columns: [["收件日期", (p) => p.received_on], ["网格", (p) => p.grid_cell.name], ["概要", (p) => p.summary],
              ["人数", (p) => p.petitioner_count], ["状态", (p) => p.status],
              ["承办单位", (p) => (p.unit ? p.unit.name : "")]],
  },
  incidents: {
    title: "突发事件台账", roles: [...AREA, "responder"], list: "/api/v1/incidents",
    export: "/api/v1/incidents/export.xlsx", file: "突发事件台账.xlsx",
    filters: [{name: "level", label: "等级", options: {"": "全部", I: "Ⅰ级", II: "Ⅱ级", III: "Ⅲ级", IV: "Ⅳ级"}},
              {name: "open", label: "状态", options: {"": "全部", true: "未结束", false: "已结束"}}],
    columns: [["编号", (i) => i.number], ["标题", (i) => i.title], ["等级", (i) => `${i.level} 级`],
              ["状态", (i) => INCIDENT_STATUS[i.status] || i.status], ["网格", (i) => (i.grid_cell ? i.grid_cell.name : "")],
              ["发生时间", (i) => when(i.opened_at)]],
  },
};

export const LEDGER_ROLES = [...new Set(Object.values(LEDGERS).flatMap((l) => l.roles))];

export async function showLedgers(main, me) {
  const [path, search] = location.hash.split("?");
  const mine = Object.entries(LEDGERS).filter(([, l]) => l.roles.includes(me.role));
  const kind = mine.some(([k]) => k === path.split("/")[2]) ? path.split("/")[2] : mine[0][0];
  const ledger = LEDGERS[kind];
  const params = new URLSearchParams(search || "");
  const page = Math.max(1, Number(params.get("page")) || 1);
  params.delete("page");

  const fields = ledger.filters.map((f) => f.options
    ? el("select", {name: f.name}, ...Object.entries(f.options).map(([value, name]) =>
      el("option", {value, selected: (params.get(f.name) || "") === value}, name)))
    : el("input", {name: f.name, value: params.get(f.name) || "", placeholder: f.label}));
  const form = el("form", {class: "filters", "aria-label": "筛选"},
    ...ledger.filters.map((f, i) => el("label", {}, `${f.label} `, fields[i])), el("button", {type: "submit"}, "筛选"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const field of fields) if (field.value.trim()) next.set(field.name, field.value.trim());
    location.hash = `#/ledgers/${kind}?${next}`;
  });

  const query = [...params].filter(([, v]) => v).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  const {items, total} = await getPage(`${ledger.list}?${query}${query ? "&" : ""}page=${page}&page_size=${PAGE_SIZE}`);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const goto = (n) => `#/ledgers/${kind}?${query}${query ? "&" : ""}page=${n}`;
  const download = ledger.export ? el("a", {class: "button", href: `${ledger.export}${query ? `?${query}` : ""}`,
                                            download: ledger.file}, "导出 Excel") : null;
  const tabs = el("div", {class: "tabs", role: "tablist", "aria-label": "台账"},
    ...mine.map(([k, l]) => el("a", {role: "tab", href: `#/ledgers/${k}`, "aria-selected": String(k === kind)}, l.title)));
  main.append(el("h1", {}, ledger.title), tabs, form,
    el("p", {class: "status", role: "status"}, `共 ${total} 条 · 第 ${page}/${pages} 页`, " ", download),
    el("table", {class: "list"},
      el("thead", {}, el("tr", {}, ...ledger.columns.map(([h]) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, ...items.map((row) => el("tr", {}, ...ledger.columns.map(([, cell]) => el("td", {}, cell(row))))))),
    el("nav", {class: "pager", "aria-label": "翻页"},
      page > 1 ? el("a", {href: goto(page - 1)}, "上一页") : null,
      page < pages ? el("a", {href: goto(page + 1)}, "下一页") : null));
}
