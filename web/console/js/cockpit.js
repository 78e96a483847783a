// 驾驶舱: the area at a glance over a chosen period — the headline figures, matters per day and by
// category, the on-time rate of each stage, open matters by status, door-knock coverage, key-person
// follow-up, petitions and their clocks, incidents by level, and the assessment ranking (考核) —
// drawn with ECharts (vendored, loaded as this origin's script). Every figure comes from the API
// for the caller's own scope.
import {count, get} from "../common/js/api.js";
import {el, isoWeek} from "../common/js/dom.js";
import {STATUS_NAMES} from "./matters.js";

const MANAGERS = ["community_staff", "street_admin", "district_admin"];
const PERIODS = [{days: 7, name: "近 7 天"}, {days: 30, name: "近 30 天"}, {days: 90, name: "近 90 天"},
                 {days: 365, name: "近一年"}];
const STAGE_NAMES = {accept: "受理", handle: "处置", verify: "核查"};
const LEVEL_NAMES = {grid_cell: "网格", community: "社区", street: "街道"};

let loading = null;

function loadECharts() {
  loading ??= new Promise((resolve, reject) => {
    const script = el("script", {src: "vendor/echarts/echarts.min.js"});
    script.addEventListener("load", () => resolve(window.echarts));
    script.addEventListener("error", reject);
    document.head.append(script);
  });
  return loading;
}

function panel(title, {wide = false} = {}) {
  const chart = el("div", {class: "chart", role: "img", "aria-label": title});
  return {node: el("section", {class: wide ? "panel wide" : "panel"}, el("h2", {}, title), chart), chart};
}

const charts = [];

function draw(echarts, target, option) {
  const chart = echarts.init(target, null, {renderer: "canvas"});
  chart.setOption({animation: false, grid: {left: 48, right: 16, top: 28, bottom: 48}, tooltip: {}, ...option});
  target.dataset.rendered = "true";
  new ResizeObserver(() => chart.resize()).observe(target);
  charts.push(chart);
}

function dateOf(daysAgo) {
  // the API's days are China's: format today's date there, then step back
  const china = new Date(Date.now() + 8 * 3600 * 1000 - daysAgo * 86400 * 1000);
  return china.toISOString().slice(0, 10);
}

const pct = (value) => (value === null || value === undefined ? "—" : `${value}%`);

function kpi(label, value, hint) {
  return el("div", {class: "kpi"}, el("span", {class: "kpi-value"}, value), el("span", {class: "kpi-label"}, label),
            hint ? el("span", {class: "kpi-hint"}, hint) : null);
}

function bars(names, series, {percent = false, rotate = 30} = {}) {
  return {
    legend: series.length > 1 ? {top: 0} : undefined,
    xAxis: {type: "category", data: names, axisLabel: {interval: 0, rotate}},
    yAxis: percent ? {type: "value", max: 100, axisLabel: {formatter: "{value}%"}} : {type: "value", minInterval: 1},
    series: series.map(([name, data]) => ({type: "bar", name, data})),
  };
}

function rankingTable(rows) {
  const head = el("tr", {}, ...["名次", "地区", "综合得分", "巡查覆盖率", "上报及时率", "满意率", "调解成功率"]
    .map((h) => el("th", {scope: "col"}, h)));
  const body = rows.map((r) => el("tr", {},
    el("td", {}, r.rank), el("td", {}, r.place.name), el("td", {}, r.score ?? "—"),
    el("td", {}, pct(r.patrol_coverage_percent)), el("td", {}, pct(r.timely_reporting_percent)),
    el("td", {}, pct(r.satisfaction_percent)), el("td", {}, pct(r.mediation_success_percent))));
  return el("table", {class: "list ranking", "aria-label": "考核排名"}, el("thead", {}, head), el("tbody", {}, ...body));
}

export async function showCockpit(main, me) {
  const manager = MANAGERS.includes(me.role);
  const level = me.role === "community_staff" || me.role === "grid_member" ? "grid_cell" : "community";
  const periodSelect = el("select", {"aria-label": "统计期间"},
    ...PERIODS.map((p) => el("option", {value: p.days, selected: p.days === 30}, p.name)));
  const body = el("div", {class: "cockpit"});
  main.append(el("div", {class: "toolbar"}, el("h1", {}, `驾驶舱 · ${me.place.name}`), periodSelect), body);
  periodSelect.addEventListener("change", () => render(body, me, Number(periodSelect.value), manager, level));
  await render(body, me, 30, manager, level);
}

async function render(body, me, days, manager, level) {
  while (charts.length) charts.pop().dispose();
  body.replaceChildren();
  const from = dateOf(days - 1), to = dateOf(0);
  const kpis = el("div", {class: "kpis", "aria-label": "主要指标"});
  const panels = {
    trend: panel("事件趋势（每日上报与结案）", {wide: true}), categories: panel("事件类别（大类）"),
    onTime: panel("各环节按时办结率"), open: panel("在办事件（按状态）"), visits: panel("敲门走访覆盖率"),
    keyPersons: panel("重点人员按期跟进率"), petitions: panel("信访（在办、超期、越级）"), incidents: panel("突发事件（按等级）"),
  };
  if (!manager) { panels.keyPersons = null; panels.petitions = null; }
  body.append(kpis, el("div", {class: "panels"}, ...Object.values(panels).filter(Boolean).map((p) => p.node)));
  const echarts = await loadECharts();

  const figures = await get(`/api/v1/matters/figures?from=${from}&to=${to}`);
  kpis.append(
    kpi("上报事件", figures.reported), kpi("结案", figures.closed),
    kpi("平均处置时长", figures.average_handling_hours === null ? "—" : `${figures.average_handling_hours} 小时`),
    kpi("满意率", pct(figures.satisfaction.percent), `${figures.satisfaction.rated} 件已评价`),
    kpi("在办", figures.open.total), kpi("超期在办", figures.open.overdue));
  draw(echarts, panels.trend.chart, {
    legend: {top: 0}, tooltip: {trigger: "axis"},
    xAxis: {type: "category", data: figures.days.map((d) => d.day.slice(5))},
    yAxis: {type: "value", minInterval: 1},
    series: [{type: "line", name: "上报", data: figures.days.map((d) => d.reported)},
             {type: "line", name: "结案", data: figures.days.map((d) => d.closed)}],
  });
  draw(echarts, panels.categories.chart, {
    series: [{type: "pie", radius: ["35%", "70%"],
              data: figures.categories.map((c) => ({name: c.category.name, value: c.reported}))}],
  });
  const stages = Object.keys(STAGE_NAMES);
  draw(echarts, panels.onTime.chart, bars(stages.map((s) => STAGE_NAMES[s]),
    [["按时率", stages.map((s) => figures.on_time[s].percent ?? 0)]], {percent: true, rotate: 0}));
  const statuses = Object.keys(figures.open.by_status);
  draw(echarts, panels.open.chart, bars(statuses.map((s) => STATUS_NAMES[s] || s),
    [["事件", statuses.map((s) => figures.open.by_status[s])]]));

  // the last full week beside this one, still running (a Monday shows last week's result)
  const [lastWeek, thisWeek] = await Promise.all([new Date(Date.now() - 7 * 86400 * 1000), new Date()].map((d) =>
    get(`/api/v1/visits/coverage?week=${isoWeek(d)}&level=${level}&page_size=100`)));
  const byPlace = new Map(thisWeek.map((c) => [c.place.id, c]));
  draw(echarts, panels.visits.chart, {
    ...bars(lastWeek.map((c) => c.place.name),
      [["上周", lastWeek.map((c) => c.coverage_percent)],
       ["本周至今", lastWeek.map((c) => byPlace.get(c.place.id)?.coverage_percent ?? 0)]], {percent: true}),
    grid: {left: 48, right: 16, top: 36, bottom: 56},
  });
  if (lastWeek.length) panels.visits.node.querySelector("h2").textContent = `敲门走访覆盖率（目标 ${lastWeek[0].target_percent}%）`;

  if (manager) {
    const alerts = await get(`/api/v1/key-persons/alerts?level=${level}&page_size=100`);
    draw(echarts, panels.keyPersons.chart, bars(alerts.map((a) => a.place.name),
      [["按期跟进率", alerts.map((a) => (a.active ? Math.round((a.active - a.overdue) / a.active * 1000) / 10 : 100))]],
      {percent: true}));
    const petitionLevel = level === "grid_cell" ? "community" : level;
    const petitions = await get(`/api/v1/petitions/stats?level=${petitionLevel}&page_size=100`);
    draw(echarts, panels.petitions.chart, {
      ...bars(petitions.map((p) => p.place.name),
        [["在办", petitions.map((p) => p.open)], ["超期", petitions.map((p) => p.overdue)],
         ["越级", petitions.map((p) => p.went_up)]]),
      grid: {left: 48, right: 16, top: 36, bottom: 56},
    });
  }

  const levels = ["I", "II", "III", "IV"];
  const incidentCounts = await Promise.all(levels.map((l) => count(`/api/v1/incidents?level=${l}`)));
  draw(echarts, panels.incidents.chart, {
    color: ["#c0392b", "#e67e22", "#f1c40f", "#2e86c1"],
    series: [{type: "pie", radius: ["35%", "70%"],
              data: levels.map((l, i) => ({name: `${l} 级`, value: incidentCounts[i]}))}],
  });

  if (manager) body.append(await rankingPanel(level));
}

// 考核排名: whole months, as assessments are made; last month by default (this month is still running)
async function rankingPanel(level) {
  const months = [];
  const china = new Date(Date.now() + 8 * 3600 * 1000);
  for (let i = 0; i < 12; i += 1) {
    const d = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() - i, 1));
    months.push(d.toISOString().slice(0, 7));
  }
  const month = el("select", {"aria-label": "考核月份"},
    ...months.map((m, i) => el("option", {value: m, selected: i === 1}, i === 0 ? `${m}（本月至今）` : m)));
  const table = el("div");
  const load = async () => {
    const rows = await get(`/api/v1/assessment?level=${level}&from_month=${month.value}&to_month=${month.value}&page_size=20`);
    table.replaceChildren(rankingTable(rows));
  };
  month.addEventListener("change", load);
  await load();
  return el("section", {class: "panel wide"},
    el("div", {class: "toolbar"}, el("h2", {}, `考核排名（${LEVEL_NAMES[level]}，前 20）`), month),
    el("p", {class: "legend"}, "综合得分为巡查覆盖率、上报及时率、满意率、调解成功率中有数据者的平均值；无数据的地区排在最后。"),
    table);
}
