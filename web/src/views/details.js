// Details of a map feature (risk point, hazard source, station, depot,
// grid, area) read from the API, with the hidden-hazard cases nearby.
import { api } from '../api.js';
import { h, clear } from '../ui.js';
import { LAYERS, PROPS, propValue, RISK_COLOURS } from '../labels.js';
import { caseSummary } from '../casepanel.js';

const SKIP = new Set(['created_at', 'updated_at', 'inventory', 'external_id']);

export function featureDetails(ctx, layer, id, tileProps) {
  const el = h('div', { class: 'feature-detail', 'data-layer': layer, 'data-id': id });
  const cases = h('div', { class: 'case-list' });
  (async () => {
    let f = { id, properties: tileProps || {} };
    try {
      if (id !== undefined && id !== null) f = await api.get(`/api/v1/${layer}/${id}`);
    } catch (e) {
      el.append(h('p', { class: 'muted' }, `详细信息读取失败：${e.message}`));
    }
    const p = f.properties;
    const keys = [...Object.keys(PROPS).filter((k) => k in p), ...Object.keys(p).filter((k) => !(k in PROPS) && !SKIP.has(k)).sort()];
    const colour = layer === 'risk_points' ? RISK_COLOURS[p.risk_level] : null;
    clear(el,
      h('div', { class: 'case-card-top' }, h('span', { class: 'badge', style: { background: colour || '#546E7A' } }, LAYERS[layer] || layer)),
      h('h3', {}, p.name || p.code || `#${id}`),
      h('dl', { class: 'props' }, keys.filter((k) => k !== 'name').map((k) => [h('dt', {}, PROPS[k] || k), h('dd', {}, propValue(k, p[k]))])),
      Array.isArray(p.inventory) && p.inventory.length ? [h('h4', {}, '物资清单'), h('table', { class: 'table' },
        h('tbody', {}, p.inventory.map((it) => h('tr', {}, h('td', {}, it.item), h('td', {}, `${it.quantity} ${it.unit || ''}`)))))] : null,
      layer === 'risk_points' && ctx.canReport ? h('button', { type: 'button', class: 'primary', onclick: () => ctx.go('report', { riskPoint: f }) }, '在此上报隐患') : null,
      cases);
    // the cases of a grid, or of the grid a point lies in
    const grid = layer === 'grids' ? p.code : p.grid_code;
    if (grid && /^\d{15}$/.test(grid)) {
      try {
        const r = await api.get(`/api/v1/cases?area=${grid}&limit=20`);
        clear(cases, h('h4', {}, `网格 ${grid} 的隐患（最近 ${r.features.length} 件）`),
          r.features.length ? r.features.map((c) => caseSummary(c, { onOpen: (x) => ctx.openCase(x.id) })) : h('p', { class: 'muted' }, '暂无'));
      } catch { /* outside the user's cases: nothing to list */ }
    }
  })();
  return el;
}
