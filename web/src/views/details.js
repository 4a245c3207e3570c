// Details of a map feature (risk point, hazard source, station, depot,
// grid, area) read from the API, with where it lies by name and the
// hidden-hazard cases of its grid.
import { api } from '../api.js';
import { h, clear, failBox } from '../ui.js';
import { LAYERS, PROPS, propValue, RISK_COLOURS, fmtTime } from '../labels.js';
import { caseSummary } from '../casepanel.js';
import { historyTimeline } from './history.js';
import { printButton } from './print.js';
import { editActions } from '../edit.js';
import { patrolForm } from './patrol.js';
import { patrolHistory } from './routine.js';

// codes shown as the names of the places instead (placeRows), and fields of
// no use to a reader
const SKIP = new Set(['name', 'created_at', 'inventory', 'external_id', 'version', 'grid_code', 'township_code', 'county_code',
  'village_code', 'parent_code', 'point_count']);

// placeRows: 网格, 镇街, 县区 by name, from the locate answer of a point in
// the feature (the feature's own position for points, the tap for areas).
function placeRows(loc, layer) {
  if (!loc) return [];
  const rows = [];
  if (layer !== 'grids' && layer !== 'areas' && loc.grid) rows.push(['所在网格', loc.grid.name], ['网格员', loc.grid.worker || '—']);
  rows.push(['所属镇街', loc.township.name], ['所属县区', loc.county.name]);
  return rows;
}

// areaNames: the codes of the place a feature lies in, by name, for its
// history (which records codes).
function areaNames(loc, p) {
  const names = {};
  if (loc) for (const a of [loc.grid, loc.township, loc.county]) if (a && a.code) names[a.code] = a.name;
  if (p.code && p.name) names[p.code] = p.name;
  return names;
}

// featureDetails fills a panel for the feature of layer with id; tileProps
// and tileGeometry are what the map tile had (shown when the API cannot be
// read), at is where the user tapped.
export function featureDetails(ctx, layer, id, tileProps, tileGeometry, at) {
  const el = h('div', { class: 'feature-detail', 'data-layer': layer, 'data-id': id ?? '' }, h('p', { class: 'muted' }, '加载中…'));
  const cases = h('div', { class: 'case-list' });
  // a risk point's patrols, and when it is due (the tile's patrol state)
  const patrols = h('div', { class: 'patrol-list' });
  const load = async () => {
    let f = { id, geometry: tileGeometry, properties: tileProps || {} };
    let failed = null;
    try {
      if (id !== undefined && id !== null) f = await api.get(`/api/v1/${layer}/${id}`);
    } catch (e) {
      failed = e;
    }
    const p = f.properties || {};
    const point = f.geometry && f.geometry.type === 'Point' ? f.geometry.coordinates : at;
    let loc = null;
    if (point && layer !== 'areas') {
      try { loc = await api.get(`/api/v1/locate?lon=${point[0]}&lat=${point[1]}`); } catch { /* shown without names */ }
    }
    const keys = Object.keys(PROPS).filter((k) => k in p && !SKIP.has(k));
    const colour = layer === 'risk_points' ? RISK_COLOURS[p.risk_level] : null;
    const title = p.name || (layer === 'grids' && loc ? loc.grid.name : '') || LAYERS[layer] || '详情';
    const canReportHere = ctx.canReport && f.geometry && f.geometry.type === 'Point' && (layer === 'risk_points' || layer === 'hazard_sources');
    const edit = failed ? null : await editActions(ctx, layer, f);
    clear(el,
      h('div', { class: 'case-card-top' }, h('span', { class: 'badge', style: { background: colour || '#546E7A' } }, LAYERS[layer] || '要素')),
      h('h3', {}, title),
      edit,
      failed ? failBox('详细信息读取失败，以下为地图上的信息', failed, { retry: () => load() }) : null,
      h('dl', { class: 'props' },
        layer === 'grids' && p.code ? [h('dt', {}, '网格编码'), h('dd', { class: 'mono' }, p.code)] : null,
        layer === 'areas' && p.code ? [h('dt', {}, '区划代码'), h('dd', { class: 'mono' }, p.code)] : null,
        keys.filter((k) => k !== 'code').map((k) => [h('dt', {}, PROPS[k]), h('dd', {}, propValue(k, p[k]))]),
        placeRows(loc, layer).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
        p.updated_at ? [h('dt', {}, '更新时间'), h('dd', {}, fmtTime(p.updated_at))] : null),
      Array.isArray(p.inventory) && p.inventory.length ? [h('h4', {}, '物资清单'), h('table', { class: 'table' },
        h('tbody', {}, p.inventory.map((it) => h('tr', {}, h('td', {}, it.item), h('td', {}, `${it.quantity} ${it.unit || ''}`)))))] : null,
      canReportHere ? h('button', { type: 'button', class: 'primary', 'data-testid': 'report-here',
        onclick: () => ctx.go('report', layer === 'risk_points' ? { riskPoint: f } : { hazardSource: f }) }, '在此上报隐患') : null,
      (layer === 'grids' || (layer === 'areas' && ['township', 'village'].includes(p.level))) ? printButton(p.code, p.name)
        : (p.grid_code ? printButton(p.grid_code, loc && loc.grid ? loc.grid.name : '本网格') : null),
      layer === 'risk_points' && ctx.user.role === 'worker' && p.status === 'active' ? h('button', { type: 'button', class: 'secondary',
        'data-testid': 'patrol-here', onclick: () => ctx.openSheet((body) => patrolForm(ctx, { ...f, properties: { ...tileProps, ...p } }, body)) }, '巡查') : null,
      patrols,
      cases,
      id !== undefined && id !== null ? historyTimeline(ctx, layer, id, areaNames(loc, p)) : null);
    if (layer === 'risk_points' && id !== undefined && id !== null) {
      const due = tileProps && tileProps.due_on ? h('p', { 'data-testid': 'patrol-due', class: tileProps.patrol === 'overdue' ? 'form-error' : 'muted' },
        `下次巡查：${tileProps.due_on}${tileProps.patrol === 'overdue' ? '（已逾期）' : tileProps.patrol === 'due' ? '（即将到期）' : ''}`) : null;
      patrolHistory(id).then((list) => clear(patrols, due, list));
    }
    // the cases of a grid, or of the grid a point lies in
    const grid = layer === 'grids' ? p.code : p.grid_code;
    if (grid && /^\d{15}$/.test(grid)) {
      try {
        const r = await api.get(`/api/v1/cases?area=${grid}&limit=20`);
        const name = layer === 'grids' ? title : (loc && loc.grid ? loc.grid.name : '所在网格');
        clear(cases, h('h4', {}, `${name}的隐患（最近 ${r.features.length} 件）`),
          r.features.length ? r.features.map((c) => caseSummary(c, { onOpen: (x) => ctx.openCase(x.id) })) : h('p', { class: 'muted' }, '暂无'));
      } catch { /* outside the user's cases: nothing to list */ }
    }
  };
  load().catch((e) => clear(el, failBox('无法显示详细信息', e, { retry: () => load() })));
  return el;
}
