// Proposals (docs/editing.md): a grid worker proposes a new risk point at a
// tapped place, with a reason and a photo; the township office reviews the
// pending ones, compares with what stands, approves (applied at once) or
// rejects with a reason the worker reads. The worker's list and map follow
// the decision without a reload.
import { api, request } from '../api.js';
import { h, clear, field, select, toast, errorText } from '../ui.js';
import { hasChinese, FIELD_NAMES } from '../messages.js';
import { CATEGORIES, RISK_LEVELS } from '../labels.js';
import { pickPoint, showMarker, reloadTiles } from '../map.js';

const STATE = { pending: '待审核', approved: '已采纳', rejected: '未采纳', withdrawn: '已撤回' };
const KIND = { create: '新增风险点', update: '修改风险点', retire: '退役风险点' };

// fieldErrors puts the server's field errors next to their fields.
function fieldErrors(form, err) {
  for (const el of form.querySelectorAll('.form-error[data-for]')) el.textContent = '';
  for (const d of err.details || []) {
    const name = (d.field || '').replace(/^feature\.properties\./, '').replace(/^feature\.geometry.*/, 'where');
    const el = form.querySelector(`.form-error[data-for="${name}"]`) || form.querySelector('.form-error[data-for="_"]');
    if (el) el.textContent = hasChinese(d.message) ? d.message : (FIELD_NAMES[d.field] ? `${FIELD_NAMES[d.field]}有误` : errorText(err));
  }
}

function proposalCard(ctx, p, actions) {
  const props = p.feature && p.feature.properties ? p.feature.properties : {};
  return h('li', { class: 'proposal', 'data-proposal': p.id, 'data-state': p.state },
    h('div', {}, h('strong', {}, `${KIND[p.kind] || p.kind}`), ' ', h('span', { class: `badge state-${p.state}` }, STATE[p.state] || p.state),
      p.stale ? h('span', { class: 'badge warn', 'data-stale': 'true' }, '风险点已被修改') : null),
    props.name ? h('div', {}, `名称：${props.name}`) : null,
    props.risk_level ? h('div', {}, `风险等级：${RISK_LEVELS[props.risk_level]}`) : null,
    h('div', {}, `理由：${p.reason}`),
    h('div', { class: 'muted' }, `${p.proposed_by_name} · ${new Date(p.proposed_at).toLocaleString('zh-CN', { hour12: false })} · 网格 ${p.grid_code}`),
    p.decision_note ? h('div', { class: p.state === 'rejected' ? 'form-error' : 'muted' }, `审核意见：${p.decision_note}`) : null,
    p.photos && p.photos.length ? h('div', { class: 'muted' }, `照片 ${p.photos.length} 张`) : null,
    h('button', { type: 'button', class: 'link', onclick: () => { ctx.showMap(); ctx.map.flyTo({ center: p.location.coordinates, zoom: 17 }); showMarker(ctx.map, p.location.coordinates); } }, '在地图上查看'),
    actions);
}

// The pending proposals on the map, for those who review them: purple
// rings where workers propose points (source proposals-pending), kept
// current by main.js on the live feed's notifications and feature events.
const PENDING = 'proposals-pending';
export function drawPending(map, proposals) {
  const data = { type: 'FeatureCollection', features: proposals.filter((p) => p.location).map((p) => ({
    type: 'Feature', geometry: p.location,
    properties: { id: p.id, kind: p.kind, name: (p.feature && p.feature.properties && p.feature.properties.name) || '' } })) };
  if (map.getSource(PENDING)) { map.getSource(PENDING).setData(data); return; }
  map.addSource(PENDING, { type: 'geojson', data });
  map.addLayer({ id: PENDING, type: 'circle', source: PENDING,
    paint: { 'circle-radius': 10, 'circle-color': 'rgba(142,36,170,0.2)', 'circle-stroke-color': '#8E24AA', 'circle-stroke-width': 3 } });
}

export async function loadPending(ctx) {
  try {
    drawPending(ctx.map, (await api.get('/api/v1/proposals?state=pending')).proposals);
  } catch (e) {
    console.warn('pending proposals', e); // the 建议 view says why when opened
  }
}

export function proposalsView(ctx) {
  return ctx.user.role === 'worker' ? workerView(ctx) : reviewView(ctx);
}

function workerView(ctx) {
  const { map } = ctx;
  let point = null;
  const where = h('p', { class: 'muted', 'data-testid': 'proposal-where' }, '尚未选择位置');
  const list = h('ul', { class: 'proposal-list', 'data-testid': 'my-proposals' });
  const photo = h('input', { type: 'file', name: 'photo', accept: 'image/*', capture: 'environment' });
  const err = (name) => h('span', { class: 'form-error', 'data-for': name });
  const form = h('form', { class: 'proposal-form', 'data-testid': 'proposal-form' },
    h('button', { type: 'button', class: 'secondary', 'data-testid': 'proposal-pick', onclick: async () => {
      ctx.showMap();
      const ll = await pickPoint(map, '请点选新风险点的位置');
      ctx.showPanel();
      if (ll) { point = [Number(ll.lng.toFixed(7)), Number(ll.lat.toFixed(7))]; showMarker(map, point); where.textContent = `位置：${point[0].toFixed(6)}, ${point[1].toFixed(6)}`; }
    } }, '在地图上点选位置'),
    where, err('where'),
    field('名称', h('input', { name: 'name', maxlength: 500 })), err('name'),
    field('类别', select('category', CATEGORIES, 'flood')), err('category'),
    field('风险等级', select('risk_level', RISK_LEVELS, '3')), err('risk_level'),
    field('理由', h('textarea', { name: 'reason', rows: 2, placeholder: '例如：新开工地边坡，雨季易滑坡' })), err('reason'),
    field('现场照片', photo), err('_'),
    h('button', { type: 'submit', class: 'primary wide' }, '提交建议'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const proposal = {
      id: crypto.randomUUID(), layer: 'risk_points', reason: fd.get('reason'),
      feature: { type: 'Feature', geometry: point ? { type: 'Point', coordinates: point } : null,
        properties: { name: fd.get('name'), category: fd.get('category'), risk_level: Number(fd.get('risk_level')) } },
    };
    const body = new FormData();
    body.append('proposal', JSON.stringify(proposal));
    if (photo.files[0]) body.append('file', photo.files[0], photo.files[0].name);
    try {
      await request('POST', '/api/v1/proposals', { body });
      toast('建议已提交，等待镇街审核');
      form.reset();
      point = null;
      where.textContent = '尚未选择位置';
      await load();
    } catch (ex) {
      fieldErrors(form, ex);
      toast(`提交失败：${errorText(ex)}`, 'error');
    }
  });
  // the decision comes on the live feed (main.js: onProposal reloads this
  // list; the approved point reaches the map by its feature event)
  async function load() {
    let r;
    try { r = await api.get('/api/v1/proposals'); } catch (ex) { clear(list, h('li', { class: 'error' }, `读取失败：${errorText(ex)}`)); return; }
    clear(list, r.proposals.length ? r.proposals.map((p) => proposalCard(ctx, p, null)) : h('li', { class: 'muted' }, '暂无建议'));
  }
  load();
  return Object.assign(h('section', { class: 'view proposals' }, h('h2', {}, '建议新增风险点'),
    h('p', { class: 'muted' }, '发现新的风险点时提交建议，镇街审核通过后即出现在地图上。'), form, h('h3', {}, '我的建议'), list),
  { reload: load });
}

function reviewView(ctx) {
  const list = h('ul', { class: 'proposal-list', 'data-testid': 'review-proposals' });
  async function load() {
    let r;
    try { r = await api.get('/api/v1/proposals?state=pending'); } catch (ex) { clear(list, h('li', { class: 'error' }, `读取失败：${errorText(ex)}`)); return; }
    drawPending(ctx.map, r.proposals);
    clear(list, r.proposals.length ? r.proposals.map((p) => {
      const reason = h('input', { name: 'reject_reason', placeholder: '驳回理由（网格员可见）' });
      const act = async (action) => {
        const body = { action, version: p.version };
        if (action === 'reject') body.reason = reason.value;
        if (action === 'approve' && p.stale && p.target_version) body.target_version = p.target_version;
        try {
          await api.post(`/api/v1/proposals/${p.id}/actions`, body);
          toast(action === 'approve' ? '已采纳，地图已更新' : '已驳回');
          reloadTiles(ctx.map);
          await load();
        } catch (ex) { toast(`操作失败：${errorText(ex)}`, 'error'); }
      };
      return proposalCard(ctx, p, h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', 'data-action': 'approve', onclick: () => act('approve') }, '采纳'),
        reason,
        h('button', { type: 'button', class: 'secondary', 'data-action': 'reject', onclick: () => act('reject') }, '驳回')));
    }) : h('li', { class: 'muted' }, '暂无待审核的建议'));
  }
  load();
  return Object.assign(h('section', { class: 'view proposals' }, h('h2', {}, '网格员建议审核'),
    h('button', { type: 'button', class: 'link', onclick: load }, '刷新'), list), { reload: load });
}
