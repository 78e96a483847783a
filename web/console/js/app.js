// GridGov console: login, the shell, and the pages, routed by the URL's hash.
import {ApiError, get, logout} from "../common/js/api.js";
import {loginForm} from "../common/js/login.js";
import {showCockpit} from "./cockpit.js";
import {showDisputes, showPeople, showVisits} from "./governance.js";
import {showIncidents} from "./incidents.js";
import {LEDGER_ROLES, showLedgers} from "./ledgers.js";
import {showMap} from "./map.js";
import {showMatters} from "./matters.js";
import {showPetitions} from "./petitions.js";
import {clear, el} from "../common/js/dom.js";

const AREA = ["grid_member", "community_staff", "street_admin", "district_admin"];
const PAGES = [
  {path: "#/map", title: "一图感知", show: showMap},
  {path: "#/matters", title: "事件办理", show: showMatters},
  {path: "#/cockpit", title: "驾驶舱", show: showCockpit, roles: AREA},
  {path: "#/incidents", title: "突发事件", show: showIncidents, roles: AREA},
  {path: "#/visits", title: "走访", show: showVisits, roles: AREA},
  {path: "#/people", title: "重点人员", show: showPeople, roles: AREA},
  {path: "#/disputes", title: "纠纷", show: showDisputes, roles: AREA},
  {path: "#/ledgers", title: "台账", show: showLedgers, roles: LEDGER_ROLES},
  {path: "#/petitions", title: "信访", show: showPetitions,
   roles: ["community_staff", "street_admin", "district_admin"]},
];

const ROLE_NAMES = {
  district_admin: "区级管理员", street_admin: "街道管理员", community_staff: "社区工作人员",
  grid_member: "网格员", responder: "应急队员", unit_staff: "处置单位", resident: "居民",
};

const app = document.getElementById("app");
let me = null;

function showLogin(message) {
  clear(app);
  const form = loginForm({heading: [el("h1", {}, "GridGov 网格化治理管理端")], message, onIn: async () => {
    me = null;
    location.hash = "#/map";
    await route();
  }});
  app.append(form);
  form.querySelector("input").focus();
}

// the pages the caller's role has any use for (the API refuses the rest anyway)
function visiblePages() {
  return PAGES.filter((page) => !page.roles || page.roles.includes(me.role));
}

function shell(current) {
  clear(app);
  const nav = el("nav", {"aria-label": "主导航"},
    ...visiblePages().map((page) => el("a", {href: page.path, "aria-current": page === current ? "page" : null},
                                       page.title)));
  const out = el("button", {type: "button", class: "link"}, "退出");
  out.addEventListener("click", async () => { await logout(); me = null; showLogin("已退出。"); });
  const header = el("header", {},
    el("strong", {}, "GridGov"), nav,
    el("span", {class: "who"}, `${me.display_name} · ${ROLE_NAMES[me.role] || me.role} · ${me.place.name}`), out);
  const main = el("main", {id: "page"});
  app.append(header, main);
  return main;
}

async function route() {
  try {
    me ??= await get("/api/v1/me");
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showLogin();
    throw e;
  }
  const page = visiblePages().find((p) => location.hash.startsWith(p.path)) || PAGES[0];
  const main = shell(page);
  document.title = `${page.title} · GridGov`;
  await page.show(main, me);
}

window.addEventListener("hashchange", () => { route(); });
route();
