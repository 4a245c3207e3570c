// Statistics of rectification (the server computes them by
// docs/domain.md's definitions): the headline figures, the rate by area
// worst first, found and rectified by month of report — the same cases the
// headline counts —, the full table sortable by any column, and downloads.
import { api, download, getAll } from '../api.js';
import { h, clear, toast, failBox, errorText } from '../ui.js';
import { pct, todayShanghai, LAYERS } from '../labels.js';

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of kids.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// CHART_MAX bars at most: the worst ones; the table has them all
const CHART_MAX = 30;

// worstFirst: the lowest rate first; among equal rates the most still to
// rectify (to_rectify - rectified) first. Units with nothing to rectify have
// no rate and are left out (they are in the table).
export function worstFirst(rows) {
  return rows.filter((r) => r.rate !== null && r.rate !== undefined)
    .sort((a, b) => a.rate - b.rate || (b.to_rectify - b.rectified) - (a.to_rectify - a.rectified) || b.to_rectify - a.to_rectify);
}

// rateChart: one horizontal bar per area, the rate as its length, worst
// first.
export function rateChart(rows, unit) {
  const data = rows;
  const rowH = 22;
  const left = 150;
  const width = 560;
  const barW = width - left - 110;
  const height = data.length * rowH + 30;
  return s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': `各${unit}整改率，由低到高`, 'data-testid': 'rate-chart' },
    [0, 0.5, 1].map((t) => s('g', {},
      s('line', { x1: left + t * barW, x2: left + t * barW, y1: 0, y2: height - 20, stroke: '#ddd' }),
      s('text', { x: left + t * barW, y: height - 6, 'text-anchor': 'middle', class: 'axis' }, `${t * 100}%`))),
    data.map((r, i) => {
      const y = i * rowH + 4;
      const w = Math.max(1, r.rate * barW);
      const colour = r.rate >= 0.95 ? '#43A047' : r.rate >= 0.8 ? '#FB8C00' : '#E53935';
      return s('g', { 'data-area': r.area_code, 'data-rate': String(r.rate) },
        s('text', { x: left - 6, y: y + 13, 'text-anchor': 'end', class: 'label' }, r.area_name),
        s('rect', { x: left, y, width: w, height: rowH - 6, fill: colour, rx: 2 }),
        s('text', { x: left + w + 4, y: y + 13, class: 'value' }, `${pct(r.rate)}（${r.rectified}/${r.to_rectify}）`));
    }));
}

// monthChart: for each month, the cases reported in it and how many of
// those were rectified by the period's end.
export function monthChart(months, end) {
  const width = 560;
  const height = 220;
  const top = 16;
  const bottom = 28;
  const left = 36;
  const max = Math.max(1, ...months.map((m) => Math.max(m.found, m.rectified)));
  const step = (width - left - 8) / Math.max(1, months.length);
  const bw = Math.min(16, step / 2 - 3);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const ticks = [...new Set([0, Math.round(max / 2), max])];
  return s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': `每月发现隐患数及其中截至${end}已整改数`, 'data-testid': 'month-chart' },
    ticks.map((t) => s('g', {}, s('line', { x1: left, x2: width, y1: y(t), y2: y(t), stroke: '#eee' }),
      s('text', { x: left - 4, y: y(t) + 4, 'text-anchor': 'end', class: 'axis' }, t))),
    months.map((m, i) => {
      const x = left + i * step + step / 2;
      return s('g', { 'data-month': m.label, 'data-found': String(m.found), 'data-rectified': String(m.rectified) },
        s('rect', { x: x - bw - 1, y: y(m.found), width: bw, height: y(0) - y(m.found), fill: '#1E88E5' }, s('title', {}, `${m.label} 发现 ${m.found}`)),
        s('rect', { x: x + 1, y: y(m.rectified), width: bw, height: y(0) - y(m.rectified), fill: '#43A047' }, s('title', {}, `${m.label} 发现的隐患中已整改 ${m.rectified}`)),
        s('text', { x, y: height - 10, 'text-anchor': 'middle', class: 'axis' }, m.label));
    }),
    s('g', {}, s('rect', { x: width - 190, y: 2, width: 10, height: 10, fill: '#1E88E5' }), s('text', { x: width - 176, y: 11, class: 'axis' }, '发现'),
      s('rect', { x: width - 130, y: 2, width: 10, height: 10, fill: '#43A047' }), s('text', { x: width - 116, y: 11, class: 'axis' }, '其中已整改')));
}

const pad = (n) => String(n).padStart(2, '0');

// monthStarts: the first day of each month from `from` to `to`, beginning
// with `from` itself.
export function monthStarts(from, to) {
  const out = [from];
  let y = Number(from.slice(0, 4));
  let m = Number(from.slice(5, 7));
  for (;;) {
    m++;
    if (m > 12) { m = 1; y++; }
    const d = `${y}-${pad(m)}-01`;
    if (d > to) return out;
    out.push(d);
  }
}

// The table's columns: header, field, how shown.
const COLUMNS = [
  ['区域', 'area_name'], ['发现', 'found'], ['应整改', 'to_rectify'], ['已整改', 'rectified'],
  ['整改率', 'rate', pct], ['逾期', 'overdue'], ['按期整改', 'on_time'], ['重大隐患', 'major_found'],
];

function statsTable(rows) {
  let key = 'rate';
  let dir = 1; // 1: ascending
  const wrap = h('div', { class: 'table-wrap' });
  const paint = () => {
    const val = (r) => r[key];
    const sorted = rows.slice().sort((a, b) => {
      const x = val(a);
      const y = val(b);
      if (x === null || x === undefined) return (y === null || y === undefined) ? 0 : 1; // no rate: last either way
      if (y === null || y === undefined) return -1;
      return (typeof x === 'string' ? x.localeCompare(y, 'zh-CN') : x - y) * dir;
    });
    clear(wrap, h('table', { class: 'table', 'data-testid': 'stats-table' },
      h('thead', {}, h('tr', {}, COLUMNS.map(([label, k]) => h('th', { 'aria-sort': k === key ? (dir > 0 ? 'ascending' : 'descending') : 'none' },
        h('button', { type: 'button', class: 'sort', 'data-sort': k, onclick: () => { if (key === k) dir = -dir; else { key = k; dir = k === 'area_name' || k === 'rate' ? 1 : -1; } paint(); } },
          label, k === key ? (dir > 0 ? ' ▲' : ' ▼') : ''))))),
      h('tbody', {}, sorted.map((r) => h('tr', {}, COLUMNS.map(([, k, fmt]) => h('td', {}, fmt ? fmt(r[k]) : String(r[k] ?? '—'))))))));
  };
  paint();
  return wrap;
}

export function statsView(ctx) {
  const today = todayShanghai();
  const year = Number(today.slice(0, 4));
  const from = h('input', { type: 'date', name: 'from', value: `${year}-01-01` });
  const to = h('input', { type: 'date', name: 'to', value: today });
  const group = h('select', { name: 'group_by', 'aria-label': '分组' }, h('option', { value: 'township', selected: true }, '按镇街'), h('option', { value: 'county' }, '按县区'), h('option', { value: 'grid' }, '按网格'));
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const body = h('div', { 'data-testid': 'stats-body' });
  const unitOf = () => ({ township: '镇街', county: '县区', grid: '网格' })[group.value];
  const query = () => `from=${from.value}&to=${to.value}&group_by=${group.value}`;
  let last = null; // the reply shown, for file names

  let loading = 0;
  const load = async () => {
    formError.textContent = '';
    if (!from.value || !to.value) { formError.textContent = '请选择开始和结束日期。'; clear(body); return; }
    if (from.value > to.value) { formError.textContent = '开始日期不能晚于结束日期。'; clear(body); return; }
    const mine = ++loading;
    clear(body, h('p', { class: 'muted' }, '统计中…'));
    try {
      const st = await api.get(`/api/v1/stats/rectification?${query()}`);
      if (!st || !st.total || !Array.isArray(st.rows)) throw new Error('统计结果不完整');
      // found and rectified by month of report: each month's figures are
      // the difference of two periods ending on the same day, so they add
      // up to the headline exactly
      const starts = monthStarts(st.from, st.to);
      const suffix = await Promise.all(starts.map((a) => (a === st.from ? Promise.resolve(st)
        : api.get(`/api/v1/stats/rectification?from=${a}&to=${st.to}&group_by=county`))));
      const months = starts.map((a, i) => {
        const cur = suffix[i].total;
        const next = suffix[i + 1] ? suffix[i + 1].total : { found: 0, rectified: 0 };
        return { label: `${Number(a.slice(5, 7))}月`, found: cur.found - next.found, rectified: cur.rectified - next.rectified };
      });
      if (mine !== loading) return;
      last = st;
      paint(st, months);
    } catch (e) {
      if (mine !== loading) return;
      last = null;
      if (!e.status && e.name !== 'NetworkError') console.warn('统计：', e);
      clear(body, failBox('统计读取失败', e, { retry: load }));
    }
  };

  const paint = (st, months) => {
    const t = st.total;
    const unit = unitOf();
    const ranked = worstFirst(st.rows);
    const empty = st.rows.length - ranked.length;
    clear(body,
      st.sentence ? h('p', { class: 'sentence', 'data-testid': 'stats-sentence' }, `${st.area_name || '本辖区'}${st.from}至${st.to}：${st.sentence.replace(/,/g, '，')}。`) : null,
      h('div', { class: 'totals', 'data-testid': 'stats-totals' },
        [['发现隐患', t.found, 'found'], ['应整改', t.to_rectify, 'to_rectify'], ['已整改', t.rectified, 'rectified'], ['整改率', pct(t.rate), 'rate'],
          ['逾期', t.overdue, 'overdue'], ['重大隐患已整改', `${t.major_rectified}/${t.major_found}`, 'major']].map(([k, v, key]) =>
          h('div', { class: 'total', 'data-key': key }, h('div', { class: 'total-v' }, String(v)), h('div', { class: 'total-k' }, k)))),
      h('div', { class: 'chart-box' },
        h('h3', {}, `整改率（按${unit}，由低到高）`),
        ranked.length ? rateChart(ranked.slice(0, CHART_MAX), unit) : h('p', { class: 'empty' }, '本期没有应整改的隐患'),
        h('p', { class: 'muted chart-note' }, [
          ranked.length > CHART_MAX ? `共 ${ranked.length} 个${unit}有应整改隐患，图中为整改率最低的 ${CHART_MAX} 个。` : '',
          empty ? `另有 ${empty} 个${unit}本期没有应整改的隐患，未列入图中。` : '',
          '完整数据见下方明细表。'].join(''))),
      h('div', { class: 'chart-box' },
        h('h3', {}, '每月发现与整改'),
        monthChart(months, st.to),
        h('p', { class: 'muted chart-note' }, `按上报月份统计：每月发现的隐患，及其中截至 ${st.to} 已整改的数量；各月合计即上方“发现隐患”和“已整改”。`)),
      h('h3', {}, `明细（${st.rows.length} 个${unit}，点击表头排序）`),
      statsTable(st.rows));
  };

  const fileArea = () => (last && last.area_name) || ctx.user.display_name.replace(/应急.*$/, '') || '本辖区';
  const dl = (format) => async () => {
    try {
      const f = await download(`/api/v1/stats/rectification?${query()}&format=${format}`, `隐患排查整改统计_${fileArea()}_${from.value}至${to.value}.${format}`);
      toast(`已下载 ${f.name}`, 'ok');
    } catch (e) { toast(`下载失败：${errorText(e)}`, 'error'); }
  };
  const layerDl = (layer) => async () => {
    try {
      toast(`正在导出${LAYERS[layer]}…`);
      const features = await getAll(`/api/v1/${layer}?limit=10000`, 100000);
      const blob = new Blob([JSON.stringify({ type: 'FeatureCollection', features })], { type: 'application/geo+json' });
      const a = h('a', { href: URL.createObjectURL(blob), download: `${LAYERS[layer]}_${fileArea()}_${today}.geojson` });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      toast(`已导出 ${features.length} 个要素`, 'ok');
    } catch (e) { toast(`导出失败：${errorText(e)}`, 'error'); }
  };

  const el = h('section', { class: 'view stats' },
    h('h2', {}, '隐患整改统计'),
    h('form', { class: 'stats-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); load(); } },
      h('label', {}, '自 ', from), h('label', {}, '至 ', to), group, h('button', { type: 'submit', class: 'primary' }, '查询')),
    formError,
    body,
    h('div', { class: 'downloads' }, h('h3', {}, '下载'),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'download-xlsx', onclick: dl('xlsx') }, '统计表（Excel）'),
      h('button', { type: 'button', class: 'secondary', onclick: dl('csv') }, '统计表（CSV）'),
      h('div', { class: 'layer-downloads' }, h('span', { class: 'muted' }, '图层（GeoJSON，可在 QGIS 打开）：'),
        ['risk_points', 'hazard_sources', 'stations', 'depots', 'grids'].map((l) => h('button', { type: 'button', class: 'link', onclick: layerDl(l) }, LAYERS[l])))));
  load();
  // the live feed asks again after every change: once a burst is over
  let timer = null;
  el.reload = () => { clearTimeout(timer); timer = setTimeout(load, 1500); };
  el.cleanup = () => clearTimeout(timer);
  return el;
}
