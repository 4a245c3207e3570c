// The offices' case board: one column per state, overdue cases first; the
// live feed keeps it current. 新建隐患 enters a hazard phoned in by a
// resident; filters narrow it to a township, to overdue cases, to a grade,
// and for the county and city to what waits for them (待县区处理).
import { h, clear } from '../ui.js';
import { STATES, STATE_COLOURS, GRADES } from '../labels.js';
import { cases, sortBoard, waitsForCounty } from '../store.js';
import { caseSummary } from '../casepanel.js';

const COLUMNS = ['reported', 'registered', 'assigned', 'rectifying', 'submitted', 'suspended', 'closed'];

export function boardView(ctx) {
  const { user } = ctx;
  const county = ['county', 'city', 'admin'].includes(user.role);
  const filters = { overdue: false, grade: '', township: '', county: false };
  const cols = h('div', { class: 'board', 'data-testid': 'board' });
  const summary = h('p', { class: 'muted', 'data-testid': 'board-summary' });
  const townships = h('select', { 'aria-label': '镇街', 'data-testid': 'township-filter', onchange: (e) => { filters.township = e.target.value; render(); } });
  const paintTownships = () => {
    const names = new Map();
    for (const f of cases.list()) names.set(f.properties.township_code, f.properties.township_name || f.properties.township_code);
    const sorted = [...names].sort((a, b) => a[0].localeCompare(b[0]));
    if (filters.township && !names.has(filters.township)) filters.township = '';
    clear(townships, h('option', { value: '' }, '全部镇街'), sorted.map(([code, name]) => h('option', { value: code, selected: code === filters.township }, name)));
    townships.hidden = sorted.length < 2 && !filters.township;
  };
  const render = () => {
    paintTownships();
    let list = cases.list();
    if (filters.township) list = list.filter((f) => f.properties.township_code === filters.township);
    if (filters.overdue) list = list.filter((f) => f.properties.overdue);
    if (filters.grade) list = list.filter((f) => f.properties.grade === filters.grade);
    if (filters.county) list = list.filter((f) => waitsForCounty(f.properties));
    const open = list.filter((f) => f.properties.state !== 'closed');
    const overdue = open.filter((f) => f.properties.overdue).length;
    const forCounty = county ? open.filter((f) => waitsForCounty(f.properties)).length : 0;
    summary.textContent = `共 ${open.length} 件未销号，其中逾期 ${overdue} 件${county ? `、待县区处理 ${forCounty} 件` : ''}；已销号列显示近 30 天。`;
    // 挂账 (suspended) only shows when some case is
    clear(cols, COLUMNS.filter((st) => st !== 'suspended' || list.some((f) => f.properties.state === st)).map((st) => {
      const items = sortBoard(list.filter((f) => f.properties.state === st));
      return h('section', { class: 'board-col', 'data-state': st, 'aria-label': STATES[st] },
        h('h3', { style: { borderColor: STATE_COLOURS[st] } }, STATES[st], h('span', { class: 'count' }, String(items.length))),
        h('div', { class: 'case-list' }, items.slice(0, 100).map((f) => caseSummary(f, { onOpen: (x) => ctx.openCase(x.id), showTownship: county, showState: false })),
          items.length > 100 ? h('p', { class: 'muted' }, `另有 ${items.length - 100} 件未显示，请用筛选缩小范围`) : null));
    }));
  };
  const unsub = cases.on(render);
  render();
  const el = h('section', { class: 'view board-view' },
    h('div', { class: 'view-head' }, h('h2', {}, '隐患案件看板'),
      ctx.canReport ? h('button', { type: 'button', class: 'primary', 'data-testid': 'new-case', onclick: () => ctx.go('report') }, '新建隐患') : null),
    h('div', { class: 'filters' },
      townships,
      h('label', {}, h('input', { type: 'checkbox', 'data-testid': 'overdue-filter', onchange: (e) => { filters.overdue = e.target.checked; render(); } }), '只看逾期'),
      county ? h('label', {}, h('input', { type: 'checkbox', 'data-testid': 'county-filter', onchange: (e) => { filters.county = e.target.checked; render(); } }), '待县区处理') : null,
      h('select', { 'aria-label': '隐患等级', onchange: (e) => { filters.grade = e.target.value; render(); } }, h('option', { value: '' }, '全部等级'),
        Object.entries(GRADES).map(([k, v]) => h('option', { value: k }, v)))),
    summary, cols);
  el.cleanup = unsub;
  return el;
}
