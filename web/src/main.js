// 汕尾市应急风险一张图: the app shell. Log in, then the map with the views of
// the user's role beside it (or over it, on a phone).
import { api, session, setUnauthorizedHandler, getAll, NetworkError } from './api.js';
import { h, clear, toast, errorText, failBox, modal } from './ui.js';
import { ROLES, fmtTime } from './labels.js';
import { cachedGet, snapshots } from './snapshot.js';
import { offlinePanel, startOffline, forgetOffline } from './offline.js';
import { packs } from './offlinemap.js';
import { createMap, layerPanel, setCases, featureAt, bboxOf, showMarker, CLUSTER_MAX_ZOOM, CITY_BOUNDS, reloadTiles as reloadMapTiles } from './map.js';
import { cases } from './store.js';
import { startFeed } from './feed.js';
import { createInbox } from './inbox.js';
import { queue, startQueue } from './queue.js';
import { renderCase } from './casepanel.js';
import { tasksView } from './views/tasks.js';
import { reportView } from './views/report.js';
import { boardView } from './views/board.js';
import { readinessView } from './views/readiness.js';
import { proposalsView, loadPending } from './views/proposals.js';
import { statsView } from './views/stats.js';
import { coverageView } from './views/coverage.js';
import { channelsView } from './views/channels.js';
import { featureDetails } from './views/details.js';
import { patrolView } from './views/patrol.js';
import { patrolOfficeView, inspectionsView } from './views/routine.js';
import { searchBox } from './search.js';
import { addTool, isEditing } from './edit.js';
import { tokensView } from './views/tokens.js';
import { registerServiceWorker } from './swclient.js';

const VIEWS = {
  map: { label: '地图' },
  tasks: { label: '我的任务', icon: '📋', make: tasksView },
  report: { label: '上报', icon: '＋', make: reportView },
  patrol: { label: '巡查', icon: '🚶', make: patrolView },
  routine: { label: '巡查', icon: '🚶', make: patrolOfficeView },
  inspections: { label: '检查', icon: '🏭', make: inspectionsView },
  board: { label: '案件看板', icon: '📋', make: boardView },
  readiness: { label: '四个一', icon: '🏠', make: readinessView },
  stats: { label: '统计', icon: '📊', make: statsView },
  coverage: { label: '覆盖分析', icon: '◎', make: coverageView },
  proposals: { label: '建议', icon: '✎', make: proposalsView },
  channels: { label: '通知渠道', icon: '🔔', make: channelsView },
  tokens: { label: '访问令牌', make: tokensView }, // from the top bar, not a tab
};
// The tabs of each role, in order; the first is where an unknown link lands.
const TABS = {
  worker: ['map', 'tasks', 'patrol', 'report', 'proposals'],
  township: ['map', 'board', 'routine', 'inspections', 'proposals', 'readiness', 'stats'],
  county: ['map', 'board', 'routine', 'inspections', 'proposals', 'readiness', 'stats'],
  city: ['map', 'board', 'routine', 'inspections', 'proposals', 'readiness', 'stats'],
  planner: ['map', 'stats', 'routine', 'inspections', 'coverage', 'readiness'],
  admin: ['map', 'board', 'routine', 'inspections', 'proposals', 'readiness', 'stats', 'coverage'],
};
// Views a role opens from a button rather than a tab (新建隐患 on the board).
// 通知渠道 (the office's group-chat robots) opens from the inbox.
const ROUTES = {
  township: ['report', 'channels', 'tokens'], county: ['report', 'channels', 'tokens'], city: ['report', 'channels', 'tokens'],
  admin: ['report', 'channels', 'tokens'], planner: ['tokens'],
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

// logout asks first, and warns when reports are still waiting to be sent:
// they stay on this phone, but no one can send them until someone logs in
async function logout() {
  let waiting = 0;
  try { waiting = (await queue.all()).length; } catch { /* no queue: nothing waits */ }
  let maps = 0;
  try { maps = (await packs()).length; } catch { /* no offline map */ }
  const ok = await modal('退出登录', (form) => form.append(
    h('p', {}, '确定要退出登录吗？'),
    waiting ? h('p', { class: 'hint', 'data-testid': 'logout-waiting' }, `还有 ${waiting} 项尚未发送。退出后它们仍保存在本机，用同一账号重新登录后才能发送。`) : null,
    maps ? h('p', { class: 'hint', 'data-testid': 'logout-maps' }, '退出后手机上的离线地图将被删除。') : null),
  { submitText: '退出登录' });
  if (!ok) return;
  try { await api.post('/api/v1/auth/logout'); } catch { /* the token is dropped anyway */ }
  await forgetOffline();
  session.clear();
  location.hash = '';
  location.reload();
}

const pages = (limit) => (p) => getAll(p, limit);

// scopeBounds: where the user's area lies, to open the map there (kept on
// the phone: the box, not the areas it was read from).
async function scopeBounds(user) {
  const scopes = user.scopes || [];
  try {
    if (user.role === 'worker') return bboxOf(await cachedGet('/api/v1/grids?limit=500', pages(500)));
    if (user.role === 'admin' || scopes.some((c) => /^\d{4}0{8}$/.test(c))) return null;
    return await cachedGet('scope:bounds', async () => bboxOf((await getAll('/api/v1/areas?limit=2000', 2000)).filter((a) => scopes.includes(a.properties.code))));
  } catch {
    return null;
  }
}

async function loadConfig() {
  try { return await cachedGet('/api/v1/config'); } catch { return {}; }
}

async function start() {
  let user;
  try {
    user = await api.get('/api/v1/auth/me');
    session.saveUser(user);
  } catch (e) {
    if (e instanceof NetworkError && session.user) {
      // no signal: the app opens as the user who logged in last, with what
      // the phone keeps; the server checks the token when it is reachable
      user = session.user;
    } else {
      if (e.status === 401) session.clear();
      loginScreen(e.status === 401 ? '' : `无法连接服务器：${errorText(e)}`);
      return;
    }
  }
  const tabs = TABS[user.role] || ['map'];
  const routes = [...tabs, ...(ROUTES[user.role] || [])];
  // the status says whether the app is online; a tap opens 离线与存储
  const status = h('button', { type: 'button', class: 'status', 'data-testid': 'status', title: '离线地图与存储', onclick: () => ctx.openOffline() });
  const queueBadge = h('span', { class: 'queue-badge', 'data-testid': 'queue-count', hidden: true });
  const nav = h('nav', { class: 'tabs', role: 'tablist' });
  const panel = h('aside', { class: 'panel', id: 'panel' });
  const mapEl = h('div', { id: 'mapview' });
  const sheet = h('div', { class: 'sheet', id: 'sheet', hidden: true });
  const layersPop = h('div', { class: 'layers-pop', hidden: true });
  // the inbox opens a notification's case on the map (openCaseOnMap is
  // defined once the map exists)
  let openCaseOnMap = () => {};
  const inbox = createInbox({ onOpenCase: (id) => openCaseOnMap(id),
    // a notification about something else links to its view (/#proposals)
    onOpenView: (name) => { if (routes.includes(name)) show(name); },
    onSettings: (ROUTES[user.role] || []).includes('channels') ? () => show('channels') : null });
  const layersBtn = h('button', { type: 'button', class: 'map-btn', 'data-testid': 'layers-button', onclick: () => { layersPop.hidden = !layersPop.hidden; } }, '图层');
  // the map's own tools, top left: the search box, a row of buttons (layers,
  // and what other modules add through ctx.mapTools), the layer panel
  const toolRow = h('div', { class: 'tool-row' }, layersBtn);
  const mapTools = h('div', { class: 'map-tools' }, toolRow, layersPop);
  const shell = h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      h('div', { class: 'brand' }, '汕尾市应急风险一张图'),
      h('div', { class: 'who' }, status, queueBadge, inbox.el,
        h('span', { class: 'user', 'data-testid': 'user' }, `${user.display_name || user.username} · ${ROLES[user.role] || user.role}`),
        user.role === 'worker' ? null : h('button', { type: 'button', class: 'link', 'data-testid': 'tokens-button', onclick: () => show('tokens') }, '访问令牌'),
        h('button', { type: 'button', class: 'link logout', 'data-testid': 'logout', onclick: logout }, '退出'))),
    h('div', { class: 'main' }, panel, h('div', { class: 'map-wrap' }, mapEl, mapTools), sheet),
    nav);
  clear(root, shell);

  let online = navigator.onLine;
  let live = 'offline';
  // 离线 · 数据更新于 …: with no signal, or while what is shown is an older copy
  const paintStatus = () => {
    const stale = snapshots.stale;
    status.className = `status ${online && !stale ? live : 'offline'}`;
    status.textContent = !online ? '离线' : stale ? '无法连接' : live === 'live' ? '实时' : '连接中';
    if (stale) status.append(h('span', { class: 'synced', 'data-testid': 'synced-at' }, ` · 数据更新于 ${fmtTime(stale)}`));
  };
  window.addEventListener('online', () => { online = true; paintStatus(); });
  window.addEventListener('offline', () => { online = false; paintStatus(); });
  snapshots.onChange(paintStatus);
  paintStatus();
  queue.onChange((recs) => {
    queueBadge.hidden = !recs.length;
    const refused = recs.filter((r) => r.error && r.error.kind === 'refused').length;
    queueBadge.textContent = `待发送 ${recs.length}`;
    queueBadge.classList.toggle('refused', refused > 0);
    if (refused) queueBadge.title = `${refused} 项被服务器拒绝，请处理`;
  });
  cases.userId = user.id;

  const [config, bounds] = await Promise.all([loadConfig(), scopeBounds(user)]);
  const map = await createMap(mapEl, { config, bounds });
  layersPop.append(layerPanel(map));

  let current = null;
  let currentName = null;
  const home = HOME[user.role] || 'board';
  const ctx = {
    user, map, mapTools: toolRow,
    // the server lets grid workers and the offices report (docs/domain.md)
    canReport: ['worker', 'township', 'county', 'city'].includes(user.role),
    go: (name, opts) => show(name, opts),
    home: () => show(tabs.includes(home) ? home : tabs[0]),
    showMap: () => document.body.classList.add('map-only'),
    showPanel: () => document.body.classList.remove('map-only'),
    openSheet: (fill) => openSheet(fill),
    closeSheet: () => { sheet.hidden = true; },
    // a feature's details, read again (after an edit)
    openFeature: (layer, id) => openSheet(() => featureDetails(ctx, layer, id, {}, null, null)),
    openCase: (id) => openSheet((el) => renderCase(el, id, user, {
      onLocate: (doc) => locateCase(doc),
      onClose: () => { sheet.hidden = true; },
    })),
    openOffline: () => openSheet(() => offlinePanel(ctx)),
  };
  // 在地图上定位: the map view, the case in the middle of what is visible
  // (beside its panel on a desktop; the panel closed on a phone), and a way
  // back to the view it came from, which keeps its layout
  const backBtn = h('button', { type: 'button', class: 'map-btn back', 'data-testid': 'map-back', hidden: true }, '');
  function locateCase(doc) {
    const phone = window.matchMedia('(max-width: 760px)').matches;
    const from = currentName;
    if (from !== 'map') {
      show('map');
      backBtn.textContent = `← 返回${VIEWS[from].label}`;
      backBtn.onclick = () => show(from);
      backBtn.hidden = false;
    }
    if (phone) sheet.hidden = true;
    map.resize();
    const right = !phone && !sheet.hidden ? sheet.offsetWidth + 20 : 0;
    map.jumpTo({ center: doc.geometry.coordinates, zoom: Math.max(map.getZoom(), 16), padding: { left: 0, right, top: 0, bottom: 0 } });
    showMarker(map, doc.geometry.coordinates);
  }
  toolRow.append(backBtn);
  // a case from a notification or a link: on the map, its details open
  openCaseOnMap = async (id) => {
    try {
      const doc = await api.get(`/api/v1/cases/${id}`);
      if (doc.geometry) locateCase(doc);
    } catch { /* the sheet says why */ }
    ctx.openCase(id);
  };
  function openSheet(fill) {
    sheet.hidden = false;
    const body = h('div', { class: 'sheet-body' });
    clear(sheet, h('button', { type: 'button', class: 'sheet-close', 'aria-label': '关闭', onclick: () => { sheet.hidden = true; } }, '×'), body);
    try {
      const r = fill(body);
      if (r instanceof Node) body.append(r);
      else if (r && typeof r.catch === 'function') r.catch((e) => clear(body, failBox('无法显示', e, { back: () => { sheet.hidden = true; }, backText: '关闭' })));
    } catch (e) {
      console.error(e);
      clear(body, failBox('无法显示', e, { back: () => { sheet.hidden = true; }, backText: '关闭' }));
    }
  }

  function show(name, opts) {
    if (!routes.includes(name)) name = tabs[0];
    if (current && current.cleanup) {
      try { current.cleanup(); } catch (e) { console.error(e); }
    }
    for (const b of nav.children) b.setAttribute('aria-selected', String(b.dataset.view === name));
    backBtn.hidden = true;
    document.body.dataset.view = name;
    currentName = name;
    if (name === 'map') {
      document.body.classList.add('map-only');
      current = null;
      clear(panel);
    } else {
      document.body.classList.remove('map-only');
      try {
        current = VIEWS[name].make(ctx, opts || {});
        clear(panel, current);
      } catch (e) {
        // a view that cannot be drawn says so, with a way back: never a blank panel
        console.error(e);
        current = null;
        clear(panel, h('section', { class: 'view' }, h('h2', {}, VIEWS[name].label),
          failBox('无法打开此页面', e, { retry: () => show(name, opts), back: () => (name === home ? show('map') : ctx.home()) })));
      }
    }
    if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
    setTimeout(() => map.resize(), 0);
  }
  for (const t of tabs) {
    nav.append(h('button', { type: 'button', role: 'tab', 'data-view': t, onclick: () => show(t) },
      h('span', {}, VIEWS[t].label)));
  }

  // find a place by name: the map flies there and shows it
  const goTo = (r) => {
    const phone = window.matchMedia('(max-width: 760px)').matches;
    if (phone) ctx.showMap();
    const padding = { top: 60, bottom: 40, left: 40, right: phone ? 40 : 440 };
    if (r.bbox) map.fitBounds([[r.bbox[0], r.bbox[1]], [r.bbox[2], r.bbox[3]]], { padding, maxZoom: 16, duration: 600 });
    else map.flyTo({ center: r.center, zoom: Math.max(map.getZoom(), 16), padding: { ...padding, top: 0, bottom: 0, left: 0 }, duration: 600 });
    showMarker(map, r.bbox ? null : r.center);
    if (r.layer === 'cases') ctx.openCase(r.id);
    else if (!phone) openSheet(() => featureDetails(ctx, r.layer, r.id, { name: r.name }, r.bbox ? null : { type: 'Point', coordinates: r.center }, r.center));
  };
  const search = searchBox({ onPick: goTo, testid: 'map-search' });
  mapTools.prepend(search);
  toolRow.append(
    h('button', { type: 'button', class: 'map-btn', 'data-testid': 'home-area', title: '回到我的区域',
      onclick: () => map.fitBounds(bounds || CITY_BOUNDS, { padding: 20, duration: 600 }) }, h('span', { class: 'wide-only' }, '回到'), '我的区域'),
    navigator.geolocation ? h('button', { type: 'button', class: 'map-btn', 'data-testid': 'my-position', title: '定位到我的位置',
      onclick: () => navigator.geolocation.getCurrentPosition(
        (pos) => { const c = [pos.coords.longitude, pos.coords.latitude]; map.flyTo({ center: c, zoom: Math.max(map.getZoom(), 15) }); showMarker(map, c); },
        () => toast('无法取得您的位置，请检查定位权限', 'error'), { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }) }, '定位') : null);

  if (ctx.canReport) {
    // 新建隐患 on the map: a phoned-in hazard entered where it is
    toolRow.append(h('button', { type: 'button', class: 'map-btn new-case', 'data-testid': 'map-new-case',
      onclick: () => show('report') }, user.role === 'worker' ? '新建上报' : '新建隐患'));
  }

  // 新增要素: for those who keep a point layer (docs/editing.md)
  addTool(ctx).then((tool) => { if (tool) toolRow.append(tool); });

  map.on('click', (e) => {
    if (map.getCanvas().style.cursor === 'crosshair') return; // picking a point
    if (isEditing()) return; // the drawing tool has the clicks
    const f = featureAt(map, e.point);
    if (!f) { sheet.hidden = true; return; }
    if (f.layer.id.startsWith('cases-')) { ctx.openCase(f.properties.case_id); return; }
    if (f.properties.point_count !== undefined) {
      // a cluster: zoom in until its points show one by one
      const single = (CLUSTER_MAX_ZOOM[f.layer.id] ?? 13) + 1;
      const coords = f.geometry && f.geometry.type === 'Point' ? f.geometry.coordinates : [e.lngLat.lng, e.lngLat.lat];
      map.easeTo({ center: coords, zoom: f.properties.point_count <= 1 ? single : Math.min(map.getZoom() + 2, single) });
      return;
    }
    const layer = f.sourceLayer || f.layer.id;
    openSheet(() => featureDetails(ctx, layer, f.id, f.properties, f.geometry, [e.lngLat.lng, e.lngLat.lat]));
  });
  for (const id of ['cases-point', 'risk-points', 'hazard-sources', 'stations', 'depots', 'risk-points-cluster', 'hazard-sources-cluster']) {
    if (!map.getLayer(id)) continue;
    map.on('mouseenter', id, () => { if (map.getCanvas().style.cursor !== 'crosshair') map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, () => { if (map.getCanvas().style.cursor === 'pointer') map.getCanvas().style.cursor = ''; });
  }

  // Escape closes what is open on top, one thing at a time
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || document.querySelector('.modal-overlay')) return;
    if (!layersPop.hidden) layersPop.hidden = true;
    else if (!sheet.hidden) sheet.hidden = true;
  });

  // the cases: on the map and in every view, kept live
  let tilesTimer = null;
  const reloadTiles = () => {
    clearTimeout(tilesTimer);
    tilesTimer = setTimeout(() => {
      reloadMapTiles(map); // open-case counts of grids changed
    }, 3000);
  };
  ctx.reloadTiles = reloadTiles;
  // a patrol sent from the queue moves its point's due date: new tiles
  queue.onSent(() => reloadTiles());
  // "overdue" turns at midnight in Shanghai, not only with writes: the risk
  // point tiles are made for the day, so the map asks again when it turns
  const untilMidnight = () => {
    const now = Date.now();
    const day = 86400e3;
    const cst = 8 * 3600e3;
    return (Math.floor((now + cst) / day) + 1) * day - cst - now + 1000;
  };
  const dayTurn = () => setTimeout(() => {
    const src = map.getSource('riskmap');
    if (src && src.tiles) src.setTiles(src.tiles);
    if (current && current.reload && (currentName === 'patrol' || currentName === 'routine')) current.reload();
    dayTurn();
  }, untilMidnight());
  dayTurn();
  cases.on(() => setCases(map, cases.list()));
  window.addEventListener('online', () => { reloadTiles(); cases.load().catch(() => {}); });
  const pendingRefresh = new Map();
  let featureTimer = null;
  // reviewers see the pending proposals on the map
  const reviewer = tabs.includes('proposals') && user.role !== 'worker';
  if (reviewer) loadPending(ctx);
  const stopFeed = startFeed({
    onCase: (ch) => {
      clearTimeout(pendingRefresh.get(ch.id));
      pendingRefresh.set(ch.id, setTimeout(() => { pendingRefresh.delete(ch.id); cases.refresh(ch.id).catch(() => {}); }, 150));
      reloadTiles();
      if (current && current.reload && currentName === 'stats') current.reload();
    },
    // a feature layer changed where this user may see (an edit, an approved
    // proposal, an import, QGIS): the map's tiles at once
    onFeature: () => {
      clearTimeout(featureTimer);
      featureTimer = setTimeout(() => { reloadMapTiles(map); if (reviewer) loadPending(ctx); }, 200);
    },
    onProposal: (p) => {
      if (p.state !== 'pending') toast(`您的建议${p.state === 'approved' ? '已被采纳' : p.state === 'rejected' ? '未被采纳' : '已撤回'}`, p.state === 'approved' ? 'ok' : 'info');
      if (current && current.reload && currentName === 'proposals') current.reload();
    },
    onNotification: (n) => {
      inbox.add(n);
      if (reviewer) loadPending(ctx);
      if (current && current.reload && currentName === 'proposals') current.reload();
    },
    onInbox: (d) => inbox.setUnread(d.unread),
    onResync: () => { cases.load().catch(() => {}); inbox.reload(); },
    onStatus: (s) => { live = s; paintStatus(); },
    // the token no longer holds (revoked elsewhere, expired): asking who we
    // are leads to the login — unless this page is logging out itself
    onRevoked: () => setTimeout(() => { if (session.token) api.get('/api/v1/auth/me').catch(() => {}); }, 1500),
  });
  window.addEventListener('pagehide', stopFeed);
  startQueue();
  startOffline(ctx);
  cases.load().catch((e) => toast(`案件加载失败：${errorText(e)}`, 'error'));
  // #case=<id> (the links of notifications and robot messages) opens the case
  const caseLink = (hash) => /^#case=([0-9a-f-]{36})$/i.exec(hash);
  window.addEventListener('hashchange', () => {
    const m = caseLink(location.hash);
    if (m) openCaseOnMap(m[1].toLowerCase());
  });
  const initial = location.hash.slice(1);
  const linked = caseLink(location.hash);
  show(routes.includes(initial) ? initial : (tabs.includes(home) ? home : tabs[0]));
  if (linked) openCaseOnMap(linked[1].toLowerCase());
}

// An error nobody caught still reaches the user as a sentence, never as a
// blank screen; the console keeps the detail.
window.addEventListener('error', (e) => { if (e.error) toast(`页面出现错误：${errorText(e.error)}`, 'error'); });
window.addEventListener('unhandledrejection', (e) => { toast(`操作未完成：${errorText(e.reason)}`, 'error'); });

setUnauthorizedHandler(() => {
  if (!session.token) return;
  session.clear();
  loginScreen('登录已过期，请重新登录');
});

// A new version waits until the user chooses to take it (a worker may be
// halfway through a report); what the queue is sending finishes first.
registerServiceWorker({
  onUpdate: (apply) => {
    if (document.querySelector('[data-testid=update-ready]')) return;
    const bar = h('div', { class: 'update-bar', role: 'status', 'data-testid': 'update-ready' },
      h('span', {}, '新版本已就绪，更新不会丢失待发送的内容。'),
      h('button', { type: 'button', class: 'primary', onclick: () => { bar.querySelector('button').disabled = true; apply(); } }, '立即更新'),
      h('button', { type: 'button', class: 'link', onclick: () => bar.remove() }, '稍后'));
    document.body.append(bar);
  },
  beforeUpdate: () => queue.flushing || Promise.resolve(),
});

if (session.token) start(); else loginScreen();
