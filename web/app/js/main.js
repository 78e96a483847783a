// GridGov's companion app (网格通): one login for every role, the screens each role needs, routed by
// the URL's hash. Installable (manifest + service worker) and usable offline: the shell comes from
// the service worker's cache, the data a screen needs from what the phone kept (store.js), and
// every write goes through the outbox (outbox.js).
import {ApiError, get, logout} from "../common/js/api.js";
import {loginForm} from "../common/js/login.js";
import {showMatter, showMine, showNotices, unreadCount} from "./mine.js";
import * as outbox from "./outbox.js";
import {finishPatrol, resumePatrol, showPatrol} from "./patrol.js";
import {showReport} from "./report.js";
import {kv} from "./store.js";
import {showSync} from "./sync.js";
import {sharePosition, showTasks} from "./tasks.js";
import {ROLE_NAMES, clear, el, notice} from "./ui.js";
import {showVisit, showVisits} from "./visits.js";

const REPORTERS = ["resident", "grid_member", "community_staff", "street_admin", "district_admin"];
const TABS = [
  {path: "#/visits", title: "走访", icon: "visits", roles: ["grid_member", "community_staff"], show: showVisits},
  {path: "#/tasks", title: "任务", icon: "tasks", roles: ["responder"], show: showTasks},
  {path: "#/report", title: "上报", icon: "report", roles: REPORTERS, show: showReport},
  {path: "#/patrol", title: "巡查", icon: "patrol", roles: ["grid_member"], show: showPatrol},
  {path: "#/mine", title: "我的上报", icon: "mine", roles: ["resident", "community_staff", "street_admin", "district_admin"], show: showMine},
  {path: "#/notices", title: "消息", icon: "notices", show: showNotices},
  {path: "#/me", title: "我", icon: "me", show: showMe},
];
const PAGES = [  // reached from a tab's screen, not from the tab bar
  {pattern: /^#\/matter\/([0-9a-f-]{36})/, show: (main, me, m) => showMatter(main, me, m[1])},
  {pattern: /^#\/visit\/([0-9a-f-]{36})/, show: (main, me, m) => showVisit(main, me, m[1])},
  {pattern: /^#\/sync/, show: (main) => showSync(main)},
  {pattern: /^#\/mine/, show: (main, me, m, params) => showMine(main, me, params)},
  {pattern: /^#\/tasks/, show: (main, me) => showTasks(main, me)},
];

const app = document.getElementById("app");
let me = null;

const tabsFor = (user) => TABS.filter((t) => !t.roles || t.roles.includes(user.role));

function showLogin(message) {
  clear(app);
  app.append(loginForm({
    heading: [el("img", {src: "icons/icon-192.png", alt: "", width: 72, height: 72}), el("h1", {}, "网格通"),
              el("p", {class: "hint"}, "居民、网格员、应急队员共用一个登录")],
    message, onIn: async () => { me = null; location.hash = ""; await route(); }}));
}

async function showMe(main, user) {
  clear(main);
  const waiting = (await outbox.entries()).filter((e) => e.state !== "done").length;
  const out = el("button", {type: "button", class: "secondary"}, "退出登录");
  out.addEventListener("click", async () => {
    if (waiting && !confirm(`还有 ${waiting} 条记录未发送。退出后它们保留在本机，${user.display_name}再次登录时发送。确定退出？`)) return;
    await finishPatrol(user);  // a patrol being recorded is kept: its track waits in the outbox
    await logout();
    outbox.stop();
    sharePosition(false);
    for (const key of await kv.keys("")) if (!String(key).startsWith("draft:")) await kv.del(key);
    me = null;
    showLogin("已退出。");
  });
  const staff = ["community_staff", "street_admin", "district_admin", "unit_staff", "grid_member"].includes(user.role);
  main.append(...[el("h1", {}, user.display_name),
    el("p", {}, `${ROLE_NAMES[user.role] || user.role} · ${user.place.name}`),
    user.grid_cells?.length ? el("p", {class: "hint"}, `负责网格：${user.grid_cells.map((c) => c.name).join("、")}`) : null,
    el("ul", {class: "items"},
      el("li", {class: "item"}, el("a", {href: "#/sync"}, el("strong", {}, "发送记录"), el("span", {}, waiting ? `${waiting} 条待发送` : "全部已发送"))),
      user.role === "grid_member" ? el("li", {class: "item"}, el("a", {href: "#/mine"}, el("strong", {}, "我的上报"))) : null,
      user.role === "grid_member" ? el("li", {class: "item"}, el("a", {href: "#/tasks"}, el("strong", {}, "应急任务"))) : null,
      staff ? el("li", {class: "item"}, el("a", {href: "/console/"}, el("strong", {}, "打开管理端"))) : null),
    out].filter(Boolean));
}

function shell(tabs, current) {
  clear(app);
  const net = el("span", {class: "net", "aria-live": "polite"});
  const queue = el("a", {href: "#/sync", class: "queue"});
  const header = el("header", {}, el("strong", {}, "网格通"), net, queue);
  const main = el("main", {id: "page"});
  const bar = el("nav", {class: "tabbar", "aria-label": "主导航"},
    ...tabs.map((t) => el("a", {href: t.path, "aria-current": t === current ? "page" : null},
      el("img", {class: "icon", src: `icons/tab-${t.icon}.svg`, alt: ""}), el("span", {}, t.title),
      t.path === "#/notices" ? el("span", {class: "dot", hidden: true}) : null)));
  app.append(header, main, bar);
  if (!window.isSecureContext) {  // positions, the camera's upload path and offline use all need HTTPS
    header.after(el("p", {class: "notice error", role: "alert"}, "此页面未通过 HTTPS 打开：定位和离线功能不可用，请联系管理员启用 HTTPS。"));
  }
  const showNet = () => { net.textContent = navigator.onLine ? "" : "离线"; };
  const showQueue = async () => {
    const all = await outbox.entries();
    const waiting = all.filter((e) => e.state === "pending").length;
    const refused = all.filter((e) => e.state === "failed").length;
    queue.textContent = waiting ? `待发送 ${waiting}` : refused ? `未通过 ${refused}` : "";
  };
  const off = outbox.onChange(showQueue);  // before the first reading, so no change falls between
  showNet();
  showQueue();
  window.addEventListener("online", showNet);
  window.addEventListener("offline", showNet);
  window.addEventListener("hashchange", () => { off(); window.removeEventListener("online", showNet); window.removeEventListener("offline", showNet); }, {once: true});
  unreadCount().then((n) => { const dot = bar.querySelector(".dot"); if (dot && n) { dot.hidden = false; dot.textContent = n; } });
  return main;
}

// Who is logged in: the server's answer, or offline the last one kept on this phone.
async function whoAmI() {
  try {
    const fresh = await get("/api/v1/me");
    await kv.set("me", fresh);
    return fresh;
  } catch (error) {
    if (error instanceof ApiError) {
      if (error.status === 401) return null;
      throw error;
    }
    return (await kv.get("me")) || Promise.reject(error);
  }
}

async function route() {
  if (!me) {
    try {
      me = await whoAmI();
    } catch {
      clear(app);
      const again = el("button", {type: "button", class: "primary"}, "重试");
      again.addEventListener("click", route);
      app.append(el("div", {class: "login"}, el("h1", {}, "网格通"), notice("无法连接服务器，请检查网络。", "error"), again));
      return;
    }
    if (!me) return showLogin();
    // ask the browser not to evict the outbox and the drafts when the phone runs short of space
    navigator.storage?.persist?.().catch(() => {});
    outbox.start(me);
    if (me.role === "grid_member") resumePatrol(me);
    if (me.role === "responder") {
      get("/api/v1/responders/me").then((r) => sharePosition(r.duty_status !== "off_duty")).catch(() => {});
    }
  }
  outbox.redrawOnChange(null);  // the screen being left wants nothing more
  const tabs = tabsFor(me);
  const hash = location.hash || tabs[0].path;
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const tab = tabs.find((t) => path === t.path);
  const page = tab ? null : PAGES.find((p) => p.pattern.test(path));
  const main = shell(tabs, tab || null);
  if (tab) {
    document.title = `${tab.title} · 网格通`;
    await tab.show(main, me, params);
  } else if (page) {
    await page.show(main, me, path.match(page.pattern), params);
  } else {
    location.hash = tabs[0].path;
  }
}

outbox.onChange(({needsLogin}) => {
  if (needsLogin && me) { me = null; showLogin("登录已过期，请重新登录；未发送的记录仍在本机。"); }
});
window.addEventListener("hashchange", () => { route(); });

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js", {scope: "./"}).catch((error) => console.warn("service worker", error));
}
route();
