// 台账: the matters ledger, filtered as the list is, exported to Excel exactly as filtered (the
// download uses the same query: what you see is what you get in the workbook).
import {count, get} from "./api.js";
import {el} from "./dom.js";
import {STATUS_NAMES} from "./matters.js";

const COLOURS = {"": "全部", green: "正常", yellow: "临期", red: "超期"};

export async function showLedgers(main) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const q = el("input", {name: "q", value: params.get("q") || "", placeholder: "关键词"});
  const status = el("select", {name: "status"}, el("option", {value: ""}, "全部状态"),
    ...Object.entries(STATUS_NAMES).map(([v, n]) => el("option", {value: v, selected: params.get("status") === v}, n)));
  const colour = el("select", {name: "deadline_colour"},
    ...Object.entries(COLOURS).map(([v, n]) => el("option", {value: v, selected: (params.get("deadline_colour") || "") === v}, n)));
  const form = el("form", {class: "filters", "aria-label": "筛选"},
    el("label", {}, "关键词 ", q), el("label", {}, "状态 ", status), el("label", {}, "期限 ", colour),
    el("button", {type: "submit"}, "筛选"));
  const filters = new URLSearchParams();
  for (const [name, value] of params) if (value) filters.set(name, value);
  const query = filters.toString();
  const total = await count(`/api/v1/matters${query ? `?${query}` : ""}`);
  const download = el("a", {class: "button", href: `/api/v1/matters/export.xlsx${query ? `?${query}` : ""}`,
                            download: "事件台账.xlsx"}, "导出 Excel");
  const rows = el("tbody");
  main.append(el("h1", {}, "事件台账"), form,
    el("p", {class: "status", role: "status"}, `共 ${total} 条`, " ", download),
    el("table", {class: "list"}, el("thead", {}, el("tr", {},
      ...["编号", "类别", "状态", "网格", "描述", "上报时间"].map((h) => el("th", {}, h)))), rows));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const field of [q, status, colour]) if (field.value.trim()) next.set(field.name, field.value.trim());
    location.hash = `#/ledgers?${next}`;
  });
  const page = await get(`/api/v1/matters?${query}${query ? "&" : ""}page_size=50`);
  for (const m of page) {
    rows.append(el("tr", {},
      el("td", {}, el("a", {href: `#/matters/${m.id}`}, String(m.number))), el("td", {}, m.category.name),
      el("td", {}, STATUS_NAMES[m.status] || m.status), el("td", {}, m.grid_cell ? m.grid_cell.name : "待定位"),
      el("td", {}, m.description), el("td", {}, new Date(m.created_at).toLocaleString("zh-CN", {hour12: false}))));
  }
}
