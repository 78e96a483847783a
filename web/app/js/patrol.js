// The grid member on the street (巡查): check in and out with the phone's position, and record a
// patrol track. The track is kept on the phone fix by fix (closing the app loses nothing; opening it
// again goes on recording) and sent through the outbox when the patrol ends; the screen is kept
// awake while recording, since a web page cannot follow the position in the background.
import {enqueue, entries, newId, redrawOnChange} from "./outbox.js";
import {follow, here, metres} from "./device.js";
import {kv} from "./store.js";
import {action, clear, el, notice, when} from "./ui.js";

const MAX_POINTS = 10_000;  // the server's limit for one patrol
const MIN_STEP_M = 5;
const MAX_ACCURACY_M = 60;

let stopWatching = null;
let wakeLock = null;

const key = (me) => `patrol:${me.id}`;

async function keepAwake(on) {
  try {
    if (on && !wakeLock && "wakeLock" in navigator) wakeLock = await navigator.wakeLock.request("screen");
    if (!on && wakeLock) { await wakeLock.release(); wakeLock = null; }
  } catch { /* not granted: recording still works while the screen is on */ }
}

let listener = null;  // the patrol screen, while it is open

// Keep recording an active patrol (also after the app was closed and opened again); `onFix` is
// told of every point kept.
export async function resumePatrol(me, onFix) {
  if (onFix) listener = onFix;
  const active = await kv.get(key(me));
  if (!active || stopWatching) return active;
  keepAwake(true);
  stopWatching = follow(async (fix) => {
    if (fix.accuracy_m > MAX_ACCURACY_M) return;
    const patrol = await kv.get(key(me));
    if (!patrol) return;
    const last = patrol.points.at(-1);
    if (last && metres(last, fix) < MIN_STEP_M) return;
    patrol.points.push({lng: fix.lng, lat: fix.lat, at: fix.at});
    patrol.length_m = (patrol.length_m || 0) + (last ? metres(last, fix) : 0);
    await kv.set(key(me), patrol);
    if (patrol.points.length >= MAX_POINTS) await endPatrol(me, true);
    listener?.(patrol);
  });
  return active;
}

// End the patrol being recorded, if any (its track goes to the outbox); before logging out.
export async function finishPatrol(me) {
  if (await kv.get(key(me))) await endPatrol(me);
}

async function endPatrol(me, andGoOn = false) {
  const patrol = await kv.get(key(me));
  stopWatching?.();
  stopWatching = null;
  await kv.del(key(me));
  if (patrol && patrol.points.length >= 2) {
    await enqueue({kind: "patrol", label: `巡查 ${when(patrol.started_at)}，${Math.round(patrol.length_m || 0)} 米`,
                   path: "/api/v1/patrols", body: {id: patrol.id, coord_system: "wgs84", points: patrol.points}});
  }
  if (andGoOn) {
    await kv.set(key(me), {id: newId(), started_at: new Date().toISOString(), points: [], length_m: 0});
    await resumePatrol(me);
  } else {
    keepAwake(false);
  }
  return patrol;
}

export async function showPatrol(main, me) {
  redrawOnChange((entry) => ["patrol", "check-in"].includes(entry.kind), () => drawHistory());
  clear(main);
  const message = el("div");
  const checkIn = el("button", {type: "button", class: "primary"}, "签到");
  const checkOut = el("button", {type: "button", class: "secondary"}, "签退");
  const toggle = el("button", {type: "button", class: "primary"});
  const live = el("p", {class: "summary", "aria-live": "polite"});
  const history = el("ul", {class: "items", "aria-label": "最近的签到与巡查"});
  main.append(el("h1", {}, "巡查"), message, el("div", {class: "row"}, checkIn, checkOut),
    el("h2", {}, "巡查轨迹"), live, toggle, el("h2", {}, "最近"), history);

  for (const [button, kind, name] of [[checkIn, "check_in", "签到"], [checkOut, "check_out", "签退"]]) {
    action(button, async () => {
      message.replaceChildren(notice("正在定位…"));
      try {
        const p = await here({timeout: 15_000});
        await enqueue({kind: "check-in", label: `${name} ${when(p.at)}`, path: "/api/v1/check-ins",
                       body: {id: newId(), kind, at: new Date().toISOString(),
                              location: {lng: p.lng, lat: p.lat, coord_system: "wgs84"}}});
        message.replaceChildren(notice(`已${name}（±${p.accuracy_m} 米），联网后自动上传。`));
        drawHistory();
      } catch (error) {
        message.replaceChildren(notice(error.message, "error"));
      }
    });
  }

  const show = (patrol) => {
    live.textContent = patrol ? `记录中：${patrol.points.length} 个点，${Math.round(patrol.length_m || 0)} 米，开始于 ${when(patrol.started_at)}`
      : "未在巡查。";
    toggle.textContent = patrol ? "结束巡查" : "开始巡查";
  };
  show(await resumePatrol(me, show));
  action(toggle, async () => {
    if (await kv.get(key(me))) {
      const ended = await endPatrol(me);
      message.replaceChildren(notice(ended && ended.points.length >= 2 ? "巡查已结束，轨迹联网后自动上传。" : "轨迹点太少，未保存。",
                                     ended && ended.points.length >= 2 ? "info" : "warn"));
      show(null);
      drawHistory();
    } else {
      await kv.set(key(me), {id: newId(), started_at: new Date().toISOString(), points: [], length_m: 0});
      show(await resumePatrol(me, show));
    }
  });

  async function drawHistory() {
    const mine = (await entries()).filter((e) => e.kind === "patrol" || e.kind === "check-in").reverse().slice(0, 20);
    clear(history);
    if (!mine.length) history.append(el("li", {class: "empty"}, "还没有记录。"));
    for (const e of mine) {
      const result = e.state === "done" && e.kind === "patrol"
        ? `已上传：${Math.round(e.result.length_m)} 米，经过 ${e.result.cells.length} 个网格`
        : e.state === "done" ? (e.result?.in_own_cells === false ? "已上传（不在本人网格内）" : "已上传")
          : e.state === "failed" ? `未通过：${e.error}` : "待上传";
      history.append(el("li", {class: `item ${e.state}`}, el("strong", {}, e.label), el("span", {}, result)));
    }
  }
  drawHistory();
  window.addEventListener("hashchange", () => { listener = null; }, {once: true});
}
