// 访问令牌: personal access tokens for QGIS, GDAL and scripts, which cannot
// log in again every 12 hours (POST/GET/DELETE /api/v1/tokens). A new
// token's secret is shown once, here, and never again.
import { api, request } from '../api.js';
import { h, clear, toast, field, select, errorText } from '../ui.js';

const fmt = (s) => (s ? new Date(s).toLocaleString('zh-CN', { hour12: false }) : '—');
const DAYS = { 30: '30 天', 90: '90 天', 180: '180 天', 365: '一年' };

export function tokensView() {
  const list = h('div', { 'data-testid': 'tokens-list' }, h('p', { class: 'muted' }, '加载中…'));
  const shown = h('div', { class: 'token-secret', 'data-testid': 'token-secret', hidden: true });

  async function reload() {
    let r;
    try {
      r = await api.get('/api/v1/tokens');
    } catch (e) {
      clear(list, h('p', { class: 'form-error' }, `读取失败：${errorText(e)}`));
      return;
    }
    const ts = r.tokens || [];
    if (!ts.length) { clear(list, h('p', { class: 'empty' }, '还没有访问令牌')); return; }
    const now = Date.now();
    clear(list, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['名称', '权限', '创建', '到期', '最近使用', '状态', ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, ts.map((t) => {
        const live = !t.revoked_at && new Date(t.expires_at).getTime() > now;
        return h('tr', { class: live ? '' : 'muted', 'data-testid': 'token-row' },
          h('td', {}, t.name), h('td', {}, t.read_only ? '只读' : '读写'), h('td', {}, fmt(t.created_at)),
          h('td', {}, fmt(t.expires_at)), h('td', {}, fmt(t.last_used_at)),
          h('td', {}, t.revoked_at ? '已撤销' : live ? '有效' : '已过期'),
          h('td', {}, live ? h('button', { type: 'button', class: 'link danger', 'data-testid': 'token-revoke', onclick: async () => {
            if (!confirm(`撤销令牌“${t.name}”？使用它的 QGIS 与脚本将立即无法访问。`)) return;
            try {
              await request('DELETE', `/api/v1/tokens/${t.id}`);
              toast('已撤销', 'ok');
              reload();
            } catch (e) { toast(`撤销失败：${errorText(e)}`, 'error'); }
          } }, '撤销') : ''));
      }))));
  }

  const form = h('form', { class: 'token-form', 'data-testid': 'token-form' },
    field('名称', h('input', { name: 'name', required: true, maxlength: 100, placeholder: '例如：规划科 QGIS' })),
    field('有效期', select('days', DAYS, 90)),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'read_only', checked: true }), ' 只读（不能修改数据）'),
    h('button', { type: 'submit', class: 'primary' }, '生成令牌'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const expires = new Date(Date.now() + Number(fd.get('days')) * 86400e3);
    try {
      const t = await api.post('/api/v1/tokens', { name: fd.get('name').trim(), expires_at: expires.toISOString(), read_only: fd.get('read_only') === 'on' });
      const origin = location.origin;
      clear(shown,
        h('p', {}, h('strong', {}, '请立即复制令牌：它只显示这一次。')),
        h('code', { class: 'secret', 'data-testid': 'token-value' }, t.token),
        h('p', { class: 'muted' }, `QGIS：图层 ▸ 添加图层 ▸ WFS / OGC API - Features，地址 ${origin}/ogc，认证选“Basic”，用户名任意，密码填此令牌。`),
        h('p', { class: 'muted' }, `GDAL：ogrinfo OAPIF:${origin}/ogc --config GDAL_HTTP_AUTH BASIC --config GDAL_HTTP_USERPWD 任意:令牌`));
      shown.hidden = false;
      form.reset();
      reload();
    } catch (ex) {
      toast(`生成失败：${errorText(ex)}`, 'error');
    }
  });
  reload();
  return h('section', { class: 'view tokens' }, h('h2', {}, '访问令牌'),
    h('p', { class: 'muted' }, '供 QGIS、GDAL 与脚本长期访问数据：令牌代表您本人，权限与您的账号相同（可设为只读），可随时撤销。'),
    form, shown, list);
}
