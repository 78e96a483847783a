// 事件办理: queues by status with their deadline colours, and one matter with its photos,
// timeline and the steps the caller may take now (the API says which: `actions`).
import {ApiError, get, post} from "./api.js";
import {clear, el} from "./dom.js";

export const STATUS_NAMES = {
  submitted: "待受理", accepted: "已受理", registered: "已立案", dispatched: "已派遣", handled: "已处置",
  verified: "已核查", closed: "已办结", rejected: "未受理",
};
const COLOUR_NAMES = {green: "正常", yellow: "临期", red: "超期"};
// steps the desk offers now, with whether they need a note; the others (dispatch, merge, place,
// handle with photos) are taken where their inputs are chosen
const STEPS = {
  accept: ["受理", false], reject: ["不予受理", true], register: ["立案", false], verify: ["核查通过", false],
  rework: ["退回重办", true], close: ["结案", false], supervise: ["督办", false], urge: ["催办", true],
  escalate: ["上报上级", true], "return": ["退回", true],
};

const ACTION_NAMES = {
  submit: "上报", accept: "受理", reject: "不予受理", register: "立案", dispatch: "派遣", "return": "退回",
  handle: "处置", verify: "核查", rework: "退回重办", close: "结案", resolve_on_spot: "现场办结", escalate: "上报上级",
  merge: "合并", supervise: "督办", place: "定位网格", urge: "催办", rate: "评价", reopen: "重新办理",
  escalate_incident: "升级为突发事件",
};

function when(iso) {
  return iso ? new Date(iso).toLocaleString("zh-CN", {hour12: false}) : "";
}

export async function showMatters(main) {
  const [, , id] = location.hash.split("/");
  if (id) return showMatter(main, id);
  const status = new URLSearchParams(location.hash.split("?")[1] || "").get("status") || "submitted";
  const tabs = el("div", {class: "tabs", role: "tablist", "aria-label": "按状态"},
    ...Object.entries(STATUS_NAMES).map(([value, name]) =>
      el("a", {role: "tab", href: `#/matters?status=${value}`, "aria-selected": String(value === status)}, name)));
  const list = el("tbody");
  main.append(el("h1", {}, "事件办理"), tabs,
    el("table", {class: "list"},
      el("thead", {}, el("tr", {}, ...["编号", "类别", "描述", "网格", "期限", "上报时间"].map((h) => el("th", {}, h)))),
      list));
  const matters = await get(`/api/v1/matters?status=${status}&page_size=50`);
  if (!matters.length) list.append(el("tr", {}, el("td", {colspan: 6}, "没有该状态的事件。")));
  for (const m of matters) {
    list.append(el("tr", {},
      el("td", {}, el("a", {href: `#/matters/${m.id}`}, String(m.number))),
      el("td", {}, m.category.name),
      el("td", {}, m.description.length > 30 ? `${m.description.slice(0, 30)}…` : m.description),
      el("td", {}, m.grid_cell ? m.grid_cell.name : "待定位"),
      el("td", {}, m.deadline_colour ? el("span", {class: `light ${m.deadline_colour}`},
        COLOUR_NAMES[m.deadline_colour]) : "—"),
      el("td", {}, when(m.created_at))));
  }
}

async function showMatter(main, id) {
  const [matter, timeline] = await Promise.all([get(`/api/v1/matters/${id}`), get(`/api/v1/matters/${id}/timeline`)]);
  const status = el("dd", {"data-field": "status"}, STATUS_NAMES[matter.status] || matter.status);
  main.append(
    el("p", {}, el("a", {href: `#/matters?status=${matter.status}`}, "← 返回列表")),
    el("h1", {}, `事件 ${matter.number} · ${matter.category.name}`),
    el("dl", {class: "facts"},
      el("dt", {}, "状态"), status,
      el("dt", {}, "描述"), el("dd", {}, matter.description),
      el("dt", {}, "地址"), el("dd", {}, matter.address || "—"),
      el("dt", {}, "网格"), el("dd", {}, matter.grid_cell ? matter.grid_cell.name : "待定位"),
      el("dt", {}, "期限"), el("dd", {}, matter.deadline ? `${when(matter.deadline)}（${COLOUR_NAMES[matter.deadline_colour] || ""}）` : "—")),
    el("div", {class: "photos"}, ...(matter.photos || []).map((p) =>
      el("img", {src: `/api/v1/photos/${p.id}`, alt: "事件照片", loading: "lazy"}))),
    actionsForm(matter),
    (matter.actions || []).includes("dispatch") ? await dispatchForm(matter) : "",
    el("h2", {}, "流转记录"),
    el("ol", {class: "timeline"}, ...timeline.map((e) =>
      el("li", {}, `${when(e.at)} · ${ACTION_NAMES[e.action] || e.action}${e.note ? `：${e.note}` : ""}`))));
}

async function reload(matter) {
  const main = document.getElementById("page");
  clear(main);
  await showMatter(main, matter.id);
}

// 派遣: to a handling unit of the caller's line, or to a grid member or responder of the area.
async function dispatchForm(matter) {
  const [units, members, responders] = await Promise.all([
    get("/api/v1/handling-units?page_size=100"),
    get("/api/v1/users?role=grid_member&is_active=true&page_size=100"),
    get("/api/v1/users?role=responder&is_active=true&page_size=100"),
  ]);
  const target = el("select", {name: "target", required: true}, el("option", {value: ""}, "请选择"),
    el("optgroup", {label: "处置部门"}, ...units.map((u) => el("option", {value: `unit:${u.id}`}, u.name))),
    el("optgroup", {label: "网格员与应急队员"}, ...[...members, ...responders].map((p) =>
      el("option", {value: `user:${p.id}`}, p.display_name))));
  const message = el("p", {class: "error", role: "alert"});
  const form = el("form", {class: "actions", "aria-label": "派遣"},
    el("label", {}, "派遣给", target), el("div", {class: "buttons"}, el("button", {type: "submit"}, "派遣")), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [kind, id] = target.value.split(":");
    if (!id) {
      message.textContent = "请选择派遣对象。";
      return;
    }
    try {
      await post(`/api/v1/matters/${matter.id}/transitions`,
        {action: "dispatch", ...(kind === "unit" ? {unit_id: id} : {assignee_id: id})});
      await reload(matter);
    } catch (e) {
      message.textContent = e instanceof ApiError ? e.message : "派遣失败，请重试。";
    }
  });
  return form;
}

function actionsForm(matter) {
  const offered = (matter.actions || []).filter((a) => a in STEPS);
  if (!offered.length) return el("p", {class: "status"}, "当前没有您可以执行的操作。");
  const note = el("textarea", {name: "note", rows: 2, maxlength: 1000});
  const message = el("p", {class: "error", role: "alert"});
  const form = el("form", {class: "actions", "aria-label": "办理"},
    el("label", {}, "说明（部分操作必填）", note),
    el("div", {class: "buttons"}, ...offered.map((a) => el("button", {type: "submit", value: a}, STEPS[a][0]))),
    message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter.value;
    if (STEPS[action][1] && !note.value.trim()) {
      message.textContent = "该操作需要填写说明。";
      return;
    }
    try {
      await post(`/api/v1/matters/${matter.id}/transitions`, {action, note: note.value.trim() || undefined});
      await reload(matter);
    } catch (e) {
      message.textContent = e instanceof ApiError ? e.message : "操作失败，请重试。";
    }
  });
  return form;
}
