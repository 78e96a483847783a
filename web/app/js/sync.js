// What is on the phone waiting for the network (待发送), what was refused and why, and what the
// server answered for what was sent in the last days.
import {discard, drain, entries, redrawOnChange, retry} from "./outbox.js";
import {action, clear, el, notice, when} from "./ui.js";

const STATES = {pending: "待发送", failed: "未通过", done: "已发送"};
const SYNCED = {created: "已新建", updated: "已更新", unchanged: "服务器已有，未重复保存"};

function outcome(entry) {
  if (entry.state === "failed") return entry.error;
  if (entry.state === "pending") return entry.error || (navigator.onLine ? "正在发送" : "等待网络");
  if (entry.kind === "visit") return SYNCED[entry.result?.status] || "";
  if (entry.kind === "matter") return entry.result?.number ? `编号 #${entry.result.number}` : "";
  return "";
}

export async function showSync(main) {
  redrawOnChange(() => true, () => draw());
  clear(main);
  const now = el("button", {type: "button", class: "primary"}, "立即发送");
  const list = el("ul", {class: "items", "aria-label": "发送记录"});
  main.append(el("h1", {}, "发送记录"),
    el("p", {class: "hint"}, "在无网络时保存的记录都在这里，联网后自动发送；未通过的可以修改或删除。"),
    navigator.onLine ? "" : notice("当前离线。", "warn"), now, list);
  async function draw() {
    const all = (await entries()).reverse();
    clear(list);
    if (!all.length) list.append(el("li", {class: "empty"}, "没有记录。"));
    for (const entry of all) {
      const buttons = [];
      if (entry.state === "failed") {
        if (entry.kind === "visit") buttons.push(el("a", {href: `#/visit/${entry.body.household_id}`, class: "button secondary"}, "修改"));
        buttons.push(action(el("button", {type: "button", class: "secondary"}, "重试"), async () => { await retry(entry.id); await draw(); }));
        buttons.push(action(el("button", {type: "button", class: "link"}, "删除"), async () => {
          if (confirm(`删除“${entry.label}”？删除后不会再发送。`)) { await discard(entry.id); await draw(); }
        }));
      }
      list.append(el("li", {class: `item ${entry.state}`, "data-entry": entry.id, "data-state": entry.state},
        el("strong", {}, entry.label), el("span", {class: `badge ${entry.state}`}, STATES[entry.state]),
        el("span", {}, outcome(entry)), el("small", {}, when(entry.created_at)),
        buttons.length ? el("div", {class: "row"}, ...buttons) : null));
    }
  }
  action(now, async () => { await drain(); await draw(); });
  await draw();
}
