// End to end, the field app with no signal (docs/field-app.md): installable
// (the manifest and the service worker meet Chromium's installability
// criteria); after one online login it opens offline, also after the phone
// restarts, showing what was last synced; the map draws the roads and
// village names riskmap holds, and the downloaded offline map of the
// worker's grids draws with no network request at all; a worker starts and
// submits an assigned case with a photo offline and, back online, the
// server has each action exactly once (an answer lost on the way and the
// action sent again change nothing); a refused queued action stays visible
// with the server's message until the worker resolves it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, login, mapIdle, png, loseFirstAnswer } from './harness.mjs';

// the web app from a copy of the build, so that a test can deploy a new version
const H = new Harness({ webDir: true });
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
const GRID = '441502001001001';
const state = {};

before(async () => { await H.start(); }, { timeout: 240e3 });
after(async () => { await H.stop(); });

// pngSize reads a PNG's width and height from its IHDR chunk.
function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString(), 'PNG', 'a PNG file');
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

// ready waits until the service worker controls the page and the app has
// read (and kept) the worker's cases.
async function ready(page) {
  await page.waitForFunction(() => navigator.serviceWorker && navigator.serviceWorker.controller, null, { timeout: 30e3 });
  await page.waitForSelector('[data-testid=my-tasks] [data-case], [data-testid=my-tasks] p', { timeout: 30e3 });
}

// phone opens worker1's phone (the profile of the first login) again for
// test t, closing it when the test ends, passed or not.
async function phone(t, options = {}) {
  const b = await H.browser('worker1-phone', { ...PHONE, ...options }, state.dir);
  t.after(() => b.ctx.close().catch(() => {}));
  return b;
}

// an assigned case for worker1 in its grid, made through the API
async function assignedCase(description) {
  const grid = (await H.api('worker1', 'GET', `/api/v1/grids?limit=100`)).features.find((g) => g.properties.code === GRID);
  const ring = grid.geometry.coordinates[0][0];
  const [lon, lat] = [ring.slice(0, -1).reduce((a, p) => a + p[0], 0) / (ring.length - 1), ring.slice(0, -1).reduce((a, p) => a + p[1], 0) / (ring.length - 1)];
  const c = await H.api('xingang', 'POST', '/api/v1/cases', { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] },
    properties: { grade: 'general', category: 'flood', description } });
  const r = await H.api('xingang', 'POST', `/api/v1/cases/${c.id}/actions`, { action: 'register', version: 1 });
  const me = await H.api('worker1', 'GET', '/api/v1/auth/me');
  const deadline = new Date(Date.now() + 7 * 86400e3).toISOString();
  await H.api('xingang', 'POST', `/api/v1/cases/${c.id}/actions`, { action: 'assign', version: r.properties.version, assignee: me.id, deadline });
  return c.id;
}

test('the manifest and the service worker meet the installability criteria', { timeout: 120e3 }, async () => {
  const { page } = await H.browser('install', PHONE);
  await page.goto(`${H.base}/`);
  const href = await page.getAttribute('link[rel=manifest]', 'href');
  assert.equal(href, '/manifest.webmanifest');
  const res = await fetch(`${H.base}${href}`);
  assert.equal(res.status, 200);
  const m = await res.json();
  // the criteria (web.dev "install criteria", as Lighthouse checked them)
  assert.ok(m.name && m.name.length > 0, 'a name');
  assert.match(m.short_name, /^[\u4e00-\u9fff]{2,12}$/, `a Chinese short name (${m.short_name})`);
  assert.equal(m.display, 'standalone');
  assert.match(m.theme_color, /^#[0-9A-F]{6}$/i);
  assert.match(m.background_color, /^#[0-9A-F]{6}$/i);
  const scope = new URL(m.scope || '/', `${H.base}/`).href;
  assert.ok(new URL(m.start_url, `${H.base}/`).href.startsWith(scope), 'start_url lies in the scope');
  for (const size of [192, 512]) {
    for (const purpose of ['any', 'maskable']) {
      const icon = m.icons.find((i) => i.sizes === `${size}x${size}` && i.type === 'image/png' && (i.purpose || 'any').split(' ').includes(purpose));
      assert.ok(icon, `a ${size}px ${purpose} PNG icon`);
      const r = await fetch(new URL(icon.src, `${H.base}/`));
      assert.equal(r.status, 200, icon.src);
      assert.deepEqual(pngSize(Buffer.from(await r.arrayBuffer())), [size, size], `${icon.src} is ${size}×${size}`);
    }
  }
  // a service worker controls the start URL and answers it with no network
  await page.waitForFunction(() => navigator.serviceWorker.controller, null, { timeout: 30e3 });
  const sw = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration('/');
    return { scope: reg.scope, script: reg.active.scriptURL };
  });
  assert.equal(sw.scope, `${H.base}/`);
  assert.equal(sw.script, `${H.base}/sw.js`);
  await page.context().setOffline(true);
  const offline = await page.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, text: await r.text() }; }, m.start_url);
  assert.equal(offline.status, 200, 'the start URL answers offline');
  assert.match(offline.text, /<link rel="manifest"/);
  await page.context().setOffline(false);
  // and Chromium itself finds nothing that stops installing it
  const cdp = await page.context().newCDPSession(page);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, [], 'Chromium parses the manifest without errors');
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors.map((e) => e.errorId), [], 'Chromium finds no installability error');
  await page.context().close();
});

test('after one online login the app opens offline, also after a restart', { timeout: 240e3 }, async () => {
  state.caseA = await assignedCase(`e2e 离线整改 ${Date.now()}`);
  state.caseB = await assignedCase(`e2e 离线被拒 ${Date.now()}`);
  const { ctx, page, dir } = await H.browser('worker1-phone', { ...PHONE, geolocation: { longitude: 115.37, latitude: 22.79, accuracy: 8 }, permissions: ['geolocation'] });
  await login(page, H.base, 'worker1');
  await ready(page);
  await page.waitForSelector(`[data-testid=my-tasks] [data-case="${state.caseA}"]`);
  const online = await page.$$eval('[data-testid=my-tasks] [data-case]', (els) => els.map((e) => e.dataset.case).sort());

  await ctx.setOffline(true);
  await page.reload();
  await page.waitForSelector(`[data-testid=my-tasks] [data-case="${state.caseA}"]`, { timeout: 30e3 });
  assert.deepEqual(await page.$$eval('[data-testid=my-tasks] [data-case]', (els) => els.map((e) => e.dataset.case).sort()), online,
    'the same tasks as last synced');
  assert.match(await page.textContent('[data-testid=status]'), /离线/);
  assert.match(await page.textContent('[data-testid=synced-at]'), /数据更新于 \d{4}-\d\d-\d\d \d\d:\d\d/);
  await page.waitForSelector('[data-testid=my-grids] li button');
  await H.shot(page, 'offline-01-tasks-after-reload');

  // the phone restarts with no signal: the browser is closed and opened again
  await ctx.close();
  const again = await H.browser('worker1-phone', { ...PHONE, offline: true }, dir);
  state.dir = dir;
  await again.page.goto(`${H.base}/`);
  await again.page.waitForSelector(`[data-testid=my-tasks] [data-case="${state.caseA}"]`, { timeout: 30e3 });
  assert.match(await again.page.textContent('[data-testid=status]'), /离线/);
  assert.ok(await again.page.$$eval('[data-testid=my-grids] li button', (b) => b.length) > 0, 'my grids, as last synced');
  await H.shot(again.page, 'offline-02-tasks-after-restart');
  await again.ctx.close();
});

test('the map shows roads and village names from the server with no raster basemap', { timeout: 120e3 }, async () => {
  const cfg = await H.api('worker1', 'GET', '/api/v1/config');
  assert.equal(cfg.basemap, null, 'no raster basemap is configured');
  const { page } = await H.browser('worker1-map', PHONE);
  await login(page, H.base, 'worker1', '#map');
  const grid = (await H.api('worker1', 'GET', '/api/v1/grids?limit=100')).features.find((g) => g.properties.code === GRID);
  const ring = grid.geometry.coordinates[0][0];
  const xs = ring.map((p) => p[0]);
  const ys = ring.map((p) => p[1]);
  await page.evaluate((b) => window.map.jumpTo({ center: [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2], zoom: 14 }), [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]);
  await mapIdle(page);
  const drawn = await page.evaluate(() => ({
    raster: window.map.getStyle().layers.filter((l) => l.type === 'raster').length,
    roads: window.map.queryRenderedFeatures({ layers: ['roads-line'] }).length,
    names: window.map.queryRenderedFeatures({ layers: ['places-village', 'places-township'] }).map((f) => f.properties.name),
  }));
  assert.equal(drawn.raster, 0, 'no raster layer');
  assert.ok(drawn.roads > 0, `roads are drawn (${drawn.roads})`);
  assert.ok(drawn.names.length > 0, `village names are drawn (${drawn.names.join('、')})`);
  await H.shot(page, 'offline-03-map-roads-and-names');
  await page.context().close();
});

test('the offline map of the worker\'s grids draws with no network request', { timeout: 300e3 }, async (t) => {
  const { ctx, page } = await phone(t);
  await page.goto(`${H.base}/#tasks`);
  await ready(page);
  await page.click('[data-testid=open-offline]');
  await page.click('[data-testid=offline-plan]');
  const est = await page.waitForSelector('[data-testid=offline-estimate]', { timeout: 60e3 });
  const estimated = { bytes: Number(await est.getAttribute('data-bytes')), tiles: Number(await est.getAttribute('data-tiles')) };
  assert.ok(estimated.tiles > 10 && estimated.bytes > 0, `a size before downloading (${JSON.stringify(estimated)})`);
  await H.shot(page, 'offline-04-download-size');
  await page.click('[data-testid=offline-start]');
  const done = await page.waitForSelector('[data-testid=offline-done]', { timeout: 180e3 });
  const got = { bytes: Number(await done.getAttribute('data-bytes')), ms: Number(await done.getAttribute('data-ms')) };
  console.log(`# offline map of worker1's grids: ${estimated.tiles} tiles, ${got.bytes} bytes (estimated ${estimated.bytes}), ${got.ms} ms`);
  assert.ok(got.bytes > 0);
  await page.waitForSelector('[data-testid=offline-packs] [data-pack=grids]');
  await H.shot(page, 'offline-05-downloaded');

  // a fresh page load with no signal, on the map at the grid
  // counted from the reload on (the live feed's stream, open since before,
  // fails when the network goes: that request was made online)
  const requests = [];
  const answered = [];
  const made = new Set();
  let counting = false;
  ctx.on('request', (r) => { if (counting) { made.add(r); requests.push({ url: r.url(), sw: !!r.serviceWorker() }); } });
  ctx.on('requestfailed', (r) => { if (made.has(r)) requests.push({ url: r.url(), failed: true }); });
  page.on('response', (r) => { if (made.has(r.request())) answered.push({ url: r.url(), sw: r.fromServiceWorker(), status: r.status() }); });
  await ctx.setOffline(true);
  await page.evaluate(() => { window.location.hash = '#map'; });
  counting = true;
  await page.reload();
  await page.waitForFunction(() => window.map && window.map.loaded() && document.body.dataset.view === 'map', null, { timeout: 60e3 });
  const grid = (await H.api('worker1', 'GET', '/api/v1/grids?limit=100')).features.find((g) => g.properties.code === GRID);
  const ring = grid.geometry.coordinates[0][0];
  const c = [ring.slice(0, -1).reduce((a, p) => a + p[0], 0) / (ring.length - 1), ring.slice(0, -1).reduce((a, p) => a + p[1], 0) / (ring.length - 1)];
  for (const zoom of [12, 14, 16, 17]) {
    await page.evaluate(([center, z]) => window.map.jumpTo({ center, zoom: z }), [c, zoom]);
    await mapIdle(page);
    const n = await page.evaluate(() => ({
      grids: window.map.queryRenderedFeatures({ layers: ['grids-line'] }).length,
      roads: window.map.queryRenderedFeatures({ layers: ['roads-line'] }).length,
    }));
    assert.ok(n.grids > 0, `z${zoom}: the grid is drawn offline`);
    if (zoom >= 14) assert.ok(n.roads > 0, `z${zoom}: roads are drawn offline`);
  }
  await H.shot(page, 'offline-06-map-offline');
  const tiles = answered.filter((a) => /\/tiles\/all\/\d+\/\d+\/\d+\.mvt$/.test(a.url));
  const network = requests.filter((r) => r.sw || r.failed);
  const notFromSW = answered.filter((a) => !a.sw);
  // the tiles over the worker's grids (as the test computes them) came from
  // the offline map; beyond them the screen may ask for tiles it does not hold
  const mine = new Set();
  for (const g of (await H.api('worker1', 'GET', '/api/v1/grids?limit=100')).features) {
    const pts = g.geometry.coordinates.flat(2);
    const b = [Math.min(...pts.map((p) => p[0])), Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[1]))];
    for (let z = 12; z <= 16; z++) {
      const [x0, y0] = tileOf(b[0], b[3], z);
      const [x1, y1] = tileOf(b[2], b[1], z);
      for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) mine.add(`${z}/${x}/${y}`);
    }
  }
  const ofGrids = tiles.filter((t) => mine.has(t.url.match(/(\d+\/\d+\/\d+)\.mvt$/)[1]));
  console.log(`# offline map: ${requests.length} requests from the page, ${tiles.length} tiles (${ofGrids.length} over the grids), none to the network`);
  assert.ok(ofGrids.length > 0, 'the map asked for tiles of the grids');
  assert.deepEqual(network, [], 'no request reached for the network');
  assert.deepEqual(notFromSW, [], 'every answer came from the service worker');
  assert.deepEqual(ofGrids.filter((t) => t.status !== 200 && t.status !== 204), [], 'every tile of the grids was in the offline map');
});

// tileOf is the XYZ tile holding lon/lat at zoom z (Web Mercator).
function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return [Math.floor(((lon + 180) / 360) * n), Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)];
}

test('a worker starts and submits a case with a photo offline; online the server has each once', { timeout: 240e3 }, async (t) => {
  const { ctx, page } = await phone(t);
  await page.goto(`${H.base}/#tasks`);
  await ready(page);
  await ctx.setOffline(true);
  await page.reload();
  const id = state.caseA;
  await page.click(`[data-testid=my-tasks] [data-case="${id}"]`);
  await page.waitForSelector(`.case-detail[data-case-id="${id}"] button[data-action=start]`);
  assert.equal(await page.textContent('button[data-action=start]'), '开始整改');
  await page.click('button[data-action=start]');
  await page.waitForSelector(`.case-detail[data-case-id="${id}"][data-state=rectifying][data-pending="1"]`);
  await page.click('button[data-action=submit]');
  await page.setInputFiles('.modal input[name=photos]', { name: 'fixed.png', mimeType: 'image/png', buffer: png(30, 140, 70) });
  await page.fill('.modal textarea[name=note]', '离线整改完毕');
  await page.click('.modal button[type=submit]');
  await page.waitForSelector(`.case-detail[data-case-id="${id}"][data-state=submitted][data-pending="2"]`);
  assert.equal(await page.textContent('[data-testid=queue-count]'), '待发送 2');
  await H.shot(page, 'offline-07-started-and-submitted-offline');
  // the queue survives a reload with no signal
  await page.reload();
  await page.waitForSelector('[data-queued]');
  assert.equal(await page.$$eval('[data-queued][data-kind=action]', (l) => l.length), 2);
  let doc = await H.api('xingang', 'GET', `/api/v1/cases/${id}`);
  assert.equal(doc.properties.state, 'assigned', 'nothing reached the server while offline');

  // back online; the answer to the first submit is lost on the way, so the
  // phone sends it again
  const lost = await loseFirstAnswer(ctx, '**/api/v1/cases/*/actions', (r) => JSON.parse(r.postData()).action === 'submit');
  await ctx.setOffline(false);
  await page.waitForFunction(() => !document.querySelector('[data-queued]'), null, { timeout: 60e3 });
  await ctx.unroute('**/api/v1/cases/*/actions');
  assert.equal(lost.count, 1, 'one answer was lost and the submit sent again');
  doc = await H.api('xingang', 'GET', `/api/v1/cases/${id}`);
  assert.equal(doc.properties.state, 'submitted');
  assert.deepEqual(doc.events.map((e) => e.action), ['report', 'register', 'assign', 'start', 'submit'], 'each action once');
  const submit = doc.events.find((e) => e.action === 'submit');
  assert.equal(submit.attachments.length, 1, 'the submit carries the photo');
  assert.equal(doc.attachments.length, 1, 'the photo was stored once');
  assert.equal(doc.attachments[0].content_type, 'image/png');
  assert.match(submit.client_id, /^[0-9a-f-]{36}$/, 'the action kept the phone\'s id');

  // the same action replayed twice creates one event
  const replay = { action: 'submit', version: doc.events.find((e) => e.action === 'start').version, attachments: submit.attachments,
    note: '离线整改完毕', client_id: submit.client_id };
  const r1 = await H.api('worker1', 'POST', `/api/v1/cases/${id}/actions`, replay);
  const r2 = await H.api('worker1', 'POST', `/api/v1/cases/${id}/actions`, replay);
  assert.deepEqual(r1, r2, 'the replays answer alike');
  doc = await H.api('xingang', 'GET', `/api/v1/cases/${id}`);
  assert.equal(doc.events.filter((e) => e.action === 'submit').length, 1, 'still one submit event');
});

test('a refused queued action stays visible with the server\'s message until resolved', { timeout: 180e3 }, async (t) => {
  const { ctx, page } = await phone(t);
  await page.goto(`${H.base}/#tasks`);
  await ready(page);
  const id = state.caseB;
  await page.waitForSelector(`[data-testid=my-tasks] [data-case="${id}"]`);
  await ctx.setOffline(true);
  await page.click(`[data-testid=my-tasks] [data-case="${id}"]`);
  await page.click(`.case-detail[data-case-id="${id}"] button[data-action=start]`);
  await page.waitForSelector(`.case-detail[data-case-id="${id}"][data-pending="1"]`);
  // meanwhile the office merges the case into another: the start no longer fits
  const doc = await H.api('xingang', 'GET', `/api/v1/cases/${id}`);
  await H.api('xingang', 'POST', `/api/v1/cases/${id}/actions`, { action: 'merge', version: doc.properties.version, duplicate_of: state.caseA });
  await page.click('.sheet-close');
  await ctx.setOffline(false);
  const refused = await page.waitForSelector('[data-queued] [data-testid=refused]', { timeout: 60e3 });
  const text = await refused.textContent();
  assert.match(text, /409/, `the refusal shows the server's answer (${text})`);
  assert.match(text, /已被他人修改|状态已变化/, 'and what it means, in Chinese');
  assert.match(await page.getAttribute('[data-testid=queue-count]', 'class'), /refused/);
  await H.shot(page, 'offline-08-refused');
  // it stays after a reload, and the worker deletes it
  await page.reload();
  await page.waitForSelector('[data-queued] [data-testid=refused]');
  page.once('dialog', (d) => d.accept());
  await page.click('[data-queued] [data-testid=queue-delete]');
  await page.waitForSelector('[data-queued]', { state: 'detached' });
  const after = await H.api('xingang', 'GET', `/api/v1/cases/${id}`);
  assert.equal(after.properties.state, 'duplicate');
  assert.ok(!after.events.some((e) => e.action === 'start'), 'the refused start changed nothing');
});

test('a new version takes over when the user says so, and nothing queued is lost', { timeout: 180e3 }, async (t) => {
  const { ctx, page } = await phone(t);
  await page.goto(`${H.base}/#tasks`);
  await ready(page);
  // something waits in the queue: a report made with no signal
  await ctx.setOffline(true);
  await page.click('[data-testid=new-report]');
  await page.click('[data-testid=pick-on-map]');
  const box = await page.locator('#mapview canvas').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.selectOption('select[name=category]', 'flood');
  await page.fill('textarea[name=description]', 'e2e 更新时待发送的上报');
  await page.click('form[data-testid=report-form] button[type=submit]');
  await page.waitForSelector('[data-queued][data-kind=report]');
  const queued = await page.getAttribute('[data-queued][data-kind=report]', 'data-queued');
  // a new build is deployed: the same service worker with one line more
  fs.appendFileSync(path.join(H.webDir, 'sw.js'), '\n// the next build\n');
  await ctx.setOffline(false);
  await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
  await page.waitForSelector('[data-testid=update-ready]', { timeout: 60e3 });
  await H.shot(page, 'offline-09-update-ready');
  const before = await page.evaluate(() => navigator.serviceWorker.controller.scriptURL);
  await Promise.all([page.waitForEvent('load', { timeout: 60e3 }), page.click('[data-testid=update-ready] button.primary')]);
  await page.waitForFunction(() => navigator.serviceWorker.controller, null, { timeout: 30e3 });
  const waiting = await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => !!r.waiting));
  assert.equal(waiting, false, 'the new version is the active one');
  assert.equal(await page.evaluate(() => navigator.serviceWorker.controller.scriptURL), before);
  // the report went out (online), or still waits: never lost
  const cases = await H.api('xingang', 'GET', '/api/v1/cases?limit=1000');
  const sent = cases.features.some((f) => f.id === queued);
  const still = await page.$$eval(`[data-queued="${queued}"]`, (l) => l.length);
  assert.ok(sent || still === 1, `the queued report survived the update (sent ${sent}, still queued ${still})`);
});

test('a report the previous version queued is kept through the upgrade and sent', { timeout: 120e3 }, async () => {
  const { ctx, page } = await H.browser('worker1-old', PHONE);
  await page.goto(`${H.base}/`);
  await page.waitForSelector('[data-testid=login]');
  // what version 1 of the app left on a phone: a report in the store "reports"
  const grid = (await H.api('worker1', 'GET', '/api/v1/grids?limit=100')).features.find((g) => g.properties.code === GRID);
  const ring = grid.geometry.coordinates[0][0];
  const at = [ring.slice(0, -1).reduce((a, p) => a + p[0], 0) / (ring.length - 1), ring.slice(0, -1).reduce((a, p) => a + p[1], 0) / (ring.length - 1)];
  const id = await page.evaluate(([lon, lat, photo]) => new Promise((resolve, reject) => {
    const r = indexedDB.open('riskmap', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('reports', { keyPath: 'id' });
    r.onsuccess = () => {
      const rec = { id: crypto.randomUUID(), created: new Date().toISOString(), caseSent: false, error: null, attempts: 0,
        feature: { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] },
          properties: { grade: 'general', category: 'fire', description: 'e2e 旧版本留下的上报', device_time: new Date().toISOString() } },
        photos: [{ name: 'old.png', type: 'image/png', blob: new Blob([new Uint8Array(photo)], { type: 'image/png' }), sent: false }] };
      rec.feature.id = rec.id;
      const tx = r.result.transaction('reports', 'readwrite');
      tx.objectStore('reports').put(rec);
      tx.oncomplete = () => { r.result.close(); resolve(rec.id); };
      tx.onerror = () => reject(tx.error);
    };
    r.onerror = () => reject(r.error);
  }), [at[0], at[1], [...png(90, 90, 200)]]);
  // the new version opens the database (upgrading it) and sends what waits
  await login(page, H.base, 'worker1', '#tasks', { idle: false });
  let doc = null;
  for (let i = 0; i < 60 && !doc; i++) {
    doc = await H.api('worker1', 'GET', `/api/v1/cases/${id}`).catch(() => null);
    if (!doc || !doc.attachments.length) { doc = null; await new Promise((r) => setTimeout(r, 1000)); }
  }
  assert.ok(doc, 'the report reached the server');
  assert.equal(doc.properties.description, 'e2e 旧版本留下的上报');
  assert.equal(doc.attachments.length, 1, 'with its photo');
  await ctx.close();
});

test('a position worse than 50 m is shown and warned about before it is sent', { timeout: 120e3 }, async () => {
  const { ctx, page } = await H.browser('worker1-gps', { ...PHONE, geolocation: { longitude: 115.37, latitude: 22.79, accuracy: 120 }, permissions: ['geolocation'] });
  await login(page, H.base, 'worker1', '#report', { idle: false });
  await page.click('[data-testid=use-gps]');
  const acc = await page.waitForSelector('[data-testid=gps-accuracy]');
  assert.equal(await acc.getAttribute('data-accuracy'), '120');
  await page.selectOption('select[name=category]', 'fire');
  await page.fill('textarea[name=description]', 'e2e 精度测试');
  await page.click('form[data-testid=report-form] button[type=submit]');
  await page.waitForSelector('[data-testid=gps-warning]');
  await page.click('.modal button.secondary'); // 取消
  assert.equal(await page.$$eval('[data-queued]', (l) => l.length), 0, 'nothing queued after cancelling');
  await ctx.setGeolocation({ longitude: 115.37, latitude: 22.79, accuracy: 6 });
  await page.click('[data-testid=use-gps]');
  await page.waitForSelector('[data-testid=gps-accuracy][data-accuracy="6"]');
  assert.equal(await page.$$eval('.modal', (l) => l.length), 0);
  await ctx.close();
  assert.deepEqual(H.pageErrors, [], 'no uncaught errors in any page');
});
