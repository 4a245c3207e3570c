// The grid worker's screen: what waits to be sent, my tasks (cases
// assigned to me), the cases in my grids, and my grids —
// with no signal, as last synced (the phone keeps each list).
import { getAll } from '../api.js';
import { h, clear, failBox } from '../ui.js';
import { OPEN_STATES, fmtTime } from '../labels.js';
import { cases, sortBoard } from '../store.js';
import { caseSummary } from '../casepanel.js';
import { bboxOf, fitTo } from '../map.js';
import { cachedGet, snapshots } from '../snapshot.js';
import { outbox } from './outbox.js';

export function tasksView(ctx) {
  const { user, map } = ctx;
  const pending = outbox(ctx);
  const synced = h('p', { class: 'offline-note', 'data-testid': 'tasks-synced', hidden: true });
  const mine = h('div', { class: 'case-list', 'data-testid': 'my-tasks' });
  const inGrids = h('div', { class: 'case-list', 'data-testid': 'grid-cases' });
  const grids = h('ul', { class: 'grid-list', 'data-testid': 'my-grids' }, h('li', { class: 'muted' }, '加载中…'));

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
  const loadGrids = async () => {
    try {
      gridList = await cachedGet('/api/v1/grids?limit=500', (p) => getAll(p, 500));
      renderGrids();
    } catch (e) {
      clear(grids, h('li', {}, failBox('网格加载失败', e, { retry: loadGrids })));
    }
  };
  const paintSynced = (at) => {
    synced.hidden = !at;
    synced.textContent = at ? `离线：显示 ${fmtTime(at)} 同步的数据` : '';
  };

  const unsubC = cases.on(() => { renderCases(); renderGrids(); });
  const unsubS = snapshots.onChange(paintSynced);
  paintSynced(snapshots.stale);
  renderCases();
  loadGrids();
  const el = h('section', { class: 'view tasks' },
    h('div', { class: 'view-head' }, h('h2', {}, '我的任务'),
      h('button', { type: 'button', class: 'primary', 'data-testid': 'new-report', onclick: () => ctx.go('report') }, '＋ 上报隐患')),
    synced,
    pending,
    h('h3', {}, '指派给我的整改'), mine,
    h('h3', {}, '我网格内的隐患'), inGrids,
    h('h3', {}, '我的网格'), grids,
    h('button', { type: 'button', class: 'secondary wide', 'data-testid': 'open-offline', onclick: () => ctx.openOffline() }, '下载离线地图 · 存储'));
  el.cleanup = () => { pending.cleanup(); unsubC(); unsubS(); };
  return el;
}
