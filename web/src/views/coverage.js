// The planner's coverage analysis: which grids lie within reach of a
// facility (GET /api/v1/coverage for the shares and the lists; the coverage
// tile layer on the map, with its legend). Every uncovered grid is listed,
// page by page, sortable by distance, a row flying the map to it; the
// answer downloads as Excel or GeoJSON.
import { api, download } from '../api.js';
import { h, clear, toast, failBox, errorText } from '../ui.js';
import { pct, RISK_LEVELS } from '../labels.js';
import { setCoverage, setGroupVisible, fitTo, showMarker } from '../map.js';

const PAGE = 50;
const km = (m) => (m === null || m === undefined ? '—' : `${(m / 1000).toFixed(1)}`);

// pagedTable draws rows page by page with a header that sorts.
function pagedTable({ columns, rows, sortKey, sortDir = -1, onRow, testid }) {
  let key = sortKey;
  let dir = sortDir;
  let page = 0;
  const wrap = h('div', { class: 'table-wrap', 'data-testid': testid });
  const paint = () => {
    const col = columns.find((c) => c.key === key);
    const sorted = rows.slice().sort((a, b) => {
      const x = col.value(a);
      const y = col.value(b);
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === 'string' ? x.localeCompare(y, 'zh-CN') : x - y) * dir;
    });
    const pages = Math.max(1, Math.ceil(sorted.length / PAGE));
    page = Math.min(page, pages - 1);
    const shown = sorted.slice(page * PAGE, (page + 1) * PAGE);
    clear(wrap,
      h('table', { class: 'table clickable' },
        h('thead', {}, h('tr', {}, columns.map((c) => h('th', { 'aria-sort': c.key === key ? (dir > 0 ? 'ascending' : 'descending') : 'none' },
          c.sort === false ? c.label : h('button', { type: 'button', class: 'sort', 'data-sort': c.key,
            onclick: () => { if (key === c.key) dir = -dir; else { key = c.key; dir = c.numeric ? -1 : 1; } page = 0; paint(); } },
          c.label, c.key === key ? (dir > 0 ? ' ▲' : ' ▼') : ''))))),
        h('tbody', {}, shown.map((r) => h('tr', { tabindex: 0, onclick: () => onRow(r), onkeydown: (e) => { if (e.key === 'Enter') onRow(r); } },
          columns.map((c) => h('td', { class: c.numeric ? 'num' : '' }, c.show ? c.show(r) : String(c.value(r) ?? '—'))))))),
      pages > 1 ? h('div', { class: 'pager' },
        h('button', { type: 'button', class: 'secondary', disabled: page === 0, onclick: () => { page--; paint(); } }, '上一页'),
        h('span', { 'data-testid': `${testid}-page` }, `第 ${page + 1} / ${pages} 页，共 ${sorted.length} 条`),
        h('button', { type: 'button', class: 'secondary', disabled: page >= pages - 1, onclick: () => { page++; paint(); } }, '下一页')) : null);
  };
  paint();
  return wrap;
}

export function coverageView(ctx) {
  const facility = h('select', { name: 'facility', 'aria-label': '设施' }, h('option', { value: 'stations' }, '应急站点'), h('option', { value: 'depots' }, '物资储备仓库'));
  const dist = h('input', { type: 'number', name: 'max_distance_km', value: 5, min: 0.1, max: 100, step: 0.1, 'aria-label': '最大直线距离（公里）' });
  const out = h('div', { 'data-testid': 'coverage' });
  const query = () => `facility=${facility.value}&max_distance_m=${Math.round(Number(dist.value) * 1000)}`;

  // a grid of the list on the map: its box from the search (by its code)
  const showGrid = async (g) => {
    ctx.showMap();
    try {
      const r = await api.get(`/api/v1/search?q=${g.code}&layers=grids&limit=1`);
      const hit = (r.results || [])[0];
      if (hit && hit.bbox) fitTo(ctx.map, hit.bbox, 15);
      if (hit) showMarker(ctx.map, hit.center);
    } catch (e) {
      toast(`无法定位：${errorText(e)}`, 'error');
    }
  };
  const showPoint = (p) => {
    ctx.showMap();
    ctx.map.flyTo({ center: [p.lon, p.lat], zoom: Math.max(ctx.map.getZoom(), 15) });
    showMarker(ctx.map, [p.lon, p.lat]);
  };

  const run = async () => {
    const d = Number(dist.value);
    if (!(d > 0 && d <= 100)) { clear(out, h('p', { class: 'form-error' }, '请输入 0.1 到 100 公里之间的距离。')); return; }
    clear(out, h('p', { class: 'muted' }, '计算中…'));
    const q = query();
    let r;
    try {
      r = await api.get(`/api/v1/coverage?${q}`);
    } catch (e) {
      setCoverage(ctx.map, null);
      clear(out, e.status === 404 ? [h('p', { class: 'empty', 'data-testid': 'coverage-empty' }, '暂无数据'), h('p', { class: 'muted' }, '服务器尚未提供覆盖分析。')]
        : failBox('计算失败', e, { retry: run }));
      return;
    }
    setCoverage(ctx.map, q);
    setGroupVisible(ctx.map, 'coverage', true);
    const sh = r.share || {};
    const towns = new Map((r.townships || []).map((t) => [t.code, t.name]));
    const grids = r.uncovered_grids || [];
    const points = r.uncovered_risk_points || [];
    const dl = (format) => async () => {
      try {
        const f = await download(`/api/v1/coverage?${q}&format=${format}`, `覆盖分析.${format}`);
        toast(`已下载 ${f.name}`, 'ok');
      } catch (e) { toast(`下载失败：${errorText(e)}`, 'error'); }
    };
    clear(out,
      h('div', { class: 'totals' }, [['网格', sh.grids], ['面积', sh.area], ['人口', sh.population], ['风险加权', sh.risk_weighted]].map(([k, v]) =>
        h('div', { class: 'total' }, h('div', { class: 'total-v' }, pct(v)), h('div', { class: 'total-k' }, `${k}覆盖率`)))),
      h('div', { class: 'downloads' },
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'coverage-xlsx', onclick: dl('xlsx') }, '导出 Excel'),
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'coverage-geojson', onclick: dl('geojson') }, '导出 GeoJSON（QGIS）')),
      h('h3', {}, `未覆盖网格（${grids.length} 个）`),
      h('p', { class: 'muted' }, `距最近${facility.selectedOptions[0].textContent}超过 ${d} 公里的网格。点击一行在地图上查看。`),
      grids.length ? pagedTable({
        testid: 'uncovered-grids', rows: grids, sortKey: 'distance', sortDir: -1, onRow: showGrid,
        columns: [
          { key: 'township', label: '镇街', value: (g) => towns.get(g.township_code) || '' },
          { key: 'name', label: '网格', value: (g) => g.name },
          { key: 'population', label: '人口', value: (g) => g.population, numeric: true },
          { key: 'facility', label: '最近设施', value: (g) => g.nearest_facility_name || '' },
          { key: 'distance', label: '距离（公里）', value: (g) => g.distance_m, show: (g) => km(g.distance_m), numeric: true },
        ],
      }) : h('p', { class: 'muted' }, '所有网格都在范围内。'),
      h('h3', {}, `未覆盖风险点（${r.uncovered_risk_points_total ?? points.length} 个）`),
      r.truncated ? h('p', { class: 'muted' }, `列出风险等级最高的 ${points.length} 个；完整名单请导出 Excel。`) : null,
      points.length ? pagedTable({
        testid: 'uncovered-points', rows: points, sortKey: 'level', sortDir: 1, onRow: showPoint,
        columns: [
          { key: 'township', label: '镇街', value: (p) => towns.get(p.township_code) || '' },
          { key: 'name', label: '风险点', value: (p) => p.name },
          { key: 'level', label: '风险等级', value: (p) => p.risk_level, show: (p) => RISK_LEVELS[p.risk_level] || '—', numeric: true },
          { key: 'distance', label: '距离（公里）', value: (p) => p.distance_m, show: (p) => km(p.distance_m), numeric: true },
        ],
      }) : null,
      h('h3', {}, '各镇街覆盖率'),
      (r.townships || []).length ? pagedTable({
        testid: 'coverage-townships', rows: r.townships, sortKey: 'grids', sortDir: 1, onRow: () => {},
        columns: [
          { key: 'name', label: '镇街', value: (t) => t.name },
          { key: 'grids', label: '网格覆盖率', value: (t) => t.share.grids, show: (t) => pct(t.share.grids), numeric: true },
          { key: 'population', label: '人口覆盖率', value: (t) => t.share.population, show: (t) => pct(t.share.population), numeric: true },
        ],
      }) : null);
  };
  return h('section', { class: 'view coverage' }, h('h2', {}, '应急资源覆盖分析'),
    h('form', { class: 'stats-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); run(); } },
      h('label', {}, '设施 ', facility), h('label', {}, '最大直线距离 ', dist, ' 公里'), h('button', { type: 'submit', class: 'primary' }, '计算')),
    h('p', { class: 'muted' }, '地图上斜线网格为未覆盖，绿色为已覆盖（见图例）。'),
    out);
}
