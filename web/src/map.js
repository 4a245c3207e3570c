// The map: MapLibre with the server's style (vector tiles of every layer,
// glyphs shipped with this app), the cases of the closed loop as a live
// GeoJSON layer, an optional raster basemap, a layer switcher and a legend.
import * as maplibregl from 'maplibre-gl';
import { api, session } from './api.js';
import { h, toast, errorText } from './ui.js';
import { RISK_COLOURS, RISK_LEVELS, HAZARD_LEVELS, STATES, STATE_COLOURS, STATION_KINDS, OPEN_STATES } from './labels.js';

// Chinese characters are drawn from the device's own fonts (every phone and
// desktop in China has one); the shipped glyph PBFs cover Latin and digits.
const CJK_FONTS = 'Noto Sans CJK SC, Noto Sans SC, PingFang SC, Hiragino Sans GB, Microsoft YaHei, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif';

// build.mjs copies MapLibre's worker next to the bundle; the version in the
// query keeps a browser from using a worker cached from another release.
maplibregl.setWorkerUrl(`/maplibre-gl-worker.js?v=${maplibregl.getVersion()}`);

const GROUPS = [
  { key: 'basemap', label: '影像/地形底图', match: (id) => id === 'basemap' },
  { key: 'areas', label: '行政区划', match: (id) => id.startsWith('areas-') },
  { key: 'grids', label: '网格（编码、网格员）', match: (id) => id.startsWith('grids-') },
  { key: 'coverage', label: '覆盖分析', match: (id) => id.startsWith('coverage-') },
  { key: 'risk_points', label: '风险点（四色）', match: (id) => id.startsWith('risk-points') },
  { key: 'hazard_sources', label: '危险源', match: (id) => id.startsWith('hazard-sources') },
  { key: 'stations', label: '应急站点', match: (id) => id.startsWith('stations') },
  { key: 'depots', label: '物资储备仓库', match: (id) => id.startsWith('depots') },
  { key: 'cases', label: '隐患案件', match: (id) => id.startsWith('cases-') },
];
const HIDDEN_KEY = 'riskmap.hiddenLayers';

// 汕尾市, where the map opens for users of the whole city
export const CITY_BOUNDS = [115.14, 22.64, 116.17, 23.46];

// The zoom up to which the server's tiles draw a layer's points as clusters
// (tiles/layers.go); a tapped cluster zooms past it.
export const CLUSTER_MAX_ZOOM = { 'risk-points-cluster': 13, 'hazard-sources-cluster': 11 };

// matchColours reads a ["match", ["get", attr], v1, c1, v2, c2, ..., other]
// paint expression into {v: colour}, so the legend shows what the style draws.
function matchColours(expr) {
  const out = {};
  if (!Array.isArray(expr) || expr[0] !== 'match') return out;
  for (let i = 2; i + 1 < expr.length; i += 2) out[expr[i]] = expr[i + 1];
  return out;
}

async function loadStyle(config) {
  let style;
  try {
    style = await api.get('/styles/riskmap.json');
  } catch (e) {
    toast(`地图样式加载失败：${errorText(e)}`, 'error');
    style = { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#F5F3EE' } }] };
  }
  const layers = style.layers;
  const bgIndex = layers.findIndex((l) => l.type === 'background');
  if (config.basemap && config.basemap.tiles && config.basemap.tiles.length) {
    style.sources.basemap = {
      type: 'raster', tiles: config.basemap.tiles, tileSize: config.basemap.tile_size || 256,
      maxzoom: config.basemap.max_zoom || 18, attribution: config.basemap.attribution || '',
    };
    layers.splice(bgIndex + 1, 0, { id: 'basemap', type: 'raster', source: 'basemap' });
  }
  if (style.sources.riskmap) {
    // an invisible fill so a tap anywhere in a grid finds it
    const gridsLine = layers.findIndex((l) => l.id === 'grids-line');
    layers.splice(gridsLine >= 0 ? gridsLine : layers.length, 0, {
      id: 'grids-hit', type: 'fill', source: 'riskmap', 'source-layer': 'grids', minzoom: 10,
      paint: { 'fill-color': '#000000', 'fill-opacity': 0 },
    });
  }
  style.sources.cases = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
  const stateColour = ['match', ['get', 'state'], ...Object.entries(STATE_COLOURS).flat(), '#757575'];
  layers.push(
    { id: 'cases-overdue', type: 'circle', source: 'cases', filter: ['==', ['get', 'overdue'], true],
      paint: { 'circle-radius': 13, 'circle-color': 'rgba(229,57,53,0.15)', 'circle-stroke-color': '#E53935', 'circle-stroke-width': 2 } },
    { id: 'cases-point', type: 'circle', source: 'cases',
      paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 5, 15, 9], 'circle-color': stateColour,
        'circle-stroke-color': '#FFFFFF', 'circle-stroke-width': 2 } });
  return style;
}

export async function createMap(container, { config, bounds }) {
  const style = await loadStyle(config);
  const origin = window.location.origin;
  const map = new maplibregl.Map({
    container,
    style,
    bounds: bounds || CITY_BOUNDS,
    fitBoundsOptions: { padding: 20 },
    localIdeographFontFamily: CJK_FONTS,
    attributionControl: { compact: true },
    maxPitch: 0,
    dragRotate: false,
    // the token goes to this server only, never to a basemap host
    transformRequest: (url) => (url.startsWith(origin) || url.startsWith('/')
      ? { url, headers: { Authorization: `Bearer ${session.token}` } }
      : { url }),
  });
  // tiles that fail while the phone is offline are fetched again when the
  // map next moves; say so once instead of an error per tile
  let warned = false;
  map.on('error', (e) => {
    if (!navigator.onLine) {
      if (!warned) console.warn('离线：部分地图瓦片未能加载，恢复网络后重新加载');
      warned = true;
      return;
    }
    warned = false;
    console.error('地图：', e.error && e.error.message ? e.error.message : e.error);
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  window.map = map;
  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('load', resolve)));
  applyHidden(map);
  return map;
}

function hidden() {
  try { return new Set(JSON.parse(localStorage.getItem(HIDDEN_KEY) || '[]')); } catch { return new Set(); }
}

function applyHidden(map) {
  const off = hidden();
  for (const l of map.getStyle().layers) {
    const g = GROUPS.find((x) => x.match(l.id));
    if (g) map.setLayoutProperty(l.id, 'visibility', off.has(g.key) ? 'none' : 'visible');
  }
}

export function setGroupVisible(map, key, on) {
  const off = hidden();
  if (on) off.delete(key); else off.add(key);
  localStorage.setItem(HIDDEN_KEY, JSON.stringify([...off]));
  applyHidden(map);
}

// layerPanel builds the layer switcher and the legend.
export function layerPanel(map) {
  const present = GROUPS.filter((g) => map.getStyle().layers.some((l) => g.match(l.id)));
  const off = hidden();
  const layer = (id) => map.getStyle().layers.find((l) => l.id === id);
  const paint = (id, prop) => (layer(id) && layer(id).paint ? layer(id).paint[prop] : undefined);
  const risk = { ...RISK_COLOURS, ...matchColours(paint('risk-points', 'circle-color')) };
  const hazard = matchColours(paint('hazard-sources', 'circle-color'));
  const stations = matchColours(paint('stations', 'circle-color'));
  const depot = paint('depots', 'circle-color') || '#6D4C41';
  const swatch = (colour, shape = 'dot') => h('span', { class: `swatch ${shape}`, style: { background: colour } });
  const row = (colour, label, shape) => h('li', {}, swatch(colour, shape), label);
  return h('div', { class: 'layers' },
    h('h3', {}, '图层'),
    h('ul', { class: 'layer-list' }, present.map((g) => h('li', {},
      h('label', {}, h('input', {
        type: 'checkbox', checked: !off.has(g.key), 'data-layer': g.key,
        onchange: (e) => setGroupVisible(map, g.key, e.target.checked),
      }), g.label)))),
    h('h3', {}, '图例'),
    h('div', { class: 'legend' },
      h('h4', {}, '安全风险四色分布'),
      h('ul', {}, [1, 2, 3, 4].map((lv) => row(risk[lv], `${RISK_LEVELS[lv]}`))),
      patrolLegend(map),
      h('h4', {}, '危险源（重大危险源等级）'),
      h('ul', {}, [1, 2, 3, 4].filter((lv) => hazard[lv]).map((lv) => row(hazard[lv], HAZARD_LEVELS[lv])),
        row(hazard.other || '#9E9E9E', '一般危险源')),
      h('h4', {}, '应急资源'),
      h('ul', {}, Object.entries(STATION_KINDS).map(([k, v]) => row(stations[k] || '#2E7D32', v)), row(depot, '物资储备仓库')),
      h('h4', {}, '网格与区划'),
      h('ul', {}, row('#8E8E8E', '网格边界（放大显示编码）', 'line'), row('#757575', '镇街边界', 'line'),
        row('rgba(229,57,53,0.2)', '有未销号隐患的网格', 'box')),
      h('h4', {}, '隐患案件'),
      h('ul', {}, OPEN_STATES.map((s) => row(STATE_COLOURS[s], STATES[s])), row('rgba(229,57,53,0.15)', '逾期（红圈）', 'ring')),
      map.getSource('coverage') ? [h('h4', {}, '覆盖分析'), h('ul', {}, row('rgba(216,27,96,0.35)', '未覆盖网格', 'box'), row('rgba(67,160,71,0.25)', '已覆盖网格', 'box'))] : null));
}

// patrolLegend: the rings of risk points due or overdue for a patrol, as
// the server's style draws them (metadata riskmap:legend.patrol).
function patrolLegend(map) {
  const meta = ((map.getStyle().metadata || {})['riskmap:legend'] || {}).patrol;
  if (!meta || !map.getLayer('risk-points-patrol')) return null;
  return [h('h4', {}, '巡查（放大后显示）'),
    h('ul', { 'data-testid': 'legend-patrol' }, ['overdue', 'due'].map((k) => h('li', {},
      h('span', { class: 'swatch ring', style: { background: 'transparent', borderColor: meta.colours[k] } }), meta[k])))];
}

export function setCases(map, list) {
  const src = map.getSource('cases');
  // GeoJSON sources keep only numeric ids: the case's UUID rides along as a property
  if (src) {
    src.setData({ type: 'FeatureCollection', features: list.filter((f) => OPEN_STATES.includes(f.properties.state))
      .map((f) => ({ type: 'Feature', geometry: f.geometry, properties: { ...f.properties, case_id: f.id } })) });
  }
}

// The coverage overlay is the server's coverage tile layer (grids from z8,
// uncovered risk points and hazard sources from z12), added on first use:
// its TileJSON needs the query, and grid workers may not read it.
const GRID = ['==', ['get', 'kind'], 'grid'];
const COVERAGE_LAYERS = [
  { id: 'coverage-uncovered', type: 'fill', filter: ['all', GRID, ['==', ['get', 'covered'], false]],
    paint: { 'fill-color': '#D81B60', 'fill-opacity': 0.35 } },
  { id: 'coverage-covered', type: 'fill', filter: ['all', GRID, ['==', ['get', 'covered'], true]],
    paint: { 'fill-color': '#43A047', 'fill-opacity': 0.18 } },
  { id: 'coverage-line', type: 'line', filter: GRID, paint: { 'line-color': '#880E4F', 'line-width': 0.6 } },
  { id: 'coverage-points', type: 'circle', filter: ['!', GRID],
    paint: { 'circle-radius': 4, 'circle-color': '#D81B60', 'circle-stroke-color': '#FFFFFF', 'circle-stroke-width': 1 } },
];

// setCoverage draws the coverage of query (the parameters of
// /api/v1/coverage, as a URL query), or hides it when query is empty.
export function setCoverage(map, query) {
  if (!query) {
    for (const l of COVERAGE_LAYERS) if (map.getLayer(l.id)) map.setLayoutProperty(l.id, 'visibility', 'none');
    return;
  }
  const url = `${window.location.origin}/tiles/coverage.json?${query}`;
  const src = map.getSource('coverage');
  if (src) {
    src.setUrl(url);
    return;
  }
  map.addSource('coverage', { type: 'vector', url });
  const first = map.getStyle().layers.find((l) => l.type === 'circle' || l.type === 'symbol');
  for (const l of COVERAGE_LAYERS) map.addLayer({ ...l, source: 'coverage', 'source-layer': 'coverage' }, first ? first.id : undefined);
}

// featureAt finds what a tap hit, the most specific first.
export function featureAt(map, point) {
  const order = ['cases-point', 'cases-overdue', 'risk-points', 'risk-points-retired', 'risk-points-cluster', 'hazard-sources',
    'hazard-sources-cluster', 'stations', 'depots', 'grids-hit', 'areas-township-fill'];
  const layers = order.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
  const box = [[point.x - 6, point.y - 6], [point.x + 6, point.y + 6]];
  const found = map.queryRenderedFeatures(box, { layers });
  found.sort((a, b) => order.indexOf(a.layer.id) - order.indexOf(b.layer.id));
  return found[0] || null;
}

export function fitTo(map, bbox, maxZoom = 16) {
  map.fitBounds(bbox, { padding: 40, maxZoom, duration: 600 });
}

export function bboxOf(features) {
  let b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
    } else c.forEach(walk);
  };
  for (const f of features) if (f.geometry) walk(f.geometry.coordinates);
  return Number.isFinite(b[0]) ? b : null;
}

// picker lets the user tap a point; shows a marker there.
export function pickPoint(map, hint) {
  return new Promise((resolve) => {
    const tip = h('div', { class: 'pick-tip' }, hint || '请在地图上点选位置', h('button', { type: 'button', class: 'secondary', onclick: () => done(null) }, '取消'));
    map.getContainer().append(tip);
    map.getCanvas().style.cursor = 'crosshair';
    const onClick = (e) => done(e.lngLat);
    const done = (v) => {
      map.off('click', onClick);
      map.getCanvas().style.cursor = '';
      tip.remove();
      resolve(v);
    };
    map.once('click', onClick);
  });
}

// reloadTiles fetches the tiles of the server's layers again, after a
// write changed what they show (the server has dropped its copies by the
// time the write is answered). The URLs change (?v=N): MapLibre 6 given
// the same URLs again may keep the tiles it holds (measured: a new point
// never showed), and the server ignores the parameter.
let tilesVersion = 0;
export function reloadTiles(map) {
  const src = map.getSource('riskmap');
  if (!src || !src.tiles) return;
  tilesVersion++;
  src.setTiles(src.tiles.map((u) => `${u.replace(/\?v=\d+$/, '')}?v=${tilesVersion}`));
}

let marker = null;
export function showMarker(map, lngLat) {
  if (marker) marker.remove();
  marker = null;
  if (lngLat) marker = new maplibregl.Marker({ color: '#D81B60' }).setLngLat(lngLat).addTo(map);
}

