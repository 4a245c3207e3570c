// A feature's history as a timeline (GET /api/v1/{layer}/{id}/history):
// who, when, how, what changed; a version that moved the feature shows its
// old geometry on the map.
import { api } from '../api.js';
import { h, clear, errorText } from '../ui.js';
import { PROPS, propValue } from '../labels.js';

const VIA = { api: '接口', app: '网页端', proposal: '网格员建议（审核通过）', import: '导入任务', sql: '数据库直接修改（QGIS/SQL）', demo: '演示数据' };
const ACTION = { insert: '新建', update: '修改', delete: '删除' };
const SOURCE = 'history-geometry';
// columns the details panel does not show but a change may name; an
// importer's own key (external_id) is bookkeeping, like the version
const FIELDS = { import_job_id: '导入任务', geom: '位置' };
const HIDDEN = new Set(['external_id']);

// showOld draws a geometry (or clears it with null) on the map.
export function showOld(map, geometry) {
  const data = { type: 'FeatureCollection', features: geometry ? [{ type: 'Feature', geometry, properties: {} }] : [] };
  if (!map.getSource(SOURCE)) {
    map.addSource(SOURCE, { type: 'geojson', data });
    map.addLayer({ id: 'history-old-fill', type: 'fill', source: SOURCE, filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'fill-color': '#546E7A', 'fill-opacity': 0.15 } });
    map.addLayer({ id: 'history-old-line', type: 'line', source: SOURCE, filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': '#37474F', 'line-width': 2, 'line-dasharray': [2, 2] } });
    map.addLayer({ id: 'history-old-point', type: 'circle', source: SOURCE, filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 8, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#37474F', 'circle-stroke-width': 2.5 } });
  } else {
    map.getSource(SOURCE).setData(data);
  }
}

// who made a change: a person's name; the demo loader and the database
// itself are not people and read as such.
const ACTORS = { demo: '系统', system: '系统', postgres: '数据库', riskmap: '系统' };
function actorName(a) {
  if (!a || !a.name) return '未记录';
  return ACTORS[a.name] || a.name;
}

// value words a field's value: an area or grid code by the name the panel
// knows it by (names: code → name), else as the details panel shows it.
function value(field, v, names) {
  if (v === null || v === undefined || v === '') return '—';
  if (/_code$|^code$/.test(field) && names[v]) return names[v];
  return propValue(field, v);
}

function when(t) {
  return new Date(t).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}

export function historyTimeline(ctx, layer, id, names = {}) {
  const el = h('div', { class: 'history', 'data-history': `${layer}/${id}` }, h('h4', {}, '修改记录'), h('p', { class: 'muted' }, '读取中…'));
  (async () => {
    let r;
    try {
      r = await api.get(`/api/v1/${layer}/${id}/history`);
    } catch (e) {
      clear(el, h('h4', {}, '修改记录'), h('p', { class: 'error' }, `修改记录读取失败：${errorText(e)}`));
      return;
    }
    const items = [...r.versions].reverse().map((v) => {
      const how = v.via === 'import' && v.import_job_id ? `导入任务 ${v.import_job_id}` : (VIA[v.via] || '未记录');
      const by = v.proposal ? `${actorName(v.actor)}（批准 ${actorName(v.proposal.proposed_by)} 的建议：${v.proposal.reason}）` : actorName(v.actor);
      const changes = v.changes.filter((c) => !HIDDEN.has(c.field)).map((c) => h('li', {}, `${PROPS[c.field] || FIELDS[c.field] || c.field}：${value(c.field, c.before, names)} → ${value(c.field, c.after, names)}`));
      const moved = v.geometry_changed && v.geometry_before
        ? h('button', { type: 'button', class: 'link', 'data-old-geometry': v.version,
          onclick: () => { showOld(ctx.map, v.geometry_before); ctx.showMap(); } }, v.geometry_after ? '在地图上显示原位置' : '在地图上显示删除前位置')
        : null;
      return h('li', { class: 'history-item', 'data-version': v.version },
        h('div', {}, h('strong', {}, `${ACTION[v.action] || v.action} · 第 ${v.version ?? '?'} 版`), ' ', h('span', { class: 'muted' }, when(v.at))),
        h('div', {}, `${by} · ${how}`),
        changes.length ? h('ul', {}, changes) : null,
        v.geometry_changed && v.action === 'update' ? h('div', { class: 'muted' }, '位置或形状已改变') : null,
        moved);
    });
    clear(el, h('h4', {}, `修改记录（${r.versions.length}）`),
      items.length ? h('ol', { class: 'timeline' }, items) : h('p', { class: 'muted' }, '暂无记录'),
      h('button', { type: 'button', class: 'link', onclick: () => showOld(ctx.map, null) }, '清除原位置'));
  })();
  return el;
}
