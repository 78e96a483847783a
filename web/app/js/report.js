// Report a matter (随手拍) in under a minute: what kind, a few words, photos from the camera, and
// where — the phone's position, placed in its grid cell. Before sending, the same kind of matter
// already reported nearby is shown, so a duplicate can be avoided. What is typed is kept as a
// draft on the phone until it is sent; the send itself goes through the outbox.
import {get} from "../common/js/api.js";
import {here} from "./device.js";
import {enqueue} from "./outbox.js";
import {cached, kv} from "./store.js";
import {MATTER_STATUS, action, clear, el, field, notice, photoPicker} from "./ui.js";

const draftKey = (me) => `draft:report:${me.id}`;

async function categories() {
  const {value} = await cached("categories", () => get("/api/v1/matter-categories?page_size=100"));
  return value;
}

export async function showReport(main, me) {
  const draft = (await kv.get(draftKey(me))) || {category: "", description: "", address: "", anonymous: false, photos: []};
  let position = null;
  let saveTimer = null;
  const save = () => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => kv.set(draftKey(me), {...draft}), 250);
  };

  const all = await categories().catch(() => []);
  const primaries = all.filter((c) => c.level === "primary" && c.is_active);
  const secondaries = all.filter((c) => c.level === "secondary" && c.is_active);
  const category = el("select", {name: "category", required: true},
    el("option", {value: ""}, "请选择事件类别"),
    ...primaries.map((p) => el("optgroup", {label: p.name},
      ...secondaries.filter((s) => s.parent === p.code).map((s) => el("option", {value: s.code}, s.name)))));
  category.value = draft.category;
  const description = el("textarea", {name: "description", rows: 4, maxlength: 2000, required: true,
                                      placeholder: "发生了什么？例如：小区门口路灯不亮已三天"});
  description.value = draft.description;
  const address = el("input", {name: "address", maxlength: 200, placeholder: "楼栋、门牌或地标（选填）"});
  address.value = draft.address;
  const anonymous = el("input", {type: "checkbox", name: "anonymous"});
  anonymous.checked = draft.anonymous;
  const where = el("p", {class: "where", "aria-live": "polite"}, "正在定位…");
  const nearby = el("div", {class: "nearby", "aria-live": "polite"});
  const message = el("div");
  const submit = el("button", {type: "submit", class: "primary"}, "提交");
  const relocate = el("button", {type: "button", class: "link"}, "重新定位");

  const form = el("form", {class: "report", "aria-label": "上报事件"},
    el("h1", {}, "上报事件"), message,
    field("类别", category),
    field("描述", description),
    photoPicker(draft.photos, save),
    el("div", {class: "field"}, el("span", {}, "位置"), where, relocate),
    field("地址", address),
    el("label", {class: "check"}, anonymous, "匿名（仅工作人员可见我的姓名）"),
    nearby, submit);
  for (const [node, key, prop] of [[category, "category", "value"], [description, "description", "value"],
                                   [address, "address", "value"], [anonymous, "anonymous", "checked"]]) {
    node.addEventListener("input", () => { draft[key] = node[prop]; save(); if (key === "category") lookAround(); });
  }
  clear(main);
  main.append(form);

  async function locate() {
    position = null;
    where.textContent = "正在定位…";
    try {
      position = await here();
    } catch (error) {
      where.textContent = error.message;
      return;
    }
    const text = `经度 ${position.lng.toFixed(5)}，纬度 ${position.lat.toFixed(5)}（±${position.accuracy_m} 米）`;
    where.textContent = text;
    try {
      const cell = await get(`/api/v1/grid-cells/locate?lng=${position.lng}&lat=${position.lat}&coord_system=wgs84`);
      where.textContent = `${cell.name} · ${text}`;
    } catch (error) {
      where.textContent = error instanceof TypeError ? `${text}（离线，网格待联网后确定）` : `${text}（不在任何网格内，将由工作人员确定）`;
    }
    lookAround();
  }

  // the same kind of matter, still open, within 250 m: perhaps it is already reported
  async function lookAround() {
    clear(nearby);
    if (!position || !category.value || !navigator.onLine) return;
    try {
      const found = await get(`/api/v1/matters/nearby?category=${encodeURIComponent(category.value)}`
                              + `&lng=${position.lng}&lat=${position.lat}&coord_system=wgs84`);
      if (!found.length) return;
      nearby.append(el("p", {class: "warn"}, `附近已有 ${found.length} 件同类事件，可能是同一件事：`),
        el("ul", {class: "plain"}, ...found.slice(0, 5).map((m) => el("li", {},
          `${m.number ? `#${m.number} ` : ""}${m.category.name} · ${MATTER_STATUS[m.status] || m.status} · `
          + `${Math.round(m.distance_m)} 米${m.description ? ` · ${m.description}` : ""}`))),
        el("p", {class: "hint"}, "如果是同一件事，无需重复上报；不同的事请继续提交。"));
    } catch { /* no hint: the report goes on anyway */ }
  }
  relocate.addEventListener("click", locate);
  locate();

  action(submit, async () => {
    clear(message);
    const chosen = all.find((c) => c.code === category.value);
    const problems = [];
    if (!chosen) problems.push("请选择类别");
    if (!description.value.trim()) problems.push("请填写描述");
    if (!position) problems.push("还没有位置：请允许定位后点“重新定位”");
    const parent = chosen && all.find((c) => c.code === chosen.parent);
    if (chosen && (chosen.photo_required || parent?.photo_required) && !draft.photos.length) problems.push("该类别需要照片");
    if (problems.length) { message.append(notice(problems.join("；"), "error")); return; }
    const body = {category: chosen.code, description: description.value.trim(),
                  location: {lng: position.lng, lat: position.lat, coord_system: "wgs84"},
                  address: address.value.trim() || null, anonymous: anonymous.checked};
    clearTimeout(saveTimer);
    await enqueue({kind: "matter", label: `上报：${chosen.name}`, path: "/api/v1/matters", body, photos: [...draft.photos]});
    await kv.del(draftKey(me));
    location.hash = "#/mine?sent=1";
  });
}
