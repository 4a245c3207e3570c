// The inbox in the header: a bell with the unread count, and the list of
// notifications under it. It is kept live by the event stream (a new
// notification, the count after reading on another screen); opening one
// marks it read and shows its case on the map.
import { api } from './api.js';
import { h, clear, toast, errorText } from './ui.js';
import { fmtTime } from './labels.js';

// bell is the icon, drawn (phones' fonts may have no emoji)
function bell() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '22');
  svg.setAttribute('height', '22');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('fill', 'currentColor');
  path.setAttribute('d', 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z');
  svg.append(path);
  return svg;
}

export function createInbox({ onOpenCase, onOpenView, onSettings }) {
  let unread = 0;
  let items = [];
  let loaded = false;
  const badge = h('span', { class: 'inbox-badge', 'data-testid': 'inbox-badge', hidden: true });
  const button = h('button', { type: 'button', class: 'inbox-button', 'data-testid': 'inbox-button', 'aria-label': '通知', 'aria-haspopup': 'true' },
    bell(), badge);
  const list = h('ul', { class: 'inbox-list', 'data-testid': 'inbox-list' });
  const panel = h('div', { class: 'inbox-panel', 'data-testid': 'inbox', hidden: true, role: 'dialog', 'aria-label': '通知' },
    h('div', { class: 'inbox-head' }, h('strong', {}, '通知'),
      onSettings ? h('button', { type: 'button', class: 'link', 'data-testid': 'inbox-channels',
        onclick: () => { panel.hidden = true; onSettings(); } }, '通知渠道') : null,
      h('button', { type: 'button', class: 'link', 'data-testid': 'inbox-read-all', onclick: () => readAll() }, '全部已读')),
    list);
  const el = h('div', { class: 'inbox' }, button, panel);

  const paintBadge = () => {
    badge.hidden = unread <= 0;
    badge.textContent = unread > 99 ? '99+' : String(unread);
    button.setAttribute('aria-label', unread ? `通知，${unread} 条未读` : '通知');
  };
  const paintList = () => {
    if (!items.length) {
      clear(list, h('li', { class: 'muted inbox-empty' }, loaded ? '暂无通知' : '加载中…'));
      return;
    }
    clear(list, items.map((n) => h('li', {},
      h('button', { type: 'button', class: `inbox-item${n.read_at ? '' : ' unread'}`, 'data-testid': 'inbox-item', 'data-id': n.id,
        'data-case': n.case_id || '', 'data-kind': n.kind, onclick: () => open(n) },
      h('span', { class: 'inbox-title' }, n.title),
      n.body ? h('span', { class: 'inbox-body' }, n.body) : null,
      h('span', { class: 'muted inbox-time' }, fmtTime(n.created_at))))));
  };

  async function load() {
    try {
      const r = await api.get('/api/v1/notifications?limit=30');
      items = r.notifications || [];
      unread = r.unread || 0;
      loaded = true;
      paintBadge();
      paintList();
    } catch (e) {
      if (!loaded) clear(list, h('li', { class: 'form-error' }, `无法读取通知：${errorText(e)}`));
    }
  }

  async function markRead(ids) {
    try {
      const r = await api.post('/api/v1/notifications/read', ids ? { ids } : { all: true });
      unread = r.unread;
      const now = new Date().toISOString();
      for (const n of items) if (!ids || ids.includes(n.id)) n.read_at = n.read_at || now;
      paintBadge();
      paintList();
    } catch (e) {
      toast(`标记已读失败：${errorText(e)}`, 'error');
    }
  }

  function readAll() { if (unread) markRead(null); }

  function open(n) {
    panel.hidden = true;
    if (!n.read_at) markRead([n.id]);
    if (n.case_id) onOpenCase(n.case_id);
    else if (n.link && n.link.startsWith('/#')) onOpenView(n.link.slice(2));
  }

  button.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) { paintList(); load(); }
  });
  document.addEventListener('click', (e) => { if (!el.contains(e.target)) panel.hidden = true; });
  paintList();
  load();

  return {
    el,
    // a new notification from the event stream
    add(n) {
      if (items.some((x) => x.id === n.id)) return;
      items = [n, ...items].slice(0, 50);
      if (!n.read_at) unread++;
      paintBadge();
      paintList();
      toast(n.title, 'info');
    },
    // the unread count after reading elsewhere
    setUnread(count) {
      unread = count;
      paintBadge();
      load();
    },
    reload: load,
  };
}
