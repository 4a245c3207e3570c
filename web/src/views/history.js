// A feature's history as a timeline (GET /api/v1/{layer}/{id}/history):
// who, when, how, what changed; a version that moved the feature shows its
// old geometry on the map.
import { api } from '../api.js';
import { h, clear } from '../ui.js';
import { PROPS, propValue } from '../labels.js';

const VIA = { api: '接口', app: '网页端', proposal: '网格员建议（审核通过）', import: '导入任务', sql: '数据库直接修改（QGIS/SQL）', demo: '演示数据' };
const ACTION = { insert: '新建', update: '修改', delete: '删除' };
const SOURCE = 'history-geometry';

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

function when(t) {
  return new Date(t).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}

export function historyTimeline(ctx, layer, id) {
  const el = h('div', { class: 'history', 'data-history': `${layer}/${id}` }, h('h4', {}, '修改记录'), h('p', { class: 'muted' }, '读取中…'));
  (async () => {
    let r;
    try {
      r = await api.get(`/api/v1/${layer}/${id}/history`);
    } catch (e) {
      clear(el, h('h4', {}, '修改记录'), h('p', { class: 'error' }, `修改记录读取失败：${e.message}`));
      return;
    }
    const items = [...r.versions].reverse().map((v) => {
      const how = v.via === 'import' && v.import_job_id ? `导入任务 ${v.import_job_id}` : (VIA[v.via] || '未记录');
      const by = v.proposal ? `${v.actor.name}（批准 ${v.proposal.proposed_by.name} 的建议：${v.proposal.reason}）` : v.actor.name;
      const changes = v.changes.map((c) => h('li', {}, `${PROPS[c.field] || c.field}：${c.before === null ? '—' : propValue(c.field, c.before)} → ${c.after === null ? '—' : propValue(c.field, c.after)}`));
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
