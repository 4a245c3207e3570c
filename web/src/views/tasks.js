// The grid worker's screen: reports waiting to be sent, my tasks (cases
// assigned to me), the cases in my grids, and my grids.
import { getAll } from '../api.js';
import { h, clear, toast, failBox } from '../ui.js';
import { OPEN_STATES, CATEGORIES, fmtTime } from '../labels.js';
import { cases, sortBoard } from '../store.js';
import { queue } from '../queue.js';
import { caseSummary } from '../casepanel.js';
import { bboxOf, fitTo } from '../map.js';

export function tasksView(ctx) {
  const { user, map } = ctx;
  const pending = h('div', { 'data-testid': 'queue' });
  const mine = h('div', { class: 'case-list', 'data-testid': 'my-tasks' });
  const inGrids = h('div', { class: 'case-list', 'data-testid': 'grid-cases' });
  const grids = h('ul', { class: 'grid-list', 'data-testid': 'my-grids' }, h('li', { class: 'muted' }, '加载中…'));

  const renderQueue = (recs) => {
    if (!recs.length) { clear(pending); return; }
    clear(pending, h('div', { class: 'queue-box' },
      h('h3', {}, `待发送（${recs.length}）`),
      h('ul', {}, recs.map((r) => h('li', { 'data-queued': r.id },
        h('div', {}, r.kind === 'request' ? r.label : `${CATEGORIES[r.feature.properties.category]} · ${r.feature.properties.description.slice(0, 40)}`),
        h('div', { class: 'muted' }, `${fmtTime(r.created)} · 照片 ${r.kind === 'request' ? (r.form || []).filter((f) => f.blob).length : r.photos.length} 张` +
          `${r.caseSent ? ' · 已上报，照片待发送' : ''}`),
        r.error ? h('div', { class: r.error.permanent ? 'form-error' : 'muted' }, r.error.permanent ? `服务器拒绝：${r.error.text || r.error.message}` : '网络不可用，等待重发') : null,
        r.error && r.error.permanent ? h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', onclick: () => queue.retry(r.id) }, '重试'),
          h('button', { type: 'button', class: 'secondary', onclick: async () => { if (confirm('确定删除这条未发送的上报？')) await queue.remove(r.id); } }, '删除')) : null))),
      h('button', { type: 'button', class: 'primary', 'data-testid': 'send-now', onclick: async () => {
        if (!navigator.onLine) { toast('当前离线，恢复网络后自动发送', 'info'); return; }
        const sent = await queue.flush();
        if (sent.length) toast(`已发送 ${sent.length} 条上报`, 'ok');
      } }, '立即发送')));
  };

  const renderCases = () => {
    const open = cases.list().filter((f) => OPEN_STATES.includes(f.properties.state));
    const assigned = sortBoard(open.filter((f) => f.properties.assignee === user.id));
    const others = sortBoard(open.filter((f) => f.properties.assignee !== user.id));
    const open1 = (f) => ctx.openCase(f.id);
    clear(mine, assigned.length ? assigned.map((f) => caseSummary(f, { onOpen: open1 })) : h('p', { class: 'muted' }, '暂无指派给我的整改任务'));
    clear(inGrids, others.length ? others.map((f) => caseSummary(f, { onOpen: open1 })) : h('p', { class: 'muted' }, '我的网格内暂无未销号隐患'));
  };

  let gridList = null;
  const renderGrids = () => {
    if (!gridList) return;
    const list = gridList;
    const counts = {};
    for (const f of cases.list()) if (OPEN_STATES.includes(f.properties.state)) counts[f.properties.grid_code] = (counts[f.properties.grid_code] || 0) + 1;
    clear(grids, list.map((g) => h('li', {},
      h('button', { type: 'button', class: 'link', onclick: () => { ctx.go('map'); fitTo(map, bboxOf([g])); } },
        `${g.properties.name}`, h('span', { class: 'mono' }, ` ${g.properties.code}`)),
      h('span', { class: 'muted' }, ` 网格员 ${g.properties.worker || '—'} · 未销号隐患 ${counts[g.properties.code] || 0}`))));
    if (!list.length) clear(grids, h('li', { class: 'muted' }, '暂无网格'));
  };
  // the last list is kept on the phone, for when there is no signal
  const cacheKey = `riskmap.grids.${user.id}`;
  const loadGrids = async () => {
    try {
      gridList = await getAll('/api/v1/grids?limit=200', 500);
      try { localStorage.setItem(cacheKey, JSON.stringify(gridList)); } catch { /* full: no cache */ }
      renderGrids();
    } catch (e) {
      try { gridList = JSON.parse(localStorage.getItem(cacheKey) || 'null'); } catch { gridList = null; }
      if (gridList) {
        renderGrids();
        grids.append(h('li', { class: 'muted' }, '离线：显示上次加载的网格'));
      } else {
        clear(grids, h('li', {}, failBox('网格加载失败', e, { retry: loadGrids })));
      }
    }
  };

  const unsubQ = queue.onChange(renderQueue);
  const unsubC = cases.on(() => { renderCases(); renderGrids(); });
  queue.all().then(renderQueue);
  renderCases();
  loadGrids();
  const el = h('section', { class: 'view tasks' },
    h('div', { class: 'view-head' }, h('h2', {}, '我的任务'),
      h('button', { type: 'button', class: 'primary', 'data-testid': 'new-report', onclick: () => ctx.go('report') }, '＋ 上报隐患')),
    pending,
    h('h3', {}, '指派给我的整改'), mine,
    h('h3', {}, '我网格内的隐患'), inGrids,
    h('h3', {}, '我的网格'), grids);
  el.cleanup = () => { unsubQ(); unsubC(); };
  return el;
}
