// 事件办理: queues by status with their deadline colours, and one matter with its photos,
// timeline and the steps the caller may take now (the API says which: `actions`).
import {ApiError, get, post, upload} from "../common/js/api.js";
import {clear, el} from "../common/js/dom.js";

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

export async function showMatters(main, me) {
  const [, , id] = location.hash.split("/");
  if (id) return showMatter(main, id, me);
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

const INCIDENT_REPORTERS = ["grid_member", "community_staff", "street_admin", "district_admin"];
const offers = (matter, action) => (matter.actions || []).includes(action);
let role = null;

// a step's form: its message line, and a submit that posts the transition and shows the result
function stepForm(matter, label, fields, body) {
  const message = el("p", {class: "error", role: "alert"});
  const form = el("form", {class: "actions", "aria-label": label}, ...fields, message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      const payload = await body(event);
      if (payload === null) return;
      await post(`/api/v1/matters/${matter.id}/transitions`, payload);
      await reload(matter);
    } catch (e) {
      message.textContent = e instanceof ApiError ? e.message : "操作失败，请重试。";
    }
  });
  form.say = (text) => { message.textContent = text; };
  return form;
}

async function showMatter(main, id, me) {
  role = me?.role ?? role;
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
      el("dt", {}, "期限"), el("dd", {}, matter.deadline ? `${when(matter.deadline)}（${COLOUR_NAMES[matter.deadline_colour] || ""}）` : "—"),
      matter.merged_into ? [el("dt", {}, "已合并到"), el("dd", {}, el("a", {href: `#/matters/${matter.merged_into}`}, "原事件"))] : null,
      matter.incident_id ? [el("dt", {}, "突发事件"), el("dd", {"data-field": "incident"}, "已升级为突发事件")] : null),
    el("div", {class: "photos"}, ...(matter.photos || []).map((p) =>
      el("img", {src: `/api/v1/photos/${p.id}`, alt: "事件照片", loading: "lazy"}))),
    actionsForm(matter),
    offers(matter, "dispatch") ? await dispatchForm(matter) : "",
    offers(matter, "handle") ? photoStepForm(matter, "handle", "处置完成", "处置情况") : "",
    offers(matter, "resolve_on_spot") ? photoStepForm(matter, "resolve_on_spot", "现场办结", "办结情况") : "",
    offers(matter, "merge") ? await mergeForm(matter) : "",
    offers(matter, "escalate") && INCIDENT_REPORTERS.includes(role) ? incidentForm(matter) : "",
    el("h2", {}, "流转记录"),
    el("ol", {class: "timeline"}, ...timeline.map((e) =>
      el("li", {}, `${when(e.at)} · ${ACTION_NAMES[e.action] || e.action}${e.note ? `：${e.note}` : ""}`))));
}

async function reload(matter) {
  const main = document.getElementById("page");
  clear(main);
  await showMatter(main, matter.id);
}

// 派遣: to a handling unit of the caller's line, or to a grid member or responder of the area
// (typed names narrow the list: an area may hold hundreds).
async function dispatchForm(matter) {
  const [units, members, responders] = await Promise.all([
    get("/api/v1/handling-units?page_size=100"),
    get("/api/v1/users?role=grid_member&is_active=true&page_size=100"),
    get("/api/v1/users?role=responder&is_active=true&page_size=100"),
  ]);
  const people = el("optgroup", {label: "网格员与应急队员"});
  const fill = (list) => people.replaceChildren(...list.map((p) => el("option", {value: `user:${p.id}`}, p.display_name)));
  fill([...members, ...responders]);
  const target = el("select", {name: "target", required: true}, el("option", {value: ""}, "请选择"),
    el("optgroup", {label: "处置部门"}, ...units.map((u) => el("option", {value: `unit:${u.id}`}, u.name))), people);
  const search = el("input", {type: "search", name: "who", placeholder: "输入姓名查找人员", maxlength: 50});
  search.addEventListener("change", async () => {
    const q = encodeURIComponent(search.value.trim());
    const found = await Promise.all(["grid_member", "responder"].map((r) =>
      get(`/api/v1/users?role=${r}&is_active=true&page_size=100${q ? `&q=${q}` : ""}`)));
    fill(found.flat());
  });
  return stepForm(matter, "派遣", [el("label", {}, "查找人员", search), el("label", {}, "派遣给", target),
    el("div", {class: "buttons"}, el("button", {type: "submit"}, "派遣"))], () => {
    const [kind, id] = target.value.split(":");
    return {action: "dispatch", ...(kind === "unit" ? {unit_id: id} : {assignee_id: id})};
  });
}

// 处置 / 现场办结: a note and photos of the result, uploaded first, then the step with their ids
function photoStepForm(matter, action, label, noteLabel) {
  const note = el("textarea", {name: "note", rows: 2, maxlength: 1000, required: true});
  const files = el("input", {type: "file", name: "photos", accept: "image/jpeg,image/png", multiple: true});
  const form = stepForm(matter, label, [el("label", {}, noteLabel, note), el("label", {}, "照片（最多 9 张）", files),
    el("div", {class: "buttons"}, el("button", {type: "submit"}, label))], async () => {
    if (files.files.length > 9) {
      form.say("照片最多 9 张。");
      return null;
    }
    const photoIds = [];
    for (const file of files.files) {
      const data = new FormData();
      data.append("file", file);
      photoIds.push((await upload("/api/v1/photos", data)).id);
    }
    return {action, note: note.value.trim(), photo_ids: photoIds};
  });
  return form;
}

// 合并: this is a duplicate of an open matter of its category nearby, or of one given by number
async function mergeForm(matter) {
  const near = matter.location ? await get(`/api/v1/matters/nearby?category=${encodeURIComponent(matter.category.code)}` +
    `&lng=${matter.location.lng}&lat=${matter.location.lat}&radius_m=500`) : [];
  const candidates = near.filter((m) => m.id && m.id !== matter.id);
  const original = el("select", {name: "into"}, el("option", {value: ""}, candidates.length ? "请选择原事件" : "附近没有同类在办事件"),
    ...candidates.map((m) => el("option", {value: m.id},
      `${m.number} · ${Math.round(m.distance_m)} 米 · ${STATUS_NAMES[m.status]} · ${(m.description || "").slice(0, 20)}`)));
  const number = el("input", {type: "number", name: "number", min: 1, inputmode: "numeric"});
  const form = stepForm(matter, "合并重复事件", [el("label", {}, "附近同类事件", original),
    el("label", {}, "或原事件编号", number),
    el("div", {class: "buttons"}, el("button", {type: "submit"}, "合并到原事件"))], async () => {
    let into = original.value;
    if (number.value) {
      const found = await get(`/api/v1/matters?number=${Number(number.value)}&page_size=1`);
      if (!found.length) {
        form.say("您的辖区内没有该编号的事件。");
        return null;
      }
      into = found[0].id;
    }
    if (!into) {
      form.say("请选择或输入原事件。");
      return null;
    }
    return {action: "merge", into_id: into};
  });
  return form;
}

// 升级为突发事件: graded I (most severe) to IV, linked both ways
function incidentForm(matter) {
  const level = el("select", {name: "level", required: true}, el("option", {value: ""}, "请选择等级"),
    ...[["I", "Ⅰ级（特别重大）"], ["II", "Ⅱ级（重大）"], ["III", "Ⅲ级（较大）"], ["IV", "Ⅳ级（一般）"]]
      .map(([value, name]) => el("option", {value}, name)));
  const note = el("textarea", {name: "note", rows: 2, maxlength: 1000, required: true});
  return stepForm(matter, "升级为突发事件", [el("label", {}, "事件等级", level), el("label", {}, "情况说明", note),
    el("div", {class: "buttons"}, el("button", {type: "submit"}, "升级为突发事件"))],
    () => ({action: "escalate", level: level.value, note: note.value.trim()}));
}

function actionsForm(matter) {
  const offered = (matter.actions || []).filter((a) => a in STEPS);
  if (!offered.length) return el("p", {class: "status"}, "当前没有可以直接执行的操作。");
  const note = el("textarea", {name: "note", rows: 2, maxlength: 1000});
  const form = stepForm(matter, "办理", [el("label", {}, "说明（部分操作必填）", note),
    el("div", {class: "buttons"}, ...offered.map((a) => el("button", {type: "submit", value: a}, STEPS[a][0])))],
  (event) => {
    const action = event.submitter.value;
    if (STEPS[action][1] && !note.value.trim()) {
      form.say("该操作需要填写说明。");
      return null;
    }
    return {action, note: note.value.trim() || undefined};
  });
  return form;
}
