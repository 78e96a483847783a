// My matters (我的上报) with their progress and timeline, rating and reopening when the matter is
// done; and my notifications (消息). Reports still in the outbox are listed first, as "待发送".
import {get, getPage, post} from "../common/js/api.js";
import {enqueue, entries, redrawOnChange} from "./outbox.js";
import {cached} from "./store.js";
import {MATTER_STATUS, MATTER_STEPS, RATINGS, action, clear, drawing, el, field, notice, when} from "./ui.js";

const PAGE = 20;

function waiting(entry) {
  const state = entry.state === "failed" ? `未能提交：${entry.error}` : entry.error ? `待发送（${entry.error}）` : "待发送";
  return el("li", {class: `item ${entry.state}`},
    el("strong", {}, entry.label), el("span", {class: "badge"}, state), el("small", {}, when(entry.created_at)));
}

export async function showMine(main, me, params) {
  // a report that reaches the server while the list is open takes its place in it
  redrawOnChange((entry) => entry.kind === "matter" && entry.state !== "pending",
                 () => showMine(main, me, new URLSearchParams()));
  const current = drawing(main);
  const local = (await entries()).filter((e) => e.kind === "matter" && e.state !== "done");
  if (!current()) return;
  clear(main);
  const list = el("ul", {class: "items", "aria-label": "我的上报"});
  const more = el("button", {type: "button", class: "secondary"}, "更多");
  const status = el("div");
  main.append(el("h1", {}, "我的上报"), status, list, more);
  if (params.get("sent")) status.append(notice("已保存，正在提交。无网络时会在恢复后自动发送。"));
  list.append(...local.map(waiting));
  let page = 0;
  async function next() {
    page += 1;
    try {
      const {value: {items, total}, offline} = await cached(`mine:${me.id}:${page}`,
        () => getPage(`/api/v1/matters?mine=true&page=${page}&page_size=${PAGE}`));
      if (!current()) return;
      if (offline && page === 1) status.append(notice("离线：显示的是上次联网时的内容。", "warn"));
      list.append(...items.map((m) => el("li", {class: "item"},
        el("a", {href: `#/matter/${m.id}`}, el("strong", {}, `#${m.number} ${m.category.name}`),
          el("span", {class: `badge ${m.status}`}, MATTER_STATUS[m.status] || m.status),
          el("small", {}, `${when(m.created_at)} · ${m.description.slice(0, 40)}`)))));
      more.hidden = page * PAGE >= total;
      if (!total && !local.length) list.append(el("li", {class: "empty"}, "还没有上报过事件。"));
    } catch (error) {
      more.hidden = true;
      status.append(notice(error instanceof TypeError ? "离线，且本机没有保存的记录。" : error.message, "error"));
    }
  }
  more.addEventListener("click", next);
  await next();
}

export async function showMatter(main, me, id) {
  // once a step taken here reaches the server, the page shows the matter as it now is
  redrawOnChange((entry) => entry.ref === id && entry.state !== "pending", () => showMatter(main, me, id));
  const current = drawing(main);
  let matter;
  let steps;
  try {
    [{value: matter}, {value: steps}] = await Promise.all([
      cached(`matter:${id}`, () => get(`/api/v1/matters/${id}`)),
      cached(`timeline:${id}`, () => get(`/api/v1/matters/${id}/timeline?page_size=100`))]);
  } catch (error) {
    if (current()) main.replaceChildren(notice(error instanceof TypeError ? "离线，且本机没有该事件的记录。" : error.message, "error"));
    return;
  }
  if (!current()) return;
  clear(main);
  const message = el("div");
  main.append(...[
    el("p", {}, el("a", {href: "#/mine"}, "‹ 我的上报")),
    el("h1", {}, `#${matter.number} ${matter.category.name}`),
    el("p", {}, el("span", {class: `badge ${matter.status}`}, MATTER_STATUS[matter.status] || matter.status),
      matter.grid_cell ? ` ${matter.grid_cell.name}` : "", matter.deadline ? ` · 本环节时限 ${when(matter.deadline)}` : ""),
    el("p", {class: "text"}, matter.description),
    matter.address ? el("p", {class: "hint"}, matter.address) : null,
    el("div", {class: "thumbs"}, ...(matter.photos || []).map((p) => el("img", {src: `/api/v1/photos/${p.id}`, alt: "事件照片"}))),
    message,
    el("h2", {}, "办理进度"),
    el("ol", {class: "timeline"}, ...steps.map((s) => el("li", {},
      el("strong", {}, MATTER_STEPS[s.action] || s.action), ` ${when(s.at)}`,
      s.note ? el("div", {class: "hint"}, s.note) : null)))].filter(Boolean));
  const actions = matter.actions || [];
  if (matter.rating) main.append(el("p", {}, `我的评价：${RATINGS[matter.rating]}`));
  if (actions.includes("rate")) {
    const buttons = Object.entries(RATINGS).map(([value, name]) => action(
      el("button", {type: "button", class: value === "dissatisfied" ? "secondary" : "primary"}, name),
      () => step(matter, "rate", {rating: value}, `评价：${name}`, message)));
    main.append(el("h2", {}, "评价办理结果"), el("div", {class: "row"}, ...buttons));
  }
  if (actions.includes("reopen")) {
    const note = el("textarea", {rows: 3, maxlength: 1000, placeholder: "还有什么问题没有解决？"});
    const reopen = action(el("button", {type: "button", class: "secondary"}, "没解决，重新办理"), async () => {
      if (!note.value.trim()) { message.replaceChildren(notice("请说明没有解决的地方", "error")); return; }
      await step(matter, "reopen", {note: note.value.trim()}, "重新办理", message);
    });
    main.append(el("h2", {}, "重新办理"), field("原因", note), reopen);
  }
}

// A step on the matter goes through the outbox too (its key makes a retry harmless).
async function step(matter, actionName, body, label, message) {
  await enqueue({kind: "matter-step", label: `#${matter.number} ${label}`, ref: matter.id,
                 path: `/api/v1/matters/${matter.id}/transitions`, body: {action: actionName, ...body}});
  message.replaceChildren(notice(`已提交：${label}`));
}

export async function showNotices(main, me) {
  clear(main);
  const list = el("ul", {class: "items", "aria-label": "消息"});
  const markAll = el("button", {type: "button", class: "secondary"}, "全部标为已读");
  main.append(el("h1", {}, "消息"), markAll, list);
  try {
    const {value: {items}, offline} = await cached(`notices:${me.id}`, () => getPage("/api/v1/notifications?page_size=50"));
    if (offline) main.insertBefore(notice("离线：显示的是上次联网时的消息。", "warn"), list);
    if (!items.length) list.append(el("li", {class: "empty"}, "没有消息。"));
    list.append(...items.map((n) => el("li", {class: `item ${n.read_at ? "read" : "unread"}`},
      el(n.matter_id ? "a" : "span", {href: n.matter_id ? `#/matter/${n.matter_id}` : null}, el("strong", {}, n.title)),
      el("span", {}, n.body), el("small", {}, when(n.created_at)))));
    markAll.hidden = !items.some((n) => !n.read_at);
  } catch (error) {
    list.append(el("li", {class: "empty"}, error instanceof TypeError ? "离线，且本机没有保存的消息。" : error.message));
  }
  action(markAll, async () => {
    await post("/api/v1/notifications/read", {});
    await showNotices(main, me);
  });
}

export async function unreadCount() {
  try {
    return (await getPage("/api/v1/notifications?unread=true&page_size=1")).total;
  } catch {
    return null;
  }
}
