// Statistics of rectification (docs/domain.md's definitions, computed by the
// server): rate by township, found vs rectified by month, and downloads.
import { api, download, getAll } from '../api.js';
import { h, clear, toast } from '../ui.js';
import { pct, todayShanghai, LAYERS } from '../labels.js';

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of kids.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// rateChart: one horizontal bar per area, the rate as its length.
export function rateChart(rows) {
  const data = rows.slice().sort((a, b) => (b.rate ?? -1) - (a.rate ?? -1));
  const rowH = 22;
  const left = 120;
  const width = 560;
  const barW = width - left - 110;
  const height = data.length * rowH + 30;
  return s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': '各镇街整改率', 'data-testid': 'rate-chart' },
    [0, 0.5, 1].map((t) => s('g', {},
      s('line', { x1: left + t * barW, x2: left + t * barW, y1: 0, y2: height - 20, stroke: '#ddd' }),
      s('text', { x: left + t * barW, y: height - 6, 'text-anchor': 'middle', class: 'axis' }, `${t * 100}%`))),
    data.map((r, i) => {
      const y = i * rowH + 4;
      const w = r.rate === null ? 0 : Math.max(1, r.rate * barW);
      const colour = r.rate === null ? '#BDBDBD' : r.rate >= 0.95 ? '#43A047' : r.rate >= 0.8 ? '#FB8C00' : '#E53935';
      return s('g', { 'data-area': r.area_code },
        s('text', { x: left - 6, y: y + 13, 'text-anchor': 'end', class: 'label' }, r.area_name),
        s('rect', { x: left, y, width: w, height: rowH - 6, fill: colour, rx: 2 }),
        s('text', { x: left + w + 4, y: y + 13, class: 'value' }, `${pct(r.rate)}（${r.rectified}/${r.to_rectify}）`));
    }));
}

// monthChart: found and rectified side by side for each month.
export function monthChart(months) {
  const width = 560;
  const height = 220;
  const top = 16;
  const bottom = 28;
  const left = 36;
  const max = Math.max(1, ...months.map((m) => Math.max(m.found, m.rectified)));
  const step = (width - left - 8) / Math.max(1, months.length);
  const bw = Math.min(16, step / 2 - 3);
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const ticks = [0, Math.round(max / 2), max];
  return s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': '每月发现与整改隐患数', 'data-testid': 'month-chart' },
    ticks.map((t) => s('g', {}, s('line', { x1: left, x2: width, y1: y(t), y2: y(t), stroke: '#eee' }),
      s('text', { x: left - 4, y: y(t) + 4, 'text-anchor': 'end', class: 'axis' }, t))),
    months.map((m, i) => {
      const x = left + i * step + step / 2;
      return s('g', { 'data-month': m.label },
        s('rect', { x: x - bw - 1, y: y(m.found), width: bw, height: y(0) - y(m.found), fill: '#1E88E5' }, s('title', {}, `${m.label} 发现 ${m.found}`)),
        s('rect', { x: x + 1, y: y(m.rectified), width: bw, height: y(0) - y(m.rectified), fill: '#43A047' }, s('title', {}, `${m.label} 整改 ${m.rectified}`)),
        s('text', { x, y: height - 10, 'text-anchor': 'middle', class: 'axis' }, m.label));
    }),
    s('g', {}, s('rect', { x: width - 150, y: 2, width: 10, height: 10, fill: '#1E88E5' }), s('text', { x: width - 136, y: 11, class: 'axis' }, '发现'),
      s('rect', { x: width - 90, y: 2, width: 10, height: 10, fill: '#43A047' }), s('text', { x: width - 76, y: 11, class: 'axis' }, '已整改')));
}

function monthEnd(y, m) {
  const d = new Date(Date.UTC(y, m, 0));
  return `${y}-${String(m).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

export function statsView(ctx) {
  const today = todayShanghai();
  const year = Number(today.slice(0, 4));
  const from = h('input', { type: 'date', name: 'from', value: `${year}-01-01` });
  const to = h('input', { type: 'date', name: 'to', value: today });
  const group = h('select', { name: 'group_by' }, h('option', { value: 'township', selected: true }, '按镇街'), h('option', { value: 'county' }, '按县区'), h('option', { value: 'grid' }, '按网格'));
  const sentence = h('p', { class: 'sentence', 'data-testid': 'stats-sentence' });
  const totals = h('div', { class: 'totals', 'data-testid': 'stats-totals' });
  const rateBox = h('div', { class: 'chart-box' });
  const monthBox = h('div', { class: 'chart-box' });
  const table = h('div', { class: 'table-wrap' });
  const query = () => `from=${from.value}&to=${to.value}&group_by=${group.value}`;

  const load = async () => {
    let st;
    try {
      st = await api.get(`/api/v1/stats/rectification?${query()}`);
    } catch (e) {
      clear(rateBox, h('p', { class: 'form-error' }, `统计读取失败：${e.message}`));
      return;
    }
    const t = st.total;
    sentence.textContent = st.sentence || '';
    clear(totals, [['发现隐患', t.found, 'found'], ['应整改', t.to_rectify, 'to_rectify'], ['已整改', t.rectified, 'rectified'], ['整改率', pct(t.rate), 'rate'],
      ['逾期', t.overdue, 'overdue'], ['重大隐患', `${t.major_rectified}/${t.major_found}`, 'major']].map(([k, v, key]) =>
      h('div', { class: 'total', 'data-key': key }, h('div', { class: 'total-v' }, String(v)), h('div', { class: 'total-k' }, k))));
    clear(rateBox, h('h3', {}, `整改率（${group.selectedOptions[0].textContent}）`), st.rows.length ? rateChart(st.rows.slice(0, 60)) : h('p', { class: 'empty' }, '暂无数据'));
    clear(table, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['区域', '发现', '应整改', '已整改', '整改率', '逾期', '按期整改'].map((x) => h('th', {}, x)))),
      h('tbody', {}, st.rows.map((r) => h('tr', {}, h('td', {}, r.area_name || r.area_code), h('td', {}, r.found), h('td', {}, r.to_rectify),
        h('td', {}, r.rectified), h('td', {}, pct(r.rate)), h('td', {}, r.overdue), h('td', {}, r.on_time))))));
    // found vs rectified by month of the chosen year (one request a month)
    const y = Number(to.value.slice(0, 4));
    const lastMonth = y === year ? Number(today.slice(5, 7)) : 12;
    const months = await Promise.all(Array.from({ length: lastMonth }, (_, i) => i + 1).map(async (m) => {
      const a = `${y}-${String(m).padStart(2, '0')}-01`;
      const b = y === year && m === lastMonth ? today : monthEnd(y, m);
      try {
        const r = await api.get(`/api/v1/stats/rectification?from=${a}&to=${b}&group_by=county`);
        return { label: `${m}月`, found: r.total.found, rectified: r.total.rectified };
      } catch {
        return { label: `${m}月`, found: 0, rectified: 0 };
      }
    }));
    clear(monthBox, h('h3', {}, `${y} 年每月发现与整改`), monthChart(months));
  };

  const dl = (format) => async () => {
    try {
      const f = await download(`/api/v1/stats/rectification?${query()}&format=${format}`, `rectification.${format}`);
      toast(`已下载 ${f.name}`, 'ok');
    } catch (e) { toast(`下载失败：${e.message}`, 'error'); }
  };
  const layerDl = (layer) => async () => {
    try {
      toast(`正在导出${LAYERS[layer]}…`);
      const features = await getAll(`/api/v1/${layer}?limit=10000`, 100000);
      const blob = new Blob([JSON.stringify({ type: 'FeatureCollection', features })], { type: 'application/geo+json' });
      const a = h('a', { href: URL.createObjectURL(blob), download: `${layer}.geojson` });
      document.body.append(a); a.click(); a.remove();
      toast(`已导出 ${features.length} 个要素`, 'ok');
    } catch (e) { toast(`导出失败：${e.message}`, 'error'); }
  };

  const el = h('section', { class: 'view stats' },
    h('h2', {}, '隐患整改统计'),
    h('form', { class: 'stats-form', onsubmit: (e) => { e.preventDefault(); load(); } },
      h('label', {}, '自 ', from), h('label', {}, '至 ', to), group, h('button', { type: 'submit', class: 'primary' }, '查询')),
    sentence, totals, rateBox, monthBox,
    h('div', { class: 'downloads' }, h('h3', {}, '下载'),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'download-xlsx', onclick: dl('xlsx') }, '统计表（Excel）'),
      h('button', { type: 'button', class: 'secondary', onclick: dl('csv') }, '统计表（CSV）'),
      h('div', { class: 'layer-downloads' }, h('span', { class: 'muted' }, '图层（GeoJSON，可在 QGIS 打开）：'),
        ['risk_points', 'hazard_sources', 'stations', 'depots', 'grids'].map((l) => h('button', { type: 'button', class: 'link', onclick: layerDl(l) }, LAYERS[l])))),
    h('h3', {}, '明细'), table);
  load();
  el.reload = load;
  return el;
}
