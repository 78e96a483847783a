// 突发事件: the open incidents, most serious first, and one incident's command post — its state and
// steps, the nearest available responders to send, the dispatches changing live as the phones answer
// (the stream), and the command log.
import {ApiError, get, post} from "../common/js/api.js";
import {clear, el} from "../common/js/dom.js";

const LEVEL_NAMES = {I: "Ⅰ级（特别重大）", II: "Ⅱ级（重大）", III: "Ⅲ级（较大）", IV: "Ⅳ级（一般）"};
const STATUS_NAMES = {open: "已接报", responding: "处置中", contained: "已控制", closed: "已结束"};
const DISPATCH_NAMES = {dispatched: "已派出", acknowledged: "已确认", en_route: "在途", on_scene: "到场", done: "完成",
                        declined: "拒绝", cancelled: "已撤回"};
const TEAM_NAMES = {governance: "综治", mediation: "调解", patrol: "巡防", rescue: "救援"};
// the next step of each state, for those who command (the API refuses the rest)
const NEXT = {open: ["respond", "开始处置"], responding: ["contain", "已控制"], contained: ["close", "结束"]};
const COMMANDERS = ["community_staff", "street_admin", "district_admin"];
let live = null;  // the open stream of the incident on screen
const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", {hour12: false}) : "");

export async function showIncidents(main, me) {
  const [, , id] = location.hash.split("?")[0].split("/");
  if (id) return showIncident(main, id, me);
  const incidents = await get("/api/v1/incidents?open=true&page_size=100");
  main.append(el("h1", {}, "突发事件"),
    el("table", {class: "list"},
      el("thead", {}, el("tr", {}, ...["编号", "等级", "标题", "状态", "网格", "接报时间"].map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, ...(incidents.length ? incidents.map((i) => el("tr", {},
        el("td", {}, el("a", {href: `#/incidents/${i.id}`}, String(i.number))),
        el("td", {}, el("span", {class: `light level-${i.level}`}, LEVEL_NAMES[i.level])),
        el("td", {}, i.title), el("td", {}, STATUS_NAMES[i.status]),
        el("td", {}, i.grid_cell ? i.grid_cell.name : ""), el("td", {}, when(i.opened_at))))
        : [el("tr", {}, el("td", {colspan: 6}, "没有未结束的突发事件。"))]))));
}

async function showIncident(main, id, me) {
  const incident = await get(`/api/v1/incidents/${id}`);
  const commander = COMMANDERS.includes(me.role);
  const status = el("dd", {"data-field": "status"}, STATUS_NAMES[incident.status]);
  const message = el("p", {class: "error", role: "alert"});
  const act = async (path, body) => {
    message.textContent = "";
    try {
      await post(path, body);
      await reload(id, me);
    } catch (e) {
      message.textContent = e instanceof ApiError ? e.message : "操作失败，请重试。";
    }
  };
  const steps = el("div", {class: "buttons"});
  if (commander && NEXT[incident.status]) {
    const [action, label] = NEXT[incident.status];
    const button = el("button", {type: "button"}, label);
    button.addEventListener("click", () => act(`/api/v1/incidents/${id}/transitions`, {action}));
    steps.append(button);
  }
  main.append(
    el("p", {}, el("a", {href: "#/incidents"}, "← 返回列表")),
    el("h1", {}, `突发事件 ${incident.number} · ${incident.title}`),
    el("dl", {class: "facts"},
      el("dt", {}, "等级"), el("dd", {}, LEVEL_NAMES[incident.level]), el("dt", {}, "状态"), status,
      el("dt", {}, "地点"), el("dd", {}, [incident.address, incident.grid_cell?.name].filter(Boolean).join(" · ") || "—"),
      el("dt", {}, "接报时间"), el("dd", {}, when(incident.opened_at)),
      el("dt", {}, "描述"), el("dd", {}, incident.description || "—")),
    steps, message);

  const dispatches = el("tbody", {"aria-live": "polite"});
  const rows = new Map();
  const showDispatch = (d) => {
    const row = el("tr", {"data-dispatch": d.id},
      el("td", {}, d.responder_name), el("td", {"data-field": "dispatch-status"}, DISPATCH_NAMES[d.status] || d.status),
      el("td", {}, d.distance_m === null ? "" : `${Math.round(d.distance_m)} 米`), el("td", {}, when(d.dispatched_at)),
      el("td", {}, d.overdue ? el("span", {class: "light red"}, "超时未确认") : ""));
    if (rows.has(d.id)) rows.get(d.id).replaceWith(row); else dispatches.append(row);
    rows.set(d.id, row);
  };
  (incident.dispatches || []).forEach(showDispatch);
  main.append(el("h2", {}, "派遣"), el("table", {class: "list", "aria-label": "派遣"},
    el("thead", {}, el("tr", {}, ...["队员", "状态", "派出时距离", "派出时间", ""].map((h) => el("th", {scope: "col"}, h)))),
    dispatches));

  if (commander && incident.status !== "closed") main.append(await recommendations(id, act));

  const log = el("ol", {class: "timeline"}, ...(incident.timeline || []).map((e) =>
    el("li", {}, `${when(e.at)} · ${e.action}${e.message ? `：${e.message}` : ""}`)));
  const text = el("textarea", {name: "message", rows: 2, maxlength: 2000, required: true});
  const say = el("form", {class: "actions", "aria-label": "指挥记录"}, el("label", {}, "记录", text),
    el("div", {class: "buttons"}, el("button", {type: "submit"}, "记录")));
  say.addEventListener("submit", (event) => {
    event.preventDefault();
    act(`/api/v1/incidents/${id}/messages`, {message: text.value.trim()});
  });
  // the command log is written by commanders (and the responders sent to it, from their phones)
  main.append(el("h2", {}, "指挥记录"), ...(commander ? [say] : []), log);

  // the phones' answers as they come: the stream carries every dispatch of the caller's area
  live?.close();
  const stream = new EventSource("/api/v1/stream");
  live = stream;
  // the topics are the steps: created, acknowledge, decline, en_route, on_scene, done, cancelled, overdue
  for (const topic of ["created", "acknowledge", "decline", "en_route", "on_scene", "done", "cancelled", "overdue"]) {
    stream.addEventListener(`dispatch.${topic}`, (event) => {
      const data = JSON.parse(event.data);
      if (data.incident_id === id) showDispatch(data);
    });
  }
  stream.addEventListener("incident.updated", (event) => {
    const data = JSON.parse(event.data);
    if (data.incident_id === id) status.textContent = STATUS_NAMES[data.status];
  });
  window.addEventListener("hashchange", () => stream.close(), {once: true});
  stream.addEventListener("open", () => { main.dataset.live = "true"; });
}

// 推荐队员: the nearest available responders of the right teams; tick and send
async function recommendations(id, act) {
  const list = await get(`/api/v1/incidents/${id}/recommendations?limit=10`).catch(() => []);
  const boxes = list.map((r) => el("input", {type: "checkbox", name: "responder", value: r.user_id,
                                             "aria-label": `选择 ${r.name}`}));
  const form = el("form", {class: "actions", "aria-label": "推荐队员"},
    el("table", {class: "list"},
      el("thead", {}, el("tr", {}, ...["", "队员", "队伍", "距离", "位置时间"].map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, ...(list.length ? list.map((r, i) => el("tr", {},
        el("td", {}, boxes[i]), el("td", {}, r.name), el("td", {}, `${TEAM_NAMES[r.team] || r.team} · ${r.team_name}`),
        el("td", {}, `${Math.round(r.distance_m)} 米`), el("td", {}, when(r.position_at))))
        : [el("tr", {}, el("td", {colspan: 5}, "附近没有在岗的队员。"))]))),
    el("div", {class: "buttons"}, el("button", {type: "submit"}, "派遣所选队员")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
    if (chosen.length) act(`/api/v1/incidents/${id}/dispatches`, {responder_ids: chosen});
  });
  return el("section", {}, el("h2", {}, "推荐队员（最近的在岗队员）"), form);
}

async function reload(id, me) {
  const main = document.getElementById("page");
  clear(main);
  await showIncident(main, id, me);
}
