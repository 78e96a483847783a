// The grid member's week (敲门行动): the door-knock plan of their cells, and a visit recorded at
// the door — result, findings, roster changes, key-person and care-target follow-ups, photos — fully
// offline. The plan, the households' residents and the people under follow-up are kept on the phone
// when there is a network; each visit is saved in the outbox with an id made here and synced in
// batches, and the plan shows each visit's result from the server (created, unchanged, rejected…).
import {getAll} from "../common/js/api.js";
import {isoWeek} from "../common/js/dom.js";
import {here} from "./device.js";
import {enqueue, entries, newId, redrawOnChange, replace} from "./outbox.js";
import {cached, kv} from "./store.js";
import {action, clear, drawing, el, field, notice, photoPicker, when} from "./ui.js";

const RESULTS = {met: "见到住户", nobody_home: "无人在家", refused: "拒绝走访"};
const FINDINGS = {hazard: "安全隐患", dispute: "矛盾纠纷", needs_help: "困难求助", information_change: "信息变更", other: "其他"};
const CHANGES = {moved_in: "迁入", moved_out: "迁出", phone_changed: "更换手机号"};
const KINDS = {registered: "户籍人口", migrant: "流动人口", foreign: "境外人员", left_behind: "留守人员"};
const ASSESSMENTS = {stable: "稳定", needs_attention: "需关注", at_risk: "有风险"};
const SYNCED = {created: "已同步", updated: "已同步（更新）", unchanged: "已同步（服务器已有）"};

const week = () => isoWeek(new Date());

// Everything the week's visits need, from the server when it answers, else as last kept.
async function weekData(me) {
  const w = week();
  const [plan, residents, keyPersons, careTargets] = await Promise.all([
    cached(`plan:${me.id}:${w}`, () => getAll(`/api/v1/visits/plan?week=${w}`, {size: 100})),
    cached(`residents:${me.id}`, () => getAll("/api/v1/residents", {size: 100})),
    cached(`key-persons:${me.id}`, () => getAll("/api/v1/key-persons", {size: 100})),
    cached(`care-targets:${me.id}`, () => getAll("/api/v1/care-targets", {size: 100})),
  ]);
  return {week: w, plan: plan.value, residents: residents.value, followed: [...keyPersons.value, ...careTargets.value],
          offline: plan.offline, at: plan.at};
}

// The latest outbox entry of each household's visits this week: what the phone knows that the plan may not.
async function localVisits() {
  const byHousehold = new Map();
  for (const entry of await entries()) {
    if (entry.kind !== "visit" || isoWeek(new Date(entry.body.visited_at)) !== week()) continue;
    byHousehold.set(entry.body.household_id, entry);
  }
  return byHousehold;
}

function localState(entry) {
  if (!entry) return null;
  if (entry.state === "done") return {text: SYNCED[entry.result?.status] || "已同步", kind: "ok"};
  if (entry.state === "failed") return {text: `未通过：${entry.error}`, kind: "bad"};
  return {text: "待同步", kind: "wait"};
}

export async function showVisits(main, me, params) {
  redrawOnChange((entry) => entry.kind === "visit" && entry.state !== "pending",
                 () => showVisits(main, me, new URLSearchParams()));  // the server's answers as they come
  const current = drawing(main);
  let data;
  let local;
  try {
    [data, local] = await Promise.all([weekData(me), localVisits()]);
  } catch (error) {
    if (!current()) return;
    clear(main);
    main.append(el("h1", {}, `本周走访 ${week()}`),
      notice(error instanceof TypeError ? "离线，且本机还没有本周的走访计划：请联网后打开一次。" : error.message, "error"));
    return;
  }
  if (!current()) return;
  clear(main);
  const status = el("div");
  main.append(el("h1", {}, `本周走访 ${week()}`), status);
  if (params.get("saved")) status.append(notice("走访已保存在本机，联网后自动同步。"));
  if (data.offline) status.append(notice(`离线：使用 ${when(new Date(data.at).toISOString())} 保存的计划。`, "warn"));
  const done = data.plan.filter((h) => h.visited || local.has(h.household_id)).length;
  main.append(el("p", {class: "summary"}, `已走访 ${done} / ${data.plan.length} 户`));
  const list = el("ul", {class: "items", "aria-label": "走访计划"});
  for (const h of data.plan) {
    const mine = localState(local.get(h.household_id));
    list.append(el("li", {class: "item", "data-household": h.household_id},
      el("a", {href: `#/visit/${h.household_id}`},
        el("strong", {}, h.address),
        el("span", {class: "tags"},
          h.weekly_follow_up ? el("span", {class: "badge warn"}, "重点户") : null,
          h.follow_up_due ? el("span", {class: "badge warn"}, "需随访") : null,
          mine ? el("span", {class: `badge ${mine.kind}`, "data-visit-state": mine.kind}, mine.text)
            : h.visited ? el("span", {class: "badge ok"}, `已走访 ${when(h.visited_at)}`) : el("span", {class: "badge"}, "未走访")),
        el("small", {}, `${h.grid_cell.name} · ${h.members} 人${h.weeks_since_visit === null ? " · 从未走访" : ""}`))));
  }
  if (!data.plan.length) list.append(el("li", {class: "empty"}, "本周没有需要走访的住户。"));
  main.append(list);
}

function rowList(title, rows, makeRow, addLabel) {
  const box = el("fieldset", {class: "rows"}, el("legend", {}, title));
  const add = el("button", {type: "button", class: "secondary"}, addLabel);
  const holder = el("div");
  const draw = () => { clear(holder); rows.forEach((row, i) => holder.append(makeRow(row, i, draw))); };
  add.addEventListener("click", () => { rows.push({}); draw(); });
  draw();
  box.append(holder, add);
  return {box, draw};
}

export async function showVisit(main, me, householdId) {
  clear(main);
  let data;
  try {
    data = await weekData(me);
  } catch {
    main.append(notice("离线，且本机没有该户的资料。", "error"));
    return;
  }
  const home = data.plan.find((h) => h.household_id === householdId);
  const people = data.residents.filter((r) => r.household?.id === householdId && !r.moved_out_on);
  const ids = new Set(people.map((r) => r.id));
  const followed = data.followed.filter((p) => ids.has(p.resident.id) && p.status === "active");
  const editing = (await localVisits()).get(householdId);
  const key = `draft:visit:${me.id}:${householdId}`;
  const draft = (await kv.get(key))
    || (editing?.state === "failed" ? {...editing.body, photos: [], editing: editing.id}
      : {id: newId(), result: "met", findings: [], notes: "", roster_changes: [], follow_ups: [], photos: []});
  for (const p of followed) {
    if (!draft.follow_ups.some((f) => f.person_id === p.id)) draft.follow_ups.push({person_id: p.id, assessment: "", observations: ""});
  }
  let timer = null;
  let finished = false;  // saved to the outbox: a late position fix must not bring the draft back
  const save = () => {
    if (finished) return;
    clearTimeout(timer);
    timer = setTimeout(() => kv.set(key, {...draft}), 250);
  };
  if (!draft.location) {
    here({timeout: 10_000}).then((p) => { draft.location = {lng: p.lng, lat: p.lat, coord_system: "wgs84"}; save(); })
      .catch(() => { /* a visit without a position is still a visit */ });
  }

  const result = el("div", {class: "choices", role: "radiogroup", "aria-label": "走访结果"},
    ...Object.entries(RESULTS).map(([value, name]) => {
      const input = el("input", {type: "radio", name: "result", value, checked: draft.result === value});
      input.addEventListener("change", () => { draft.result = value; save(); });
      return el("label", {}, input, name);
    }));
  const notes = el("textarea", {name: "notes", rows: 3, maxlength: 2000, placeholder: "走访情况（选填）"});
  notes.value = draft.notes || "";
  notes.addEventListener("input", () => { draft.notes = notes.value; save(); });

  const findings = rowList("发现的问题", draft.findings, (row, i, redraw) => {
    const tag = el("select", {"aria-label": "问题类别"}, el("option", {value: ""}, "类别"),
      ...Object.entries(FINDINGS).map(([v, n]) => el("option", {value: v, selected: row.tag === v}, n)));
    const note = el("input", {placeholder: "说明", maxlength: 500, value: row.note || ""});
    const act = el("input", {type: "checkbox", checked: !!row.needs_action});
    const remove = el("button", {type: "button", class: "link"}, "删除");
    tag.addEventListener("change", () => { row.tag = tag.value; save(); });
    note.addEventListener("input", () => { row.note = note.value; save(); });
    act.addEventListener("change", () => { row.needs_action = act.checked; save(); });
    remove.addEventListener("click", () => { draft.findings.splice(i, 1); redraw(); save(); });
    return el("div", {class: "row-card"}, tag, note, el("label", {class: "check"}, act, "需要处理（生成事件）"), remove);
  }, "+ 添加问题");

  const roster = rowList("人员变动", draft.roster_changes, (row, i, redraw) => {
    const change = el("select", {"aria-label": "变动类型"}, el("option", {value: ""}, "变动类型"),
      ...Object.entries(CHANGES).map(([v, n]) => el("option", {value: v, selected: row.change === v}, n)));
    const who = el("select", {"aria-label": "居民"}, el("option", {value: ""}, "选择居民"),
      ...people.map((r) => el("option", {value: r.id, selected: row.resident_id === r.id}, r.name)));
    const name = el("input", {placeholder: "姓名", maxlength: 50, value: row.name || ""});
    const kind = el("select", {"aria-label": "人口类型"},
      ...Object.entries(KINDS).map(([v, n]) => el("option", {value: v, selected: (row.kind || "registered") === v}, n)));
    const phone = el("input", {type: "tel", placeholder: "手机号", maxlength: 11, value: row.phone || ""});
    const remove = el("button", {type: "button", class: "link"}, "删除");
    const shown = () => {
      who.hidden = !["moved_out", "phone_changed"].includes(row.change);
      name.hidden = kind.hidden = row.change !== "moved_in";
      phone.hidden = !["moved_in", "phone_changed"].includes(row.change);
    };
    change.addEventListener("change", () => { row.change = change.value; shown(); save(); });
    who.addEventListener("change", () => { row.resident_id = who.value || null; save(); });
    name.addEventListener("input", () => { row.name = name.value; save(); });
    kind.addEventListener("change", () => { row.kind = kind.value; save(); });
    phone.addEventListener("input", () => { row.phone = phone.value; save(); });
    remove.addEventListener("click", () => { draft.roster_changes.splice(i, 1); redraw(); save(); });
    shown();
    return el("div", {class: "row-card"}, change, who, name, kind, phone, remove);
  }, "+ 添加变动");

  const follow = el("fieldset", {class: "rows"}, el("legend", {}, "重点人员与关爱对象随访"),
    ...(followed.length ? followed.map((p) => {
      const entry = draft.follow_ups.find((f) => f.person_id === p.id);
      const assess = el("select", {"aria-label": `${p.resident.name}的状况`}, el("option", {value: ""}, "本次未随访"),
        ...Object.entries(ASSESSMENTS).map(([v, n]) => el("option", {value: v, selected: entry.assessment === v}, n)));
      const seen = el("textarea", {rows: 2, maxlength: 1000, placeholder: "观察到的情况（加密保存）"});
      seen.value = entry.observations || "";
      assess.addEventListener("change", () => { entry.assessment = assess.value; save(); });
      seen.addEventListener("input", () => { entry.observations = seen.value; save(); });
      return el("div", {class: "row-card"}, el("strong", {}, `${p.resident.name}${p.overdue ? "（已超期）" : ""}`), assess, seen);
    }) : [el("p", {class: "hint"}, "本户没有在管的重点人员或关爱对象。")]));

  const message = el("div");
  const submit = el("button", {type: "submit", class: "primary"}, editing?.state === "failed" ? "修改后重新提交" : "保存走访");
  const form = el("form", {class: "visit", "aria-label": "走访记录"},
    el("p", {}, el("a", {href: "#/visits"}, "‹ 本周走访")),
    el("h1", {}, home?.address || "走访"),
    home ? el("p", {class: "hint"}, `${home.grid_cell.name} · ${home.members} 人${home.follow_up_reason ? ` · ${home.follow_up_reason}` : ""}`) : null,
    editing?.state === "failed" ? notice(`上次提交未通过：${editing.error}`, "error") : null,
    el("p", {class: "hint"}, people.length ? `在册：${people.map((r) => r.name).join("、")}` : "本户暂无在册居民。"),
    result, field("走访情况", notes), findings.box, roster.box, follow,
    el("fieldset", {class: "rows"}, el("legend", {}, "照片"), photoPicker(draft.photos, save)),
    message, submit);
  main.append(form);

  action(submit, async () => {
    const problems = [];
    if (draft.findings.some((f) => !f.tag)) problems.push("请为每个问题选择类别");
    for (const c of draft.roster_changes) {
      if (!c.change) problems.push("请选择人员变动类型");
      else if (c.change === "moved_in" && !c.name?.trim()) problems.push("迁入须填写姓名");
      else if (c.change !== "moved_in" && !c.resident_id) problems.push(`${CHANGES[c.change]}须选择居民`);
      if (c.change !== "moved_out" && c.phone && !/^1[3-9][0-9]{9}$/.test(c.phone)) problems.push("手机号应为 11 位");
      if (c.change === "phone_changed" && !c.phone) problems.push("请填写新手机号");
    }
    if (problems.length) { message.replaceChildren(notice(problems.join("；"), "error")); return; }
    finished = true;
    clearTimeout(timer);
    const body = {
      id: draft.id, household_id: householdId, visited_at: draft.visited_at || new Date().toISOString(),
      location: draft.location || null, result: draft.result,
      findings: draft.findings.map((f) => ({tag: f.tag, needs_action: !!f.needs_action, note: f.note?.trim() || null})),
      notes: draft.notes?.trim() || null,
      roster_changes: draft.roster_changes.map((c) => c.change === "moved_in"
        ? {change: c.change, name: c.name.trim(), kind: c.kind || "registered", phone: c.phone || null}
        : {change: c.change, resident_id: c.resident_id, phone: c.change === "phone_changed" ? c.phone : null}),
      follow_ups: draft.follow_ups.filter((f) => f.assessment)
        .map((f) => ({person_id: f.person_id, assessment: f.assessment, observations: f.observations?.trim() || null})),
    };
    const label = `走访：${home?.address || householdId}`;
    if (draft.editing) await replace(draft.editing, body, draft.photos.length ? [...draft.photos] : null);
    else await enqueue({kind: "visit", label, path: "/api/v1/visits/sync", body, photos: [...draft.photos]});
    await kv.del(key);
    location.hash = "#/visits?saved=1";
  });
}
