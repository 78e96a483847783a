// 信访: petitions with their statutory clocks — which deadline runs, its date, the days left —
// the overdue first when asked. Petitioners are shown only to petition staff, as the API decides.
import {ApiError, get, post} from "../common/js/api.js";
import {clear, el} from "../common/js/dom.js";

const DEADLINES = {accept_due: "受理告知", reply_due: "办理答复", review_due: "复查答复", re_review_due: "复核答复"};
const STATUS = {registered: "已登记", accepted: "已受理", not_accepted: "不予受理", routed: "已转送", assigned: "已交办",
                replied: "已答复", review_requested: "申请复查", reviewed: "已复查", re_review_requested: "申请复核",
                re_reviewed: "已复核", closed: "已办结"};
const KINDS = {suggestion: "建议意见", accusation: "检举控告", claim: "申诉求决"};

// the steps of the statutory flow from each status (the API checks them again), with what each needs
const STEPS = {
  registered: ["accept", "not_accept", "route"], accepted: ["assign", "reply", "extend"], assigned: ["reply", "extend"],
  replied: ["request_review", "close"], review_requested: ["review_reply"], reviewed: ["request_re_review", "close"],
  re_review_requested: ["re_review_reply"], re_reviewed: ["close"], not_accepted: ["close"], routed: ["close"],
};
const STEP_NAMES = {accept: "受理", not_accept: "不予受理", route: "转送", assign: "交办", extend: "延期", reply: "答复",
                    request_review: "申请复查", review_reply: "复查答复", request_re_review: "申请复核",
                    re_review_reply: "复核答复", close: "办结", went_up: "登记越级"};
const NEEDS_NOTE = new Set(["not_accept", "extend", "reply", "review_reply", "re_review_reply"]);
const LEVELS_UP = {street: "街道", district: "区", city: "市", province: "省", national: "国家"};
const STAFF = ["community_staff", "street_admin", "district_admin"];

let viewer = null;  // who is looking (the page shows the steps to petition staff)

export async function showPetitions(main, me) {
  viewer = me;
  const [, , id] = location.hash.split("?")[0].split("/");
  if (id) return showPetition(main, id, me);
  const overdueOnly = location.hash.includes("overdue=true");
  const toggle = el("a", {href: overdueOnly ? "#/petitions" : "#/petitions?overdue=true", class: "button"},
    overdueOnly ? "显示全部" : "只看超期");
  const rows = el("tbody");
  main.append(el("h1", {}, "信访"), el("p", {}, toggle),
    el("table", {class: "list"}, el("thead", {}, el("tr", {},
      ...["收到日期", "类别", "摘要", "状态", "当前期限", "到期日", "剩余天数"].map((h) => el("th", {}, h)))), rows));
  const petitions = await get(`/api/v1/petitions?page_size=100${overdueOnly ? "&overdue=true" : ""}`);
  if (!petitions.length) rows.append(el("tr", {}, el("td", {colspan: 7}, "没有信访件。")));
  for (const p of petitions) {
    const due = p.running_deadline ? p[p.running_deadline] : null;
    rows.append(el("tr", {class: p.overdue ? "overdue" : null, "data-petition": p.id},
      el("td", {}, el("a", {href: `#/petitions/${p.id}`}, p.received_on)), el("td", {}, KINDS[p.kind] || p.kind),
      el("td", {}, p.summary.length > 30 ? `${p.summary.slice(0, 30)}…` : p.summary),
      el("td", {}, STATUS[p.status] || p.status),
      el("td", {}, p.running_deadline ? DEADLINES[p.running_deadline] : "—"), el("td", {}, due || "—"),
      el("td", {}, p.days_left === null ? "—" : p.overdue ? `超期 ${-p.days_left} 天` : `${p.days_left} 天`)));
  }
}

// 一件信访: its clocks, a warning when it may repeat an earlier one, the steps of its status, the
// timeline; the petitioners only as the API shows them (petition staff).
async function showPetition(main, id, me) {
  const p = await get(`/api/v1/petitions/${id}`);
  const due = p.running_deadline ? p[p.running_deadline] : null;
  main.append(
    el("p", {}, el("a", {href: "#/petitions"}, "← 返回列表")),
    el("h1", {}, `信访 · ${KINDS[p.kind] || p.kind} · ${p.received_on}`),
    p.repeat_warning ? el("p", {class: "error", role: "note"}, p.repeat_warning) : null,
    el("dl", {class: "facts"},
      el("dt", {}, "状态"), el("dd", {"data-field": "status"}, STATUS[p.status] || p.status),
      el("dt", {}, "摘要"), el("dd", {}, p.summary),
      el("dt", {}, "信访人"), el("dd", {}, p.petitioners ? p.petitioners.map((x) => x.name).join("、") : `${p.petitioner_count} 人`),
      el("dt", {}, "当前期限"), el("dd", {class: p.overdue ? "overdue" : null, "data-field": "clock"},
        p.running_deadline ? `${DEADLINES[p.running_deadline]} · ${due} · ${p.overdue ? `超期 ${-p.days_left} 天`
          : `剩余 ${p.days_left} 天`}` : "—"),
      el("dt", {}, "承办单位"), el("dd", {}, p.unit ? p.unit.name : "—"),
      el("dt", {}, "越级"), el("dd", {}, p.went_up_to ? `${LEVELS_UP[p.went_up_to] || p.went_up_to}（${p.went_up_on}）` : "—")));
  if (STAFF.includes(me.role)) main.append(await stepsForm(p));
  main.append(el("h2", {}, "办理记录"), el("ol", {class: "timeline"}, ...(p.timeline || []).map((e) =>
    el("li", {}, `${new Date(e.at).toLocaleString("zh-CN", {hour12: false})} · ${STEP_NAMES[e.action] || e.action}` +
      `${e.data?.note ? `：${e.data.note}` : ""}`))));
}

async function stepsForm(p) {
  const offered = [...(STEPS[p.status] || []), ...(p.status === "closed" ? [] : ["went_up"])];
  const action = el("select", {name: "action", required: true}, el("option", {value: ""}, "请选择"),
    ...offered.map((a) => el("option", {value: a}, STEP_NAMES[a])));
  const note = el("textarea", {name: "note", rows: 2, maxlength: 2000});
  const on = el("input", {type: "date", name: "on"});
  const units = offered.includes("assign") ? await get("/api/v1/handling-units?page_size=100") : [];
  const unit = el("select", {name: "unit_id"}, el("option", {value: ""}, "—"),
    ...units.map((u) => el("option", {value: u.id}, u.name)));
  const routedTo = el("input", {name: "routed_to", maxlength: 200, placeholder: "如：区人民法院"});
  const level = el("select", {name: "level"}, ...Object.entries(LEVELS_UP).map(([v, n]) => el("option", {value: v}, n)));
  const days = el("input", {type: "number", name: "days", min: 1, max: 30, value: 30});
  const message = el("p", {class: "error", role: "alert"});
  const form = el("form", {class: "actions", "aria-label": "办理信访"},
    el("label", {}, "步骤", action), el("label", {}, "说明（不予受理、延期、答复必填）", note),
    el("label", {}, "日期（默认今天）", on), el("label", {}, "交办单位", unit), el("label", {}, "转送机关", routedTo),
    el("label", {}, "越级至", level), el("label", {}, "延期天数", days),
    el("div", {class: "buttons"}, el("button", {type: "submit"}, "提交")), message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = action.value;
    if (NEEDS_NOTE.has(chosen) && !note.value.trim()) {
      message.textContent = "该步骤需要填写说明。";
      return;
    }
    const body = {action: chosen, note: note.value.trim() || undefined, on: on.value || undefined,
                  unit_id: chosen === "assign" ? unit.value || undefined : undefined,
                  routed_to: chosen === "route" ? routedTo.value.trim() || undefined : undefined,
                  level: chosen === "went_up" ? level.value : undefined,
                  days: chosen === "extend" ? Number(days.value) : undefined};
    try {
      await post(`/api/v1/petitions/${p.id}/transitions`, body);
      const main = document.getElementById("page");
      clear(main);
      await showPetition(main, p.id, viewer);
    } catch (e) {
      message.textContent = e instanceof ApiError ? e.message : "提交失败，请重试。";
    }
  });
  return form;
}
