// The map: MapLibre with the server's style (vector tiles of every layer,
// glyphs shipped with this app), the cases of the closed loop as a live
// GeoJSON layer, an optional raster basemap, a layer switcher and a legend.
import * as maplibregl from 'maplibre-gl';
import { session } from './api.js';
import { cachedGet } from './snapshot.js';
import { h, toast, errorText } from './ui.js';
import { RISK_COLOURS, RISK_LEVELS, HAZARD_LEVELS, STATES, STATE_COLOURS, STATION_KINDS, OPEN_STATES } from './labels.js';
import { iconName, iconImage, iconURL, HATCH, HATCH_COLOUR, hatchImage } from './symbols.js';

// Chinese characters are drawn from the device's own fonts (every phone and
// desktop in China has one); the shipped glyph PBFs cover Latin and digits.
const CJK_FONTS = 'Noto Sans CJK SC, Noto Sans SC, PingFang SC, Hiragino Sans GB, Microsoft YaHei, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif';

// build.mjs copies MapLibre's worker next to the bundle under a name made
// from its content (so neither a browser nor the service worker keeps one
// of another release) and tells this bundle that name.
maplibregl.setWorkerUrl(__MAPLIBRE_WORKER__);

const GROUPS = [
  { key: 'basemap', label: '影像/地形底图（在线）', match: (id) => id === 'basemap' || id === 'basemap-labels' },
  { key: 'ground', label: '道路与地名', match: (id) => id.startsWith('roads-') || id.startsWith('places-') || id.startsWith('water-') },
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
    style = await cachedGet('/styles/riskmap.json');
  } catch (e) {
    toast(`地图样式加载失败：${errorText(e)}`, 'error');
    style = { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#F5F3EE' } }] };
  }
  const layers = style.layers;
  if (config.basemap && config.basemap.tiles && config.basemap.tiles.length) {
    // the configured raster basemap (online only), over the township shading
    // and under the roads and names the server draws from its own data
    const raster = (tiles) => ({ type: 'raster', tiles, tileSize: config.basemap.tile_size || 256,
      maxzoom: config.basemap.max_zoom || 18, attribution: config.basemap.attribution || '' });
    const at = layers.findIndex((l) => l.id === 'areas-township-fill') + 1 || layers.findIndex((l) => l.type === 'background') + 1;
    const add = [{ id: 'basemap', type: 'raster', source: 'basemap' }];
    style.sources.basemap = raster(config.basemap.tiles);
    if (config.basemap.labels && config.basemap.labels.length) {
      style.sources['basemap-labels'] = raster(config.basemap.labels);
      add.push({ id: 'basemap-labels', type: 'raster', source: 'basemap-labels' });
    }
    layers.splice(at, 0, ...add);
  }
  if (style.sources.riskmap) {
    // an invisible fill so a tap anywhere in a grid finds it
    const gridsLine = layers.findIndex((l) => l.id === 'grids-line');
    layers.splice(gridsLine >= 0 ? gridsLine : layers.length, 0, {
      id: 'grids-hit', type: 'fill', source: 'riskmap', 'source-layer': 'grids', minzoom: 10,
      paint: { 'fill-color': '#000000', 'fill-opacity': 0 },
    });
  }
  // points as shapes of their own (symbols.js): hazard sources squares,
  // stations triangles, depots houses; the server draws them as circles
  const size = ['interpolate', ['linear'], ['zoom'], 9, 0.7, 15, 1];
  const asSymbol = (id, image) => {
    const i = layers.findIndex((l) => l.id === id);
    if (i < 0) return;
    const l = layers[i];
    const sym = { id, type: 'symbol', source: l.source, 'source-layer': l['source-layer'],
      layout: { 'icon-image': image, 'icon-size': size, 'icon-allow-overlap': true, 'icon-ignore-placement': true } };
    for (const k of ['filter', 'minzoom', 'maxzoom']) if (l[k] !== undefined) sym[k] = l[k];
    layers[i] = sym;
  };
  const byKind = (attr, colours, shape, other) => ['match', ['get', attr],
    ...Object.entries(colours).flatMap(([k, c]) => [Number.isNaN(Number(k)) ? k : Number(k), iconName(shape, c)]), iconName(shape, other)];
  // the colours are the server's (its circles' paint); the legend reads
  // them back from the style's metadata
  const circle = (id) => { const l = layers.find((x) => x.id === id); return l && l.paint ? l.paint['circle-color'] : undefined; };
  const last = (expr, dflt) => (Array.isArray(expr) ? expr[expr.length - 1] : expr || dflt);
  const symbols = {
    hazard: matchColours(circle('hazard-sources')), hazardOther: last(circle('hazard-sources'), '#9E9E9E'),
    stations: { office: '#2E7D32', rescue_team: '#00897B', platform: '#43A047', ...matchColours(circle('stations')) },
    depot: last(circle('depots'), '#6D4C41'),
  };
  style.metadata = { ...(style.metadata || {}), 'riskmap:symbols': symbols };
  asSymbol('hazard-sources', byKind('major_hazard_level', symbols.hazard, 'square', symbols.hazardOther));
  asSymbol('stations', byKind('kind', symbols.stations, 'triangle', symbols.stations.office));
  asSymbol('depots', iconName('house', symbols.depot));
  style.sources.cases = { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
  layers.push(
    { id: 'cases-overdue', type: 'circle', source: 'cases', filter: ['==', ['get', 'overdue'], true],
      paint: { 'circle-radius': 14, 'circle-color': 'rgba(229,57,53,0.15)', 'circle-stroke-color': '#E53935', 'circle-stroke-width': 2 } },
    { id: 'cases-point', type: 'symbol', source: 'cases',
      layout: { 'icon-image': byKind('state', STATE_COLOURS, 'diamond', '#757575'), 'icon-size': size,
        'icon-allow-overlap': true, 'icon-ignore-placement': true } });
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
  // the point symbols and the hatch, drawn when first asked for
  map.setMissingStyleImageResolver((id) => {
    if (map.hasImage(id)) return;
    const icon = id === HATCH ? hatchImage() : iconImage(id);
    if (icon) map.addImage(id, icon.image, { pixelRatio: icon.pixelRatio });
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

// The legend: one section per kind of thing on the map, each row the
// symbol as drawn (an icon, a dot, a line, a box, a ring, the hatch) and
// what it means. A module that adds layers adds its section here with
// addLegend, shown when its `when(map)` holds.
const legend = [];

// addLegend appends a legend section: { key, title, rows: [[swatch,
// label]], when(map) }, where a swatch is { icon: [shape, colour] } or
// { dot|line|box|ring|hatch: colour }.
export function addLegend(section) {
  const i = legend.findIndex((x) => x.key === section.key);
  if (i >= 0) legend[i] = section; else legend.push(section);
}

// addLayerGroup adds a group to the layer switcher: { key, label,
// match(layerId) }.
export function addLayerGroup(group) {
  if (!GROUPS.some((g) => g.key === group.key)) GROUPS.push(group);
}

function swatch(s) {
  if (s.icon) return h('img', { class: 'swatch icon', src: iconURL(s.icon[0], s.icon[1]), alt: '' });
  const [kind, colour] = Object.entries(s)[0];
  if (kind === 'hatch') return h('span', { class: 'swatch hatch', style: { color: colour } });
  return h('span', { class: `swatch ${kind}`, style: kind === 'ring' ? { borderColor: colour } : { background: colour } });
}

function builtinLegend(map) {
  const sym = (map.getStyle().metadata || {})['riskmap:symbols'] || { hazard: {}, hazardOther: '#9E9E9E', stations: {}, depot: '#6D4C41' };
  const layer = (id) => map.getStyle().layers.find((l) => l.id === id);
  const paint = (id, prop) => (layer(id) && layer(id).paint ? layer(id).paint[prop] : undefined);
  const risk = { ...RISK_COLOURS, ...matchColours(paint('risk-points', 'circle-color')) };
  return [
    { key: 'risk_points', title: '风险点（安全风险四色分布）', rows: [
      ...[1, 2, 3, 4].map((lv) => [{ dot: risk[lv] }, RISK_LEVELS[lv]]),
      [{ dot: '#BDBDBD' }, '已撤销的风险点'],
      [{ dot: risk[2] }, '聚合点：数字为风险点个数，颜色为其中最高风险等级（点击放大）']] },
    patrolLegend(map),
    { key: 'hazard_sources', title: '危险源（方块）', rows: [
      ...[1, 2, 3, 4].filter((lv) => sym.hazard[lv]).map((lv) => [{ icon: ['square', sym.hazard[lv]] }, HAZARD_LEVELS[lv]]),
      [{ icon: ['square', sym.hazardOther] }, '一般危险源（非重大危险源）'],
      [{ dot: sym.hazardOther }, '危险源聚合点（点击放大）']] },
    { key: 'stations', title: '应急资源', rows: [
      ...Object.entries(STATION_KINDS).map(([k, v]) => [{ icon: ['triangle', sym.stations[k] || '#2E7D32'] }, `${v}（三角）`]),
      [{ icon: ['house', sym.depot] }, '物资储备仓库']] },
    { key: 'grids', title: '网格与区划', rows: [
      [{ line: '#8E8E8E' }, '网格边界（放大显示编码）'], [{ line: '#9E9E9E' }, '村（社区）边界（虚线）'],
      [{ line: '#757575' }, '镇街边界'], [{ line: '#424242' }, '县区边界'],
      [{ box: 'rgba(229,57,53,0.2)' }, '有未销号隐患的网格（越深越多）'],
      [{ dot: MARKER_COLOUR }, '图钉：搜索结果或点选的位置']] },
    { key: 'cases', title: '隐患案件（菱形）', rows: [
      ...OPEN_STATES.map((st) => [{ icon: ['diamond', STATE_COLOURS[st]] }, STATES[st]]),
      [{ ring: '#E53935' }, '逾期（红圈）']] },
    { key: 'coverage', title: '覆盖分析', when: () => Boolean(map.getSource('coverage')), rows: [
      [{ hatch: HATCH_COLOUR }, '未覆盖网格（斜线）'], [{ box: 'rgba(67,160,71,0.25)' }, '已覆盖网格'],
      [{ dot: HATCH_COLOUR }, '未覆盖的风险点、危险源']] },
  ];
}

// layerPanel builds the layer switcher and the legend; it draws itself
// again when the map's layers change (the coverage overlay coming on).
export function layerPanel(map) {
  const el = h('div', { class: 'layers' });
  const paint = () => {
    const present = GROUPS.filter((g) => map.getStyle().layers.some((l) => g.match(l.id)));
    const off = hidden();
    const sections = [...builtinLegend(map), ...legend].filter((x) => !x.when || x.when(map));
    el.replaceChildren(
      h('h3', {}, '图层'),
      h('ul', { class: 'layer-list' }, present.map((g) => h('li', {},
        h('label', {}, h('input', {
          type: 'checkbox', checked: !off.has(g.key), 'data-layer': g.key,
          onchange: (e) => setGroupVisible(map, g.key, e.target.checked),
        }), g.label)))),
      h('h3', {}, '图例'),
      h('div', { class: 'legend', 'data-testid': 'legend' }, sections.map((x) => [
        h('h4', {}, x.title),
        h('ul', { 'data-testid': x.testid }, x.rows.map(([sw, label]) => h('li', {}, swatch(sw), label)))])));
  };
  paint();
  el.refresh = paint;
  map.on('styledata', () => { clearTimeout(el.timer); el.timer = setTimeout(paint, 200); });
  return el;
}

// patrolLegend: the rings of risk points due or overdue for a patrol, as
// the server's style draws them (metadata riskmap:legend.patrol).
function patrolLegend(map) {
  const meta = ((map.getStyle().metadata || {})['riskmap:legend'] || {}).patrol;
  return { key: 'patrol', title: '巡查（放大后显示）', testid: 'legend-patrol',
    when: () => Boolean(meta && map.getLayer('risk-points-patrol')),
    rows: meta ? ['overdue', 'due'].map((k) => [{ ring: meta.colours[k] }, meta[k]]) : [] };
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
// Uncovered grids are hatched, not tinted: a tint already means "has open
// cases".
const COVERAGE_LAYERS = [
  { id: 'coverage-uncovered', type: 'fill', filter: ['all', GRID, ['==', ['get', 'covered'], false]],
    paint: { 'fill-pattern': HATCH } },
  { id: 'coverage-covered', type: 'fill', filter: ['all', GRID, ['==', ['get', 'covered'], true]],
    paint: { 'fill-color': '#43A047', 'fill-opacity': 0.18 } },
  { id: 'coverage-line', type: 'line', filter: GRID, paint: { 'line-color': HATCH_COLOUR, 'line-width': 0.6 } },
  { id: 'coverage-points', type: 'circle', filter: ['!', GRID],
    paint: { 'circle-radius': 4, 'circle-color': HATCH_COLOUR, 'circle-stroke-color': '#FFFFFF', 'circle-stroke-width': 1 } },
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

// the pin of a search result or a picked point (in the legend)
const MARKER_COLOUR = '#1565C0';
let marker = null;
export function showMarker(map, lngLat) {
  if (marker) marker.remove();
  marker = null;
  if (lngLat) marker = new maplibregl.Marker({ color: MARKER_COLOUR }).setLngLat(lngLat).addTo(map);
}

