// Pieces every screen of the app uses: names in Chinese, times, a photo picker, a notice line.
import {clear, el} from "../common/js/dom.js";
import {shrink} from "./device.js";

export {clear, el};

export const ROLE_NAMES = {
  resident: "居民", grid_member: "网格员", responder: "应急队员", community_staff: "社区工作人员",
  street_admin: "街道管理员", district_admin: "区级管理员", unit_staff: "处置单位",
};

export const MATTER_STATUS = {
  submitted: "已上报", accepted: "已受理", rejected: "不予受理", registered: "已立案", dispatched: "已派遣",
  handled: "已处置", verified: "已核查", closed: "已办结",
};

export const MATTER_STEPS = {
  submit: "上报", accept: "受理", reject: "不予受理", register: "立案", dispatch: "派遣", return: "退回",
  handle: "处置", verify: "核查", rework: "返工", close: "结案", resolve_on_spot: "现场办结", escalate: "上报上级",
  rate: "评价", reopen: "重新办理", merge: "合并", urge: "催办", supervise: "督办", place: "定位网格",
  auto_close: "自动结案", auto_escalate: "超时上报",
};

export const RATINGS = {satisfied: "满意", basically_satisfied: "基本满意", dissatisfied: "不满意"};

export const DISPATCH_STATUS = {
  dispatched: "待接收", acknowledged: "已接收", en_route: "在途", on_scene: "已到场", done: "已完成",
  declined: "已拒绝", cancelled: "已取消",
};

export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", month: "numeric", day: "numeric",
                                                 hour: "2-digit", minute: "2-digit"});
}

// A line at the top of a screen that says what just happened (a role=status region).
export function notice(text, kind = "info") {
  const node = el("p", {class: `notice ${kind}`, role: kind === "error" ? "alert" : "status"}, text);
  return node;
}

export function field(label, control, hint) {
  return el("label", {class: "field"}, el("span", {}, label), control, hint ? el("small", {}, hint) : null);
}

// Photos from the camera (or the album): thumbnails with a remove button; at most `max`.
// `photos` is an array of Blobs it changes in place; `onChange` is told after every change.
export function photoPicker(photos, onChange, {max = 9, label = "拍照或选择照片"} = {}) {
  const input = el("input", {type: "file", accept: "image/*", capture: "environment", multiple: true,
                             class: "visually-hidden", "aria-label": label});
  const strip = el("div", {class: "thumbs"});
  const add = el("button", {type: "button", class: "secondary"}, label);
  add.addEventListener("click", () => input.click());
  input.addEventListener("change", async () => {
    for (const file of [...input.files].slice(0, max - photos.length)) photos.push(await shrink(file));
    input.value = "";
    draw();
    onChange?.();
  });
  function draw() {
    clear(strip);
    photos.forEach((blob, index) => {
      const url = URL.createObjectURL(blob);
      const remove = el("button", {type: "button", class: "remove", "aria-label": `删除第 ${index + 1} 张照片`}, "×");
      remove.addEventListener("click", () => { photos.splice(index, 1); draw(); onChange?.(); });
      const img = el("img", {src: url, alt: `照片 ${index + 1}`});
      img.addEventListener("load", () => URL.revokeObjectURL(url), {once: true});
      strip.append(el("div", {class: "thumb"}, img, remove));
    });
    add.disabled = photos.length >= max;
  }
  draw();
  return el("div", {class: "photo-picker"}, strip, add, input);
}

// The drawing of a screen in progress: false once a newer drawing of the same screen has begun
// (the older one must then stop adding to the page).
export function drawing(main) {
  const token = {};
  main.drawing = token;
  return () => main.drawing === token;
}

// A button that runs an async action once at a time, showing that it is busy.
export function action(button, work) {
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    try { await work(); } finally { button.disabled = false; }
  });
  return button;
}
