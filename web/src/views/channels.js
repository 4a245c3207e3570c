// The office's group-chat robots (企业微信, 钉钉, generic webhooks): add one,
// test it, see what failed to go out (with the robot's last answer) and
// send it again. Secrets are typed once and never shown again.
import { api, request, getAll } from '../api.js';
import { h, clear, toast, field, select, errorText } from '../ui.js';
import { fmtTime, AREA_LEVELS } from '../labels.js';

const KINDS = { wecom: '企业微信群机器人', dingtalk: '钉钉群机器人', generic: 'JSON Webhook（签名）' };

export function channelsView(ctx) {
  const listEl = h('div', { class: 'channels', 'data-testid': 'channels' }, h('p', { class: 'muted' }, '加载中…'));
  const areaSel = h('select', { name: 'area', required: true });
  const kindSel = select('kind', KINDS, 'wecom');
  const secretHint = h('small', {}, '');
  const form = h('form', { class: 'channel-form', 'data-testid': 'channel-form' },
    field('区域', areaSel),
    field('类型', kindSel),
    field('名称', h('input', { name: 'name', placeholder: '如：新港街道应急值班群', maxlength: 100 })),
    field('Webhook 地址', h('input', { name: 'url', required: true, placeholder: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…' })),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, '密钥'),
      h('input', { name: 'secret', type: 'password', autocomplete: 'off' }), secretHint),
    field('每日汇总时间', h('input', { name: 'digest_at', type: 'time' }), '留空则不发送每日汇总'),
    h('button', { type: 'submit', class: 'primary' }, '添加渠道'));
  const paintHint = () => {
    secretHint.textContent = {
      wecom: '企业微信群机器人无需密钥（密钥包含在地址中）',
      dingtalk: '机器人安全设置为“加签”时填写 SEC 开头的密钥；使用关键词时请包含“隐患”',
      generic: '至少 16 位，用于 X-Riskmap-Signature 签名',
    }[kindSel.value];
  };
  kindSel.addEventListener('change', paintHint);
  paintHint();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const body = { area: fd.get('area'), kind: fd.get('kind'), url: fd.get('url').trim() };
    if (fd.get('name').trim()) body.name = fd.get('name').trim();
    if (fd.get('secret')) body.secret = fd.get('secret');
    if (fd.get('digest_at')) body.digest_at = fd.get('digest_at');
    try {
      await api.post('/api/v1/notification-channels', body);
      toast('已添加通知渠道', 'ok');
      form.reset();
      paintHint();
      load();
    } catch (ex) {
      toast(`添加失败：${errorText(ex)}`, 'error');
    }
  });

  async function deadLetters(c, box) {
    try {
      const r = await api.get(`/api/v1/notification-channels/${c.id}/deliveries?state=dead&limit=20`);
      if (!r.deliveries.length) { clear(box, h('p', { class: 'muted' }, '没有发送失败的消息')); return; }
      clear(box, h('ul', { class: 'dead-letters', 'data-testid': 'dead-letters' }, r.deliveries.map((d) => h('li', {},
        h('div', {}, h('strong', {}, d.title)),
        h('div', { class: 'form-error' }, `${d.attempts} 次失败：${d.last_error || ''}`),
        h('div', { class: 'muted' }, `最后尝试 ${fmtTime(d.last_attempt_at)}`),
        h('button', { type: 'button', class: 'link', onclick: async () => {
          try { await api.post(`/api/v1/notification-channels/${c.id}/deliveries/${d.id}/retry`); toast('已重新排队发送', 'ok'); load(); } catch (ex) { toast(errorText(ex), 'error'); }
        } }, '重新发送')))));
    } catch (ex) {
      clear(box, h('p', { class: 'form-error' }, errorText(ex)));
    }
  }

  function card(c) {
    const more = h('div', {});
    const o = c.outbox;
    return h('div', { class: 'channel-card', 'data-channel': c.id, 'data-kind': c.kind },
      h('div', { class: 'channel-top' }, h('strong', {}, c.name), ' ', h('span', { class: 'badge grade' }, KINDS[c.kind] || c.kind),
        c.enabled ? null : h('span', { class: 'badge' }, '已停用')),
      h('div', { class: 'muted' }, `${c.area_name}（${AREA_LEVELS[c.level] || c.level}）`, c.digest_at ? ` · 每日 ${c.digest_at} 汇总` : ''),
      h('div', { class: 'mono' }, c.url), c.secret_set ? h('div', { class: 'muted' }, '密钥已设置（不再显示）') : null,
      h('div', { class: 'channel-stats' }, `待发送 ${o.pending} · 已送达 ${o.delivered} · `,
        h('span', { class: o.dead ? 'form-error' : '', 'data-testid': 'dead-count' }, `发送失败 ${o.dead}`),
        o.last_delivered_at ? ` · 最近送达 ${fmtTime(o.last_delivered_at)}` : ''),
      o.last_error ? h('div', { class: 'form-error' }, `最近错误：${o.last_error}`) : null,
      c.last_test ? h('div', { class: c.last_test.ok ? 'muted' : 'form-error', 'data-testid': 'test-result' },
        `测试 ${fmtTime(c.last_test.at)}：${c.last_test.ok ? '成功' : `失败 ${c.last_test.error || ''}`}`) : null,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'data-action': 'test', onclick: async () => {
          try {
            const r = await api.post(`/api/v1/notification-channels/${c.id}/test`);
            toast(r.ok ? '测试消息已送达' : `测试失败：${r.error}`, r.ok ? 'ok' : 'error');
            load();
          } catch (ex) { toast(errorText(ex), 'error'); }
        } }, '发送测试'),
        h('button', { type: 'button', class: 'secondary', onclick: () => deadLetters(c, more) }, '失败消息'),
        h('button', { type: 'button', class: 'secondary', onclick: async () => {
          try { await api.patch(`/api/v1/notification-channels/${c.id}`, { enabled: !c.enabled }); load(); } catch (ex) { toast(errorText(ex), 'error'); }
        } }, c.enabled ? '停用' : '启用'),
        h('button', { type: 'button', class: 'secondary', onclick: async () => {
          if (!confirm(`删除渠道「${c.name}」？未发送的消息将一并删除。`)) return;
          try { await request('DELETE', `/api/v1/notification-channels/${c.id}`); load(); } catch (ex) { toast(errorText(ex), 'error'); }
        } }, '删除')),
      more);
  }

  async function load() {
    try {
      const r = await api.get('/api/v1/notification-channels');
      clear(listEl, r.channels.length ? r.channels.map(card) : h('p', { class: 'empty', 'data-testid': 'channels-empty' }, '尚未配置通知渠道'));
    } catch (ex) {
      clear(listEl, h('p', { class: 'form-error' }, errorText(ex)));
    }
  }

  // the areas the user manages that can have a channel
  (async () => {
    try {
      const scopes = ctx.user.scopes || [];
      const prefix = (c) => (/0{8}$/.test(c) ? c.slice(0, 4) : /0{6}$/.test(c) ? c.slice(0, 6) : /0{3}$/.test(c) ? c.slice(0, 9) : c);
      const areas = (await getAll('/api/v1/areas?limit=2000', 2000))
        .map((f) => f.properties)
        .filter((a) => a.level !== 'village' && (ctx.user.role === 'admin' || scopes.some((s) => a.code.startsWith(prefix(s)))))
        .sort((a, b) => a.code.localeCompare(b.code));
      clear(areaSel, areas.map((a) => h('option', { value: a.code }, `${a.name}（${AREA_LEVELS[a.level] || a.level}）`)));
    } catch { /* the form says the area is missing */ }
  })();
  load();

  return h('section', { class: 'view channels-view' },
    h('h2', {}, '通知渠道'),
    h('p', { class: 'muted' }, '新上报、待核查、逾期和升级的隐患会推送到本区域的工作群；发送失败会自动重试。'),
    listEl, h('h3', {}, '添加渠道'), form);
}
