// The responder's phone (应急队员): on duty or off; while on duty the position is shared; dispatches
// arrive live (the event stream, with a poll behind it) and are answered step by step — acknowledge,
// on the way, on scene, done, or decline with a reason. Each answer goes through the outbox, so a
// tap in a dead spot is sent when the network returns, once.
import {ApiError, get, post} from "../common/js/api.js";
import {follow} from "./device.js";
import {enqueue, entries, redrawOnChange} from "./outbox.js";
import {cached} from "./store.js";
import {DISPATCH_STATUS, action, clear, el, notice, when} from "./ui.js";

const STEPS = {  // what the responder can do next, by the dispatch's status
  dispatched: [["acknowledge", "确认接收", "primary"], ["decline", "无法前往", "secondary"]],
  acknowledged: [["en_route", "出发", "primary"]],
  en_route: [["on_scene", "到达现场", "primary"]],
  on_scene: [["done", "处置完成", "primary"]],
};
const NEXT_STATUS = {acknowledge: "acknowledged", decline: "declined", en_route: "en_route", on_scene: "on_scene", done: "done"};
const LEVELS = {I: "Ⅰ级（特别重大）", II: "Ⅱ级（重大）", III: "Ⅲ级（较大）", IV: "Ⅳ级（一般）"};
const POSITION_EVERY_MS = 10_000;

let sharing = null;  // the position watch while on duty
let lastShared = null;  // the last fix the server took
let sharedListener = null;  // the task screen, while it is open
let stream = null;

// Share the position while on duty, at most every ten seconds (late fixes carry their own time);
// `onShared` is told of each fix the server took, the last one at once.
export function sharePosition(on, onShared) {
  if (onShared) {
    sharedListener = onShared;
    if (lastShared) onShared(lastShared);
  }
  if (!on) { sharing?.(); sharing = null; lastShared = null; return; }
  if (sharing) return;
  let lastSent = 0;
  sharing = follow(async (fix) => {
    if (Date.now() - lastSent < POSITION_EVERY_MS) return;
    lastSent = Date.now();
    try {
      await post("/api/v1/responders/me/position", {lng: fix.lng, lat: fix.lat, coord_system: "wgs84",
                                                    at: fix.at, accuracy_m: fix.accuracy_m});
      lastShared = fix;
      sharedListener?.(fix);
    } catch { /* the next fix will do */ }
  });
}

export async function showTasks(main, me) {
  clear(main);
  const message = el("div");
  const duty = el("button", {type: "button"});
  const shared = el("small", {class: "hint", "aria-live": "polite"});
  const list = el("ul", {class: "items", "aria-label": "出警任务"});
  main.append(el("h1", {}, "出警任务"), message, el("div", {class: "row"}, duty, shared), list);

  let responder;
  try {
    ({value: responder} = await cached(`responder:${me.id}`, () => get("/api/v1/responders/me")));
  } catch (error) {
    message.append(notice(error instanceof ApiError && error.status === 404 ? "您不在任何应急队伍中。" : "离线，且本机没有任务记录。", "error"));
    return;
  }
  const showDuty = () => {
    const on = responder.duty_status !== "off_duty";
    duty.textContent = on ? "下岗" : "上岗";
    duty.className = on ? "secondary" : "primary";
    shared.textContent = on ? "在岗：位置共享中" : "未在岗：不共享位置";
    sharePosition(on, (fix) => { shared.textContent = `在岗：位置已共享 ${when(fix.at)}（±${fix.accuracy_m} 米）`; });
  };
  showDuty();
  action(duty, async () => {
    try {
      responder = await post("/api/v1/responders/me/duty", {duty_status: responder.duty_status === "off_duty" ? "on_duty" : "off_duty"});
      showDuty();
    } catch (error) {
      message.replaceChildren(notice(error instanceof TypeError ? "离线：上岗、下岗需要网络。" : error.message, "error"));
    }
  });

  async function draw() {
    let dispatches;
    let offline = false;
    try {
      ({value: dispatches, offline} = await cached(`dispatches:${me.id}`, () => get("/api/v1/responders/me/dispatches?active=true&page_size=50")));
    } catch {
      dispatches = [];
    }
    // answers still on the phone show as the status they will make
    const queued = new Map((await entries()).filter((e) => e.kind === "dispatch-step" && e.state !== "done")
      .map((e) => [e.ref, e]));
    clear(list);
    if (offline) list.append(el("li", {class: "empty"}, "离线：显示的是上次联网时的任务。"));
    if (!dispatches.length) list.append(el("li", {class: "empty"}, "目前没有任务。"));
    for (const d of dispatches) {
      const waiting = queued.get(d.id);
      const status = waiting ? NEXT_STATUS[waiting.body.action] : d.status;
      const incident = d.incident || {};
      const buttons = (STEPS[status] || []).map(([step, name, kind]) => action(
        el("button", {type: "button", class: kind, "data-step": step}, name), () => answer(d, step, name)));
      list.append(el("li", {class: `item dispatch ${d.overdue ? "overdue" : ""}`, "data-dispatch": d.id, "data-status": status},
        el("strong", {}, `第 ${incident.number} 号 ${incident.title || ""}`),
        el("span", {}, [LEVELS[incident.level] || incident.level, incident.address].filter(Boolean).join(" · ")),
        el("span", {class: `badge ${status}`}, DISPATCH_STATUS[status] || status,
          waiting ? (waiting.state === "failed" ? `（未送达：${waiting.error}）` : "（待发送）") : ""),
        el("small", {}, `派出 ${when(d.dispatched_at)}${d.distance_m ? ` · 距离 ${Math.round(d.distance_m)} 米` : ""}`
          + (status === "dispatched" ? ` · 请于 ${when(d.ack_due_at)} 前确认` : "")),
        incident.lat ? el("a", {href: `geo:${incident.lat},${incident.lng}`}, "在地图应用中打开") : null,
        el("div", {class: "row"}, ...buttons)));
    }
  }

  async function answer(dispatch, step, name) {
    let note = null;
    if (step === "decline") {
      note = prompt("无法前往的原因：");
      if (!note?.trim()) return;
    }
    await enqueue({kind: "dispatch-step", label: `第 ${dispatch.incident?.number} 号：${name}`, ref: dispatch.id,
                   path: `/api/v1/dispatches/${dispatch.id}/transitions`, body: {action: step, note: note?.trim() || null}});
    await draw();
  }

  await draw();
  // live: a new dispatch, a cancellation, the commander's changes — and the outbox's answers
  stream?.close();
  stream = new EventSource("/api/v1/stream");
  const reload = () => draw();
  for (const topic of ["created", "cancelled", "overdue", "acknowledge", "decline", "en_route", "on_scene", "done"]) {
    stream.addEventListener(`dispatch.${topic}`, (event) => {
      if (topic === "created") {
        navigator.vibrate?.([300, 100, 300]);
        message.replaceChildren(notice("新的出警任务！", "warn"));
      }
      reload(event);
    });
  }
  stream.addEventListener("open", () => { main.dataset.live = "true"; });
  redrawOnChange((entry) => entry.kind === "dispatch-step" && entry.state !== "pending", () => draw());
  const poll = setInterval(draw, 30_000);
  window.addEventListener("hashchange", () => {
    stream?.close();
    stream = null;
    sharedListener = null;
    clearInterval(poll);
  }, {once: true});
}
