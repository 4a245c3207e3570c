// 汕尾市应急风险一张图: the app shell. Log in, then the map with the views of
// the user's role beside it (or over it, on a phone).
import { api, session, setUnauthorizedHandler, getAll } from './api.js';
import { h, clear, toast, errorText } from './ui.js';
import { ROLES } from './labels.js';
import { createMap, layerPanel, setCases, featureAt, bboxOf, fitTo } from './map.js';
import { cases } from './store.js';
import { startFeed } from './feed.js';
import { queue, startQueue } from './queue.js';
import { renderCase } from './casepanel.js';
import { tasksView } from './views/tasks.js';
import { reportView } from './views/report.js';
import { boardView } from './views/board.js';
import { readinessView } from './views/readiness.js';
import { statsView } from './views/stats.js';
import { coverageView } from './views/coverage.js';
import { featureDetails } from './views/details.js';

const VIEWS = {
  map: { label: '地图' },
  tasks: { label: '我的任务', icon: '📋', make: tasksView },
  report: { label: '上报', icon: '＋', make: reportView },
  board: { label: '案件看板', icon: '📋', make: boardView },
  readiness: { label: '四个一', icon: '🏠', make: readinessView },
  stats: { label: '统计', icon: '📊', make: statsView },
  coverage: { label: '覆盖分析', icon: '◎', make: coverageView },
};
const TABS = {
  worker: ['map', 'tasks', 'report'],
  township: ['map', 'board', 'readiness', 'stats'],
  county: ['map', 'board', 'readiness', 'stats'],
  city: ['map', 'board', 'readiness', 'stats'],
  planner: ['map', 'stats', 'coverage', 'readiness'],
  admin: ['map', 'board', 'readiness', 'stats', 'coverage'],
};
const HOME = { worker: 'tasks', planner: 'stats', admin: 'board' };

const root = document.getElementById('app');

function loginScreen(message) {
  const err = h('p', { class: 'form-error', role: 'alert' }, message || '');
  const form = h('form', { class: 'login-card', 'data-testid': 'login' },
    h('h1', {}, '汕尾市应急风险一张图'),
    h('p', { class: 'muted' }, '社区风险地图 · 隐患闭环管理'),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, '用户名'), h('input', { name: 'username', autocomplete: 'username', required: true })),
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, '密码'), h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    err,
    h('button', { type: 'submit', class: 'primary wide' }, '登录'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    err.textContent = '';
    try {
      const r = await api.post('/api/v1/auth/login', { username: fd.get('username').trim(), password: fd.get('password') });
      session.save(r.token, r.user);
      start();
    } catch (ex) {
      err.textContent = ex.status === 401 || ex.status === 403 ? '用户名或密码错误' : errorText(ex);
    }
  });
  clear(root, h('div', { class: 'login' }, form));
}

async function logout() {
  try { await api.post('/api/v1/auth/logout'); } catch { /* the token is dropped anyway */ }
  session.clear();
  location.hash = '';
  location.reload();
}

// scopeBounds: where the user's area lies, to open the map there.
async function scopeBounds(user) {
  const scopes = user.scopes || [];
  try {
    if (user.role === 'worker') return bboxOf(await getAll('/api/v1/grids?limit=500', 500));
    if (user.role === 'admin' || scopes.some((c) => /^\d{4}0{8}$/.test(c))) return null;
    const areas = await getAll('/api/v1/areas?limit=2000', 2000);
    return bboxOf(areas.filter((a) => scopes.includes(a.properties.code)));
  } catch {
    return null;
  }
}

async function loadConfig() {
  try { return await api.get('/api/v1/config'); } catch { return {}; }
}

async function start() {
  let user;
  try {
    user = await api.get('/api/v1/auth/me');
  } catch (e) {
    session.clear();
    loginScreen(e.status === 401 ? '' : `无法连接服务器：${errorText(e)}`);
    return;
  }
  const tabs = TABS[user.role] || ['map'];
  const status = h('span', { class: 'status', 'data-testid': 'status' });
  const queueBadge = h('span', { class: 'queue-badge', 'data-testid': 'queue-count', hidden: true });
  const nav = h('nav', { class: 'tabs', role: 'tablist' });
  const panel = h('aside', { class: 'panel', id: 'panel' });
  const mapEl = h('div', { id: 'mapview' });
  const sheet = h('div', { class: 'sheet', id: 'sheet', hidden: true });
  const layersPop = h('div', { class: 'layers-pop', hidden: true });
  const layersBtn = h('button', { type: 'button', class: 'map-btn', 'data-testid': 'layers-button', onclick: () => { layersPop.hidden = !layersPop.hidden; } }, '图层');
  const shell = h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      h('div', { class: 'brand' }, '汕尾市应急风险一张图'),
      h('div', { class: 'who' }, status, queueBadge,
        h('span', { class: 'user', 'data-testid': 'user' }, `${user.display_name || user.username} · ${ROLES[user.role] || user.role}`),
        h('button', { type: 'button', class: 'link', onclick: logout }, '退出'))),
    h('div', { class: 'main' }, panel, h('div', { class: 'map-wrap' }, mapEl, layersBtn, layersPop, sheet)),
    nav);
  clear(root, shell);

  let online = navigator.onLine;
  let live = 'offline';
  const paintStatus = () => {
    status.className = `status ${online ? live : 'offline'}`;
    status.textContent = !online ? '离线' : live === 'live' ? '实时' : '连接中';
  };
  window.addEventListener('online', () => { online = true; paintStatus(); });
  window.addEventListener('offline', () => { online = false; paintStatus(); });
  paintStatus();
  queue.onChange((recs) => { queueBadge.hidden = !recs.length; queueBadge.textContent = `待发送 ${recs.length}`; });

  const [config, bounds] = await Promise.all([loadConfig(), scopeBounds(user)]);
  const map = await createMap(mapEl, { config, bounds });
  layersPop.append(layerPanel(map));

  let current = null;
  const ctx = {
    user, map,
    canReport: ['worker', 'township', 'county', 'city', 'admin'].includes(user.role),
    go: (name, opts) => show(name, opts),
    showMap: () => document.body.classList.add('map-only'),
    showPanel: () => document.body.classList.remove('map-only'),
    openCase: (id) => openSheet((el) => renderCase(el, id, user, {
      onLocate: (doc) => { ctx.showMap(); map.flyTo({ center: doc.geometry.coordinates, zoom: Math.max(map.getZoom(), 16) }); },
    })),
  };
  function openSheet(fill) {
    sheet.hidden = false;
    const body = h('div', { class: 'sheet-body' });
    clear(sheet, h('button', { type: 'button', class: 'sheet-close', 'aria-label': '关闭', onclick: () => { sheet.hidden = true; } }, '×'), body);
    const r = fill(body);
    if (r instanceof Node) body.append(r);
  }

  function show(name, opts) {
    if (!tabs.includes(name)) name = tabs[0];
    if (current && current.cleanup) current.cleanup();
    for (const b of nav.children) b.setAttribute('aria-selected', String(b.dataset.view === name));
    document.body.dataset.view = name;
    if (name === 'map') {
      document.body.classList.add('map-only');
      current = null;
      clear(panel);
    } else {
      document.body.classList.remove('map-only');
      current = VIEWS[name].make(ctx, opts);
      clear(panel, current);
    }
    if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
    setTimeout(() => map.resize(), 0);
  }
  for (const t of tabs) {
    nav.append(h('button', { type: 'button', role: 'tab', 'data-view': t, onclick: () => show(t) },
      h('span', {}, VIEWS[t].label)));
  }

  map.on('click', (e) => {
    if (map.getCanvas().style.cursor === 'crosshair') return; // picking a point
    const f = featureAt(map, e.point);
    if (!f) { sheet.hidden = true; return; }
    if (f.layer.id.startsWith('cases-')) { ctx.openCase(f.properties.case_id); return; }
    if (f.properties.point_count !== undefined && f.properties.point_count > 1) {
      map.easeTo({ center: e.lngLat, zoom: Math.min(map.getZoom() + 2, 16) });
      return;
    }
    const layer = f.sourceLayer || f.layer.id;
    openSheet(() => featureDetails(ctx, layer, f.id, f.properties));
  });
  for (const id of ['cases-point', 'risk-points', 'hazard-sources', 'stations', 'depots', 'risk-points-cluster']) {
    if (!map.getLayer(id)) continue;
    map.on('mouseenter', id, () => { if (map.getCanvas().style.cursor !== 'crosshair') map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { if (map.getCanvas().style.cursor === 'pointer') map.getCanvas().style.cursor = ''; });
  }

  // the cases: on the map and in every view, kept live
  let tilesTimer = null;
  const reloadTiles = () => {
    clearTimeout(tilesTimer);
    tilesTimer = setTimeout(() => {
      const src = map.getSource('riskmap');
      if (src && src.tiles) src.setTiles(src.tiles); // open-case counts of grids changed
    }, 3000);
  };
  cases.on(() => setCases(map, cases.list()));
  window.addEventListener('online', () => { reloadTiles(); cases.load().catch(() => {}); });
  const pendingRefresh = new Map();
  const stopFeed = startFeed({
    onCase: (ch) => {
      clearTimeout(pendingRefresh.get(ch.id));
      pendingRefresh.set(ch.id, setTimeout(() => { pendingRefresh.delete(ch.id); cases.refresh(ch.id).catch(() => {}); }, 150));
      reloadTiles();
      if (current && current.reload && document.body.dataset.view === 'stats') current.reload();
    },
    onResync: () => { cases.load().catch(() => {}); },
    onStatus: (s) => { live = s; paintStatus(); },
  });
  window.addEventListener('pagehide', stopFeed);
  startQueue();
  cases.load().catch((e) => toast(`案件加载失败：${errorText(e)}`, 'error'));
  const initial = location.hash.slice(1);
  show(tabs.includes(initial) ? initial : (HOME[user.role] || 'board'));
}

setUnauthorizedHandler(() => {
  if (!session.token) return;
  session.clear();
  loginScreen('登录已过期，请重新登录');
});

if (session.token) start(); else loginScreen();
