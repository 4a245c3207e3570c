// 四个一: does each township have an office, a rescue team, a platform and a
// depot inside it (GET /api/v1/readiness)? A township's row opens what it
// has: its stations with staff, vehicles, phone and duty, its depots with
// keeper, phone and stock.
import { api, getAll } from '../api.js';
import { h, clear, failBox } from '../ui.js';
import { READINESS_ITEMS, STATION_KINDS, STOCK_ITEMS } from '../labels.js';

const stock = (code) => STOCK_ITEMS[code] || '其他物资';

// facilities lists a township's stations and depots.
async function facilities(code) {
  const [stations, depots] = await Promise.all([
    getAll(`/api/v1/stations?area=${code}&limit=100`, 500), getAll(`/api/v1/depots?area=${code}&limit=100`, 500)]);
  const kinds = Object.keys(STATION_KINDS);
  stations.sort((a, b) => kinds.indexOf(a.properties.kind) - kinds.indexOf(b.properties.kind));
  return h('div', { class: 'facilities', 'data-testid': 'facilities' },
    stations.length ? h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['类型', '名称', '人员', '车辆', '电话', '24小时值守'].map((x) => h('th', {}, x)))),
      h('tbody', {}, stations.map((f) => {
        const p = f.properties;
        return h('tr', { class: p.status === 'retired' ? 'muted' : '' }, h('td', {}, STATION_KINDS[p.kind] || '应急站点'), h('td', {}, p.name),
          h('td', {}, `${p.staff ?? 0} 人`), h('td', {}, `${p.vehicles ?? 0} 辆`), h('td', {}, p.phone ? h('a', { href: `tel:${p.phone}` }, p.phone) : '—'),
          h('td', {}, p.on_duty_24h ? '是' : '否'));
      }))) : h('p', { class: 'muted' }, '没有应急站点'),
    depots.length ? depots.map((f) => {
      const p = f.properties;
      const items = (p.inventory || []).filter((i) => Number(i.quantity) > 0);
      return h('div', { class: 'depot' },
        h('h4', {}, `${p.name}${p.capacity_m2 ? `（${p.capacity_m2} m²）` : ''}`),
        h('p', { class: 'muted' }, `保管员 ${p.keeper || '—'}`, p.keeper_phone ? [' · ', h('a', { href: `tel:${p.keeper_phone}` }, p.keeper_phone)] : ''),
        items.length ? h('p', {}, items.map((i) => `${stock(i.item)} ${Number(i.quantity)}${i.unit || ''}`).join('，')) : h('p', { class: 'muted' }, '暂无库存'));
    }) : h('p', { class: 'muted' }, '没有物资储备仓库'));
}

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
    const cols = Object.keys(READINESS_ITEMS).length + 3;
    // a row opens the township's facilities beneath it
    const row = (t) => {
      const detail = h('tr', { class: 'facility-row', hidden: true }, h('td', { colspan: cols }));
      const toggle = async (btn) => {
        const open = detail.hidden;
        detail.hidden = !open;
        btn.setAttribute('aria-expanded', String(open));
        if (!open || detail.dataset.loaded) return;
        const cell = detail.firstChild;
        clear(cell, h('p', { class: 'muted' }, '加载中…'));
        try {
          clear(cell, await facilities(t.code));
          detail.dataset.loaded = 'true';
        } catch (e) {
          clear(cell, failBox(`${t.name}的站点和仓库读取失败`, e, { retry: () => { detail.hidden = true; toggle(btn); } }));
        }
      };
      const status = t.complete ? '齐全' : `缺${(t.missing || []).map((m) => READINESS_ITEMS[m] || '').join('、')}`;
      return [h('tr', { class: t.complete ? '' : 'warn', 'data-township': t.code },
        h('td', {}, h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', onclick: (e) => toggle(e.currentTarget) }, `${t.name} ▸`)),
        Object.keys(READINESS_ITEMS).map((k) => h('td', { class: 'c' }, (t.missing || []).includes(k) ? '✗' : `✓${t.counts && t.counts[k] > 1 ? ` ${t.counts[k]}` : ''}`)),
        h('td', {}, status),
        // the depot's stock against the norms per 1,000 residents (stock_short) and what expires soon
        h('td', { class: (t.stock_short || []).length ? 'stock-short' : '', 'data-stock': t.code },
          (t.stock_short || []).length ? `低于定额：${t.stock_short.map(stock).join('、')}` : '达标',
          (t.stock_expiring || []).length ? ` · 临期：${t.stock_expiring.map(stock).join('、')}` : '')), detail];
    };
    clear(body,
      h('p', {}, `${list.length} 个镇街中 ${complete} 个“四个一”齐全，${list.length - complete} 个不齐全。点击镇街名称查看其站点和仓库。`),
      h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, h('th', {}, '镇街'), Object.values(READINESS_ITEMS).map((v) => h('th', {}, v)), h('th', {}, '情况'), h('th', {}, '物资'))),
        h('tbody', {}, list.slice().sort((a, b) => Number(a.complete) - Number(b.complete)).map(row))));
  };
  load().catch((e) => clear(body, failBox('“四个一”情况无法显示', e, { retry: load })));
  return h('section', { class: 'view readiness' }, h('h2', {}, '镇街“四个一”建设情况'),
    h('p', { class: 'muted' }, '每个镇街应有：一个应急管理办公室、一支应急救援队、一个应急指挥平台、一个物资储备仓库。'), body);
}
