// 一图感知: the caller's grid cells from GridGov's own vector tiles, over a configurable base map
// (none configured: a plain background). A click on a cell shows its card.
import * as maplibregl from "../vendor/maplibre-gl/maplibre-gl.mjs";
import {count, get, getAll} from "../common/js/api.js";
import {el, isoWeek} from "../common/js/dom.js";

const KIND_COLOURS = ["match", ["get", "kind"],
  "residential", "#7fb3d5", "commercial", "#f5b041", "industrial", "#a569bd", "rural", "#82e0aa", "#aab7b8"];

function style(config) {
  const sources = {
    cells: {type: "vector", tiles: [`${location.origin}/api/v1/tiles/grid-cells/{z}/{x}/{y}.mvt`],
            minzoom: 8, maxzoom: 16, promoteId: "id"},
  };
  const layers = [{id: "background", type: "background", paint: {"background-color": "#eef1f4"}}];
  if (config.basemap_url) {
    sources.basemap = {type: "raster", tiles: [config.basemap_url], tileSize: 256,
                       attribution: config.basemap_attribution || ""};
    layers.push({id: "basemap", type: "raster", source: "basemap"});
  }
  layers.push(
    {id: "communities", type: "line", source: "cells", "source-layer": "communities",
     paint: {"line-color": "#34495e", "line-width": 1.5}},
    {id: "cells-fill", type: "fill", source: "cells", "source-layer": "grid_cells",
     paint: {"fill-color": KIND_COLOURS, "fill-opacity": 0.35}},
    {id: "cells-figure", type: "fill", source: "cells", "source-layer": "grid_cells",
     paint: {"fill-color": ["interpolate", ["linear"], ["coalesce", ["feature-state", "share"], 0],
                            0, "#eafaf1", 0.5, "#f5b041", 1, "#c0392b"],
             "fill-opacity": ["case", ["==", ["feature-state", "share"], null], 0, 0.75]}},
    {id: "cells-line", type: "line", source: "cells", "source-layer": "grid_cells",
     paint: {"line-color": "#1f618d", "line-width": 1}},
  );
  return {version: 8, sources, layers};
}

function bounds(geometry) {
  let minX = 180, minY = 90, maxX = -180, maxY = -90;
  const walk = (c) => {
    if (typeof c[0] === "number") {
      minX = Math.min(minX, c[0]); maxX = Math.max(maxX, c[0]);
      minY = Math.min(minY, c[1]); maxY = Math.max(maxY, c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return [[minX, minY], [maxX, maxY]];
}

// Figures to colour the cells by: where they come from, and which value is bad (1 = darkest red).
// the area's figures per place, read once for a visit to the map: the colours and every cell's card
// use the same lists
let figures = new Map();
const area = (path) => {
  if (!figures.has(path)) figures.set(path, getAll(path));
  return figures.get(path);
};

const FIGURES = {
  "": {name: "按网格类型"},
  open: {name: "未办结事件", staff: true, load: () => area("/api/v1/matters/stats?level=grid_cell"),
         value: (r) => r.open},
  overdue: {name: "超期事件", staff: true, load: () => area("/api/v1/matters/stats?level=grid_cell"),
            value: (r) => r.overdue},
  coverage: {name: "本周走访覆盖率（越低越红）",
             load: () => area(`/api/v1/visits/coverage?week=${isoWeek(new Date())}&level=grid_cell`),
             value: (r) => r.coverage_percent, invert: true},
  // counts only: who they are stays in the key-person pages, for those who may open them
  key_persons: {name: "重点人员（人数）", load: () => area("/api/v1/key-persons/alerts?level=grid_cell"),
                value: (r) => r.active},
};
const STAFF = ["community_staff", "street_admin", "district_admin"];
const AREA = ["grid_member", ...STAFF];  // who may read key persons' counts

async function colourBy(map, key, legend) {
  const figure = FIGURES[key];
  map.removeFeatureState({source: "cells", sourceLayer: "grid_cells"});
  if (!figure.load) {
    legend.textContent = "";
    return;
  }
  const rows = await figure.load();
  const values = rows.map(figure.value);
  const max = figure.invert ? 100 : Math.max(1, ...values);
  for (const row of rows) {
    const share = figure.value(row) / max;
    map.setFeatureState({source: "cells", sourceLayer: "grid_cells", id: row.place.id},
                        {share: figure.invert ? 1 - share : share, value: figure.value(row)});
  }
  legend.textContent = `着色：${figure.name}（最高 ${figure.invert ? "100%" : max}，颜色越红越需关注）`;
}

const MATTER_COLOURS = ["match", ["get", "status"], "submitted", "#e74c3c", "accepted", "#e67e22",
  "registered", "#f1c40f", "dispatched", "#3498db", "handled", "#8e44ad", "verified", "#16a085", "#7f8c8d"];
const LEVEL_COLOURS = ["match", ["get", "level"], "I", "#c0392b", "II", "#e67e22", "III", "#f1c40f", "#2e86c1"];

function points(items, place, properties) {
  return {type: "FeatureCollection", features: items.filter(place).map((item) => ({
    type: "Feature", id: item.id ?? item.user_id, properties: properties(item),
    geometry: {type: "Point", coordinates: [place(item).lng, place(item).lat]}}))};
}

// The work on the ground: open matters by status, incidents by level, on-duty responders moving live.
async function addWork(map, me, container) {
  const safely = (promise) => promise.catch(() => []);
  const staff = STAFF.includes(me.role);
  const inView = () => {
    const b = map.getBounds();
    const lng = (v) => Math.min(180, Math.max(-180, v)).toFixed(6), lat = (v) => Math.min(90, Math.max(-90, v)).toFixed(6);
    const box = [lng(b.getWest()), lat(b.getSouth()), lng(b.getEast()), lat(b.getNorth())].join(",");
    return safely(get(`/api/v1/map/matters?bbox=${box}`).then((c) => c.features));
  };
  const [matters, incidents, responders] = await Promise.all([
    inView(),
    staff || me.role === "responder" ? safely(get("/api/v1/incidents?open=true&page_size=100")) : [],
    staff ? safely(get("/api/v1/responders?duty_status=on_duty&page_size=100")) : [],
  ]);
  // the open matters in view, as GeoJSON features already; fetched again when the view moves
  const collection = (features) => ({type: "FeatureCollection", features});
  map.addSource("matters", {type: "geojson", data: collection(matters)});
  let shown = matters.length;
  map.on("moveend", async () => {
    const features = await inView();
    map.getSource("matters")?.setData(collection(features));
    shown = features.length;
    container.dataset.work = JSON.stringify({...JSON.parse(container.dataset.work || "{}"), matters: shown});
  });
  map.addSource("incidents", {type: "geojson", data: points(incidents, (i) => i.location,
    (i) => ({id: i.id, number: i.number, level: i.level, title: i.title}))});
  const riders = new Map(responders.filter((r) => r.position).map((r) => [r.user_id, r]));
  const responderData = () => points([...riders.values()], (r) => r.position,
    (r) => ({user_id: r.user_id, name: r.name, team: r.team}));
  map.addSource("responders", {type: "geojson", data: responderData()});
  map.addLayer({id: "matters", type: "circle", source: "matters",
                paint: {"circle-radius": 5, "circle-color": MATTER_COLOURS, "circle-stroke-color": "#fff",
                        "circle-stroke-width": 1}});
  map.addLayer({id: "incidents", type: "circle", source: "incidents",
                paint: {"circle-radius": 10, "circle-color": LEVEL_COLOURS, "circle-opacity": 0.85,
                        "circle-stroke-color": "#000", "circle-stroke-width": 2}});
  map.addLayer({id: "responders", type: "circle", source: "responders",
                paint: {"circle-radius": 6, "circle-color": "#2c3e50", "circle-stroke-color": "#fff",
                        "circle-stroke-width": 2}});
  container.dataset.work = JSON.stringify({matters: shown, incidents: incidents.length, responders: riders.size});
  if (!staff) return;
  // positions as they come (the stream uses the same cookie session)
  let moves = 0;
  const stream = new EventSource("/api/v1/stream");
  stream.addEventListener("responder.position", (event) => {
    const data = JSON.parse(event.data);
    const known = riders.get(data.user_id) || {user_id: data.user_id, name: data.name, team: data.team};
    riders.set(data.user_id, {...known, position: {lng: data.lng, lat: data.lat}});
    map.getSource("responders")?.setData(responderData());
    container.dataset.moves = String(++moves);
  });
  window.addEventListener("hashchange", () => stream.close(), {once: true});
}

// A cell's card: who leads it now, how many households and people, its open work. Each line is
// what the caller's role may read; a line the API refuses is left out.
async function fillCard(card, cell, me) {
  const safely = (promise) => promise.catch(() => null);
  const [chain, households, residents, matters, keyPersons] = await Promise.all([
    safely(get(`/api/v1/grid-cells/${cell.id}/chain`)),
    safely(count(`/api/v1/households?grid_cell_id=${cell.id}`)),
    safely(count(`/api/v1/residents?grid_cell_id=${cell.id}`)),
    STAFF.includes(me.role) ? safely(area("/api/v1/matters/stats?level=grid_cell")) : null,
    AREA.includes(me.role) ? safely(area("/api/v1/key-persons/alerts?level=grid_cell")) : null,
  ]);
  for (const holder of chain?.current || []) {
    card.append(el("div", {"data-line": "leader"}, `${holder.title}：${holder.name}${holder.phone ? ` ${holder.phone}` : ""}`));
  }
  if (households !== null || residents !== null) {
    card.append(el("div", {"data-line": "roster"}, `户数 ${households ?? "—"} · 人数 ${residents ?? "—"}`));
  }
  const mine = matters?.find((row) => row.place.id === cell.id);
  if (mine) card.append(el("div", {"data-line": "work"}, `未办结事件 ${mine.open} · 超期 ${mine.overdue}`));
  const followed = keyPersons?.find((row) => row.place.id === cell.id);
  if (followed) card.append(el("div", {"data-line": "key-persons"}, `重点人员 ${followed.active} 人 · 跟进逾期 ${followed.overdue}`));
}

export async function showMap(main, me) {
  figures = new Map();
  const config = await fetch("config.json", {credentials: "same-origin"}).then((r) => r.json());
  const status = el("p", {class: "status", role: "status"}, "正在加载地图…");
  const container = el("div", {id: "map", class: "map", "aria-label": "网格地图"});
  const choice = el("select", {name: "figure"}, ...Object.entries(FIGURES)
    .filter(([key, f]) => (!f.staff || STAFF.includes(me.role)) && (key !== "key_persons" || AREA.includes(me.role)))
    .map(([key, f]) => el("option", {value: key}, f.name)));
  const legend = el("span", {class: "legend"});
  main.append(el("section", {class: "map-page"}, el("h1", {}, "一图感知"),
    el("div", {class: "toolbar"}, el("label", {}, "网格着色 ", choice), legend), status, container));
  const place = await get(`/api/v1/places/${me.place.id}`);
  const map = new maplibregl.Map({
    container, style: style(config), bounds: place.boundary ? bounds(place.boundary) : undefined,
    fitBoundsOptions: {padding: 20}, attributionControl: {compact: true},
  });
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  container.gridgovMap = map;  // for the browser tests, which look at what is drawn
  map.on("idle", () => {
    const cells = new Set(map.queryRenderedFeatures({layers: ["cells-fill"]}).map((f) => f.properties.code));
    status.textContent = cells.size ? `已显示 ${cells.size} 个网格（${place.name}）` : "放大以显示网格。";
    container.dataset.cellsDrawn = String(cells.size);
  });
  choice.addEventListener("change", () => colourBy(map, choice.value, legend));
  map.on("load", () => addWork(map, me, container));
  map.on("click", "cells-fill", (event) => {
    const cell = event.features[0].properties;
    const card = el("div", {class: "card", "aria-label": `网格 ${cell.name}`},
      el("strong", {}, cell.name), el("div", {}, `编码 ${cell.code}`));
    new maplibregl.Popup({closeButton: true}).setLngLat(event.lngLat).setDOMContent(card).addTo(map);
    fillCard(card, cell, me);
  });
  map.on("mouseenter", "cells-fill", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "cells-fill", () => { map.getCanvas().style.cursor = ""; });
}
