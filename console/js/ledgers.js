// 台账: filtered lists, a page at a time, exported to Excel exactly as filtered (the download uses
// the same query as the list: what you see is what you get in the workbook).
import {getPage} from "./api.js";
import {el} from "./dom.js";
import {STATUS_NAMES} from "./matters.js";

const PAGE_SIZE = 50;
const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", {hour12: false}) : "");

// one ledger: its list and export paths, its filters (name, label, options or free text), its columns
const LEDGERS = {
  matters: {
    title: "事件台账", list: "/api/v1/matters", export: "/api/v1/matters/export.xlsx", file: "事件台账.xlsx",
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
};

export async function showLedgers(main) {
  const [path, search] = location.hash.split("?");
  const kind = path.split("/")[2] || "matters";
  const ledger = LEDGERS[kind] || LEDGERS.matters;
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
  main.append(el("h1", {}, ledger.title), form,
    el("p", {class: "status", role: "status"}, `共 ${total} 条 · 第 ${page}/${pages} 页`, " ", download),
    el("table", {class: "list"},
      el("thead", {}, el("tr", {}, ...ledger.columns.map(([h]) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, ...items.map((row) => el("tr", {}, ...ledger.columns.map(([, cell]) => el("td", {}, cell(row))))))),
    el("nav", {class: "pager", "aria-label": "翻页"},
      page > 1 ? el("a", {href: goto(page - 1)}, "上一页") : null,
      page < pages ? el("a", {href: goto(page + 1)}, "下一页") : null));
}
