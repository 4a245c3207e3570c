// 四个一: does each township have an office, a rescue team, a platform and a
// depot inside it (GET /api/v1/readiness)?
import { api } from '../api.js';
import { h, clear, failBox } from '../ui.js';
import { READINESS_ITEMS } from '../labels.js';

const ITEMS = { tents: '帐篷', quilts: '棉被', life_jackets: '救生衣', rubber_boats: '橡皮艇', generators: '发电机', pumps: '水泵', sandbags: '沙袋', drinking_water: '饮用水' };
const itemName = (i) => ITEMS[i] || i;

export function readinessView() {
  const body = h('div', { 'data-testid': 'readiness' }, h('p', { class: 'muted' }, '加载中…'));
  const load = async () => {
    clear(body, h('p', { class: 'muted' }, '加载中…'));
    let r;
    try {
      r = await api.get('/api/v1/readiness');
    } catch (e) {
      if (e.status === 404) {
        clear(body, h('p', { class: 'empty', 'data-testid': 'readiness-empty' }, '暂无数据'), h('p', { class: 'muted' }, '服务器尚未提供“四个一”统计。'));
      } else {
        clear(body, failBox('“四个一”情况读取失败', e, { retry: load }));
      }
      return;
    }
    const list = r.townships || [];
    if (!list.length) { clear(body, h('p', { class: 'empty' }, '暂无数据')); return; }
    const complete = list.filter((t) => t.complete).length;
    clear(body,
      h('p', {}, `${list.length} 个镇街中 ${complete} 个“四个一”齐全，${list.length - complete} 个不齐全。`),
      h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, h('th', {}, '镇街'), Object.values(READINESS_ITEMS).map((v) => h('th', {}, v)), h('th', {}, '情况'), h('th', {}, '物资'))),
        h('tbody', {}, list.slice().sort((a, b) => Number(a.complete) - Number(b.complete)).map((t) => h('tr', { class: t.complete ? '' : 'warn' },
          h('td', {}, t.name),
          Object.keys(READINESS_ITEMS).map((k) => h('td', { class: 'c' }, (t.missing || []).includes(k) ? '✗' : '✓')),
          h('td', {}, t.complete ? '齐全' : `缺${(t.missing || []).map((m) => READINESS_ITEMS[m] || m).join('、')}`),
          // the depot's stock against the norms per 1,000 residents (stock_short) and what expires soon
          h('td', { class: (t.stock_short || []).length ? 'stock-short' : '', 'data-stock': t.code },
            (t.stock_short || []).length ? `低于定额：${t.stock_short.map(itemName).join('、')}` : '达标',
            (t.stock_expiring || []).length ? ` · 临期：${t.stock_expiring.map(itemName).join('、')}` : ''))))));
  };
  load().catch((e) => clear(body, failBox('“四个一”情况无法显示', e, { retry: load })));
  return h('section', { class: 'view readiness' }, h('h2', {}, '镇街“四个一”建设情况'),
    h('p', { class: 'muted' }, '每个镇街应有：一个应急管理办公室、一支应急救援队、一个应急指挥平台、一个物资储备仓库。'), body);
}
