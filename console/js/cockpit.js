// 驾驶舱: the area at a glance — matters by status, this week's door-knock coverage, petitions and
// their clocks, incidents by level — drawn with ECharts (vendored, loaded as this origin's script).
import {count, get} from "./api.js";
import {el, isoWeek} from "./dom.js";
import {STATUS_NAMES} from "./matters.js";

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

function panel(title) {
  const chart = el("div", {class: "chart", role: "img", "aria-label": title});
  return {node: el("section", {class: "panel"}, el("h2", {}, title), chart), chart};
}

function draw(echarts, target, option) {
  const chart = echarts.init(target, null, {renderer: "canvas"});
  chart.setOption({animation: false, grid: {left: 48, right: 16, top: 24, bottom: 48}, ...option});
  target.dataset.rendered = "true";
  new ResizeObserver(() => chart.resize()).observe(target);
}

export async function showCockpit(main, me) {
  const panels = {matters: panel("事件（按状态）"), visits: panel("本周敲门走访覆盖率"),
                  petitions: panel("信访（在办与超期）"), incidents: panel("突发事件（按等级）")};
  main.append(el("h1", {}, `驾驶舱 · ${me.place.name}`),
    el("div", {class: "panels"}, ...Object.values(panels).map((p) => p.node)));
  const echarts = await loadECharts();
  const staff = ["community_staff", "street_admin", "district_admin"].includes(me.role);
  const level = me.role === "community_staff" || me.role === "grid_member" ? "grid_cell" : "community";

  const statuses = Object.keys(STATUS_NAMES);
  const matterCounts = await Promise.all(statuses.map((s) => count(`/api/v1/matters?status=${s}`)));
  draw(echarts, panels.matters.chart, {
    xAxis: {type: "category", data: statuses.map((s) => STATUS_NAMES[s]), axisLabel: {interval: 0, rotate: 30}},
    yAxis: {type: "value", minInterval: 1}, series: [{type: "bar", data: matterCounts, name: "事件"}],
    tooltip: {},
  });

  const coverage = await get(`/api/v1/visits/coverage?week=${isoWeek(new Date())}&level=${level}&page_size=100`);
  draw(echarts, panels.visits.chart, {
    xAxis: {type: "category", data: coverage.map((c) => c.place.name), axisLabel: {interval: 0, rotate: 30}},
    yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
    series: [{type: "bar", name: "覆盖率", data: coverage.map((c) => c.coverage_percent),
              markLine: {data: coverage.length ? [{yAxis: coverage[0].target_percent, name: "目标"}] : []}}],
    tooltip: {},
  });

  if (staff) {
    const petitions = await get(`/api/v1/petitions/stats?level=${level === "grid_cell" ? "community" : level}&page_size=100`);
    draw(echarts, panels.petitions.chart, {
      legend: {top: 0}, tooltip: {}, grid: {left: 48, right: 16, top: 36, bottom: 56},
      xAxis: {type: "category", data: petitions.map((p) => p.place.name), axisLabel: {interval: 0, rotate: 30}},
      yAxis: {type: "value", minInterval: 1},
      series: [{type: "bar", name: "在办", data: petitions.map((p) => p.open)},
               {type: "bar", name: "超期", data: petitions.map((p) => p.overdue)},
               {type: "bar", name: "越级", data: petitions.map((p) => p.went_up)}],
    });
  } else {
    panels.petitions.node.remove();
  }

  const levels = ["I", "II", "III", "IV"];
  const incidentCounts = await Promise.all(levels.map((l) => count(`/api/v1/incidents?level=${l}`)));
  draw(echarts, panels.incidents.chart, {
    tooltip: {}, color: ["#c0392b", "#e67e22", "#f1c40f", "#2e86c1"],
    series: [{type: "pie", radius: ["35%", "70%"],
              data: levels.map((l, i) => ({name: `${l} 级`, value: incidentCounts[i]}))}],
  });
}
