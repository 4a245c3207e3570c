// The township office's case board: one column per open state, overdue
// cases first; the live feed keeps it current.
import { h, clear } from '../ui.js';
import { STATES, STATE_COLOURS, GRADES } from '../labels.js';
import { cases, sortBoard } from '../store.js';
import { caseSummary } from '../casepanel.js';

const COLUMNS = ['reported', 'registered', 'assigned', 'rectifying', 'submitted', 'suspended', 'closed'];

export function boardView(ctx) {
  const filters = { overdue: false, grade: '' };
  const cols = h('div', { class: 'board', 'data-testid': 'board' });
  const summary = h('p', { class: 'muted' });
  const render = () => {
    let list = cases.list();
    if (filters.overdue) list = list.filter((f) => f.properties.overdue);
    if (filters.grade) list = list.filter((f) => f.properties.grade === filters.grade);
    const overdue = list.filter((f) => f.properties.overdue).length;
    summary.textContent = `共 ${list.filter((f) => f.properties.state !== 'closed').length} 件未销号，其中逾期 ${overdue} 件；已销号列显示近 30 天。`;
    // 挂账 (suspended) only shows when some case is
    clear(cols, COLUMNS.filter((st) => st !== 'suspended' || list.some((f) => f.properties.state === st)).map((st) => {
      const items = sortBoard(list.filter((f) => f.properties.state === st));
      return h('div', { class: 'board-col', 'data-state': st },
        h('h3', { style: { borderColor: STATE_COLOURS[st] } }, STATES[st], h('span', { class: 'count' }, String(items.length))),
        h('div', { class: 'case-list' }, items.slice(0, 100).map((f) => caseSummary(f, { onOpen: (x) => ctx.openCase(x.id) })),
          items.length > 100 ? h('p', { class: 'muted' }, `另有 ${items.length - 100} 件未显示`) : null));
    }));
  };
  const unsub = cases.on(render);
  render();
  const el = h('section', { class: 'view board-view' },
    h('div', { class: 'view-head' }, h('h2', {}, '隐患案件看板'),
      h('div', { class: 'filters' },
        h('label', {}, h('input', { type: 'checkbox', onchange: (e) => { filters.overdue = e.target.checked; render(); } }), '只看逾期'),
        h('select', { onchange: (e) => { filters.grade = e.target.value; render(); } }, h('option', { value: '' }, '全部等级'),
          Object.entries(GRADES).map(([k, v]) => h('option', { value: k }, v))))),
    summary, cols);
  el.cleanup = unsub;
  return el;
}
