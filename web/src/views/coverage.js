// The planner's coverage overlay: which grids lie within reach of a
// facility (GET /api/v1/coverage for the shares and the list; the coverage
// tile layer on the map).
import { api } from '../api.js';
import { h, clear, failBox } from '../ui.js';
import { pct } from '../labels.js';
import { setCoverage, setGroupVisible } from '../map.js';

export function coverageView(ctx) {
  const facility = h('select', { name: 'facility' }, h('option', { value: 'stations' }, '应急站点'), h('option', { value: 'depots' }, '物资储备仓库'));
  const dist = h('input', { type: 'number', name: 'max_distance_m', value: 5000, min: 100, step: 100 });
  const out = h('div', { 'data-testid': 'coverage' });
  const run = async () => {
    clear(out, h('p', { class: 'muted' }, '计算中…'));
    const q = `facility=${facility.value}&max_distance_m=${dist.value}`;
    let r;
    try {
      r = await api.get(`/api/v1/coverage?${q}`);
    } catch (e) {
      setCoverage(ctx.map, null);
      clear(out, h('p', { class: 'empty', 'data-testid': 'coverage-empty' }, '暂无数据'),
        e.status === 404 ? h('p', { class: 'muted' }, '服务器尚未提供覆盖分析。') : failBox('计算失败', e, { retry: run }));
      return;
    }
    setCoverage(ctx.map, q);
    setGroupVisible(ctx.map, 'coverage', true);
    const sh = r.share || {};
    clear(out,
      h('div', { class: 'totals' }, [['网格', sh.grids], ['面积', sh.area], ['人口', sh.population], ['风险加权', sh.risk_weighted]].map(([k, v]) =>
        h('div', { class: 'total' }, h('div', { class: 'total-v' }, pct(v)), h('div', { class: 'total-k' }, `${k}覆盖率`)))),
      h('h3', {}, `未覆盖网格（${(r.uncovered_grids || []).length}）`),
      h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', {}, '网格'), h('th', {}, '编码'), h('th', {}, '最近设施距离'))),
        h('tbody', {}, (r.uncovered_grids || []).slice(0, 200).map((g) => h('tr', {}, h('td', {}, g.name), h('td', { class: 'mono' }, g.code),
          h('td', {}, g.distance_m === null || g.distance_m === undefined ? '—' : `${(g.distance_m / 1000).toFixed(1)} 公里`))))));
  };
  return h('section', { class: 'view coverage' }, h('h2', {}, '应急资源覆盖分析'),
    h('form', { class: 'stats-form', onsubmit: (e) => { e.preventDefault(); run(); } },
      h('label', {}, '设施 ', facility), h('label', {}, '最大直线距离（米） ', dist), h('button', { type: 'submit', class: 'primary' }, '计算')),
    out);
}
