// 待发送: the queue as the worker sees it — every item with what it is, when
// it was made, its photos, and where it stands; an item the server refused
// shows the server's message and the ways to resolve it (retry as it is,
// retry on the case's current version, open the case, or delete it).
import { api } from '../api.js';
import { h, clear, toast, errorText } from '../ui.js';
import { ACTIONS, CATEGORIES, fmtTime } from '../labels.js';
import { queue } from '../queue.js';

// what a refusal means for the worker, ahead of the server's own words
const REFUSALS = { 409: '案件已有变化，可能已被他人处理', 403: '无权进行此操作', 404: '案件不存在或不在您的范围内', 413: '照片过大', 422: '内容不符合要求' };

function what(r) {
  if (r.kind === 'report') {
    const p = r.feature.properties;
    return `上报隐患 · ${CATEGORIES[p.category] || p.category} · ${String(p.description || '').slice(0, 40)}`;
  }
  if (r.kind === 'action') return r.label || `${ACTIONS[r.action] || r.action} · 案件 ${r.caseId.slice(0, 8)}`;
  return r.label || `${r.method || 'POST'} ${r.url}`;
}

// photoCount: the photos an item carries (a request's are its form's files)
const photoCount = (r) => (r.kind === 'request' ? (r.form || []).filter((f) => f.blob).length : (r.photos || []).length);

function where(r) {
  if (!r.error) return h('div', { class: 'muted' }, '等待发送');
  switch (r.error.kind) {
    case 'refused':
      return h('div', { class: 'form-error', 'data-testid': 'refused' }, `服务器拒绝（${r.error.status}，${REFUSALS[r.error.status] || '请求有误'}）：${r.error.text || r.error.message}`);
    case 'blocked':
      return h('div', { class: 'muted' }, r.error.message);
    case 'network':
      return h('div', { class: 'muted' }, '网络不可用，等待重发');
    default:
      return h('div', { class: 'muted' }, `暂未发送（${r.error.message}），稍后自动重试`);
  }
}

// outbox renders the queue into a box kept current; ctx.openCase opens a case.
export function outbox(ctx) {
  const box = h('div', { 'data-testid': 'queue' });
  const resolve = (r) => {
    const out = [h('button', { type: 'button', class: 'secondary', 'data-testid': 'queue-retry', onclick: () => queue.retry(r.id) }, '重试')];
    if (r.kind === 'action' && r.error.status === 409) {
      // the case moved on meanwhile: act on it as it is now, if the action still fits
      out.push(h('button', { type: 'button', class: 'secondary', 'data-testid': 'queue-rebase', onclick: async () => {
        try {
          const doc = await api.get(`/api/v1/cases/${r.caseId}`);
          await queue.retry(r.id, { version: doc.properties.version, after: false });
          const left = await queue.get(r.id);
          toast(left ? `仍未成功：${left.error ? (left.error.text || left.error.message) : '等待发送'}` : `${ACTIONS[r.action]}：已完成`, left ? 'error' : 'ok');
        } catch (e) {
          toast(`无法读取案件：${errorText(e)}`, 'error');
        }
      } }, '按案件最新状态重试'));
    }
    if (r.caseId && ctx.openCase && r.kind === 'action') {
      out.push(h('button', { type: 'button', class: 'secondary', onclick: () => ctx.openCase(r.caseId) }, '查看案件'));
    }
    out.push(h('button', { type: 'button', class: 'secondary', 'data-testid': 'queue-delete', onclick: async () => {
      const photos = r.photos && r.photos.length ? `（含照片 ${r.photos.length} 张）` : '';
      if (confirm(`确定删除这项未发送的内容${photos}？删除后不可恢复。`)) await queue.remove(r.id);
    } }, '删除'));
    return h('div', { class: 'actions' }, out);
  };
  const render = (recs) => {
    if (!recs.length) { clear(box); return; }
    const refused = recs.filter((r) => r.error && r.error.kind === 'refused').length;
    clear(box, h('div', { class: `queue-box${refused ? ' has-refused' : ''}` },
      h('h3', {}, `待发送（${recs.length}）`, refused ? h('span', { class: 'form-error' }, ` · ${refused} 项被拒绝，需要处理`) : null),
      h('ul', {}, recs.map((r) => h('li', { 'data-queued': r.id, 'data-kind': r.kind, 'data-state': r.error ? r.error.kind : 'waiting' },
        h('div', {}, what(r)),
        h('div', { class: 'muted' }, `${fmtTime(r.created)} 保存`, photoCount(r) ? ` · 照片 ${photoCount(r)} 张` : '',
          r.kind === 'report' && r.caseSent ? ' · 已上报，照片待发送' : ''),
        where(r),
        r.error && r.error.kind === 'refused' ? resolve(r) : null))),
      h('button', { type: 'button', class: 'primary', 'data-testid': 'send-now', onclick: async () => {
        if (!navigator.onLine) { toast('当前离线，恢复网络后自动发送', 'info'); return; }
        const sent = await queue.flush();
        if (sent.length) toast(`已发送 ${sent.length} 项`, 'ok');
      } }, '立即发送')));
  };
  const unsub = queue.onChange(render);
  queue.all().then(render);
  box.cleanup = unsub;
  return box;
}
