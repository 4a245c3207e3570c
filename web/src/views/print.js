// The print button: the server draws the area's map as a vector PDF
// (GET /api/v1/print), fetched with the token and opened as a file.
import { request } from '../api.js';
import { h, errorText } from '../ui.js';

export function printButton(code, name) {
  const size = h('select', { 'aria-label': '纸张' }, h('option', { value: 'A4' }, 'A4'), h('option', { value: 'A3' }, 'A3'));
  const orient = h('select', { 'aria-label': '方向' }, h('option', { value: 'landscape' }, '横向'), h('option', { value: 'portrait' }, '纵向'));
  const status = h('span', { class: 'muted' });
  const btn = h('button', {
    type: 'button', class: 'print', 'data-print': code,
    onclick: async () => {
      status.textContent = '正在生成…';
      try {
        const res = await request('GET', `/api/v1/print?area=${code}&size=${size.value}&orientation=${orient.value}`, { raw: true });
        const blob = await res.blob();
        const url = URL.createObjectURL(blob);
        const a = h('a', { href: url, download: `${name || code}-风险图.pdf` });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
        status.textContent = '';
      } catch (e) {
        status.textContent = `打印失败：${errorText(e)}`;
      }
    },
  }, '打印地图');
  return h('div', { class: 'print-row' }, btn, size, orient, status);
}
