// End to end, keeping the map current (docs/editing.md): a risk point moved
// by another session shows its old position from the history timeline; the
// print button gives a PDF whose text (pdftotext) has the title and the
// legend; a stock movement below the norm raises the flag in 四个一.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Harness, login, mapIdle, interiorPoint } from './harness.mjs';

const H = new Harness();
const DESKTOP = { viewport: { width: 1366, height: 850 } };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };

before(async () => { await H.start(); }, { timeout: 240e3 });
after(async () => { await H.stop(); });

// openFeature centres the map on lon/lat at z17 and clicks there.
async function openFeature(page, lon, lat) {
  await page.evaluate(([x, y]) => window.map.jumpTo({ center: [x, y], zoom: 17 }), [lon, lat]);
  await mapIdle(page);
  const box = await page.evaluate(([x, y]) => {
    const p = window.map.project([x, y]);
    const r = window.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, [lon, lat]);
  await page.mouse.click(box.x, box.y);
}

test('the history timeline shows the old position and the print button gives the map as a PDF', { timeout: 180e3 }, async () => {
  // a risk point of 新港街道 (in a grid of 立新社区), moved by another session
  const grids = await H.api('xingang', 'GET', '/api/v1/grids?limit=1000');
  const grid = grids.features.find((f) => f.properties.code.startsWith('441502001001'));
  const ring = grid.geometry.coordinates[0][0];
  const cx = ring.slice(0, -1).reduce((a, p) => a + p[0], 0) / (ring.length - 1);
  const cy = ring.slice(0, -1).reduce((a, p) => a + p[1], 0) / (ring.length - 1);
  const from = [Number(cx.toFixed(6)), Number(cy.toFixed(6))];
  const to = [Number((cx + 0.0004).toFixed(6)), Number((cy + 0.0003).toFixed(6))];
  const made = await H.api('xingang', 'POST', '/api/v1/risk_points', {
    type: 'Feature', geometry: { type: 'Point', coordinates: from },
    properties: { name: '历史测试点', category: 'flood', risk_level: 2 },
  });
  await H.api('city', 'PATCH', `/api/v1/risk_points/${made.id}`, { type: 'Feature', geometry: { type: 'Point', coordinates: to } });

  const { page } = await H.browser('xingang-history', DESKTOP);
  await login(page, H.base, 'xingang', '#map');
  await openFeature(page, to[0], to[1]);
  await page.waitForSelector(`[data-history="risk_points/${made.id}"] .history-item`, { timeout: 30e3 });
  const items = await page.locator(`[data-history="risk_points/${made.id}"] .history-item`).allTextContents();
  assert.equal(items.length, 2, `two versions: ${items}`);
  assert.match(items[0], /汕尾市应急管理局/, 'the move names who made it');
  assert.match(items[1], /新港街道应急办/, 'the creation names its author');
  await page.click(`[data-history="risk_points/${made.id}"] [data-old-geometry]`);
  await mapIdle(page);
  const old = await page.evaluate(() => window.map.querySourceFeatures('history-geometry').map((f) => f.geometry.coordinates));
  // (a GeoJSON source repeats a feature once per internal tile it meets)
  assert.ok(old.length >= 1, 'the old position is drawn');
  for (const c of old) assert.ok(Math.abs(c[0] - from[0]) < 1e-6 && Math.abs(c[1] - from[1]) < 1e-6, `old position ${c} is where it stood, ${from}`);
  await H.shot(page, '20-history-old-position');

  // the print button of the point's grid: a PDF with the title and legend
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 60e3 }),
    page.click('[data-print]'),
  ]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'riskmap-print-')), 'map.pdf');
  await download.saveAs(file);
  assert.equal(fs.readFileSync(file).subarray(0, 5).toString(), '%PDF-');
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  assert.match(text, new RegExp(`${grid.properties.name} 安全风险分布图`), `the title names the grid: ${text}`);
  assert.match(text, /图例/, 'a legend headed 图例');
  assert.match(text, /风险点：重大风险/, 'the legend lists the four colours');
  assert.match(text, /比例尺 1:/, 'a scale');
  assert.match(text, /打印人：/, 'who printed it');
  await page.context().close();
});

test('a stock movement below the norm raises the flag in 四个一', { timeout: 120e3 }, async () => {
  const depots = await H.api('xingang', 'GET', '/api/v1/depots?limit=100');
  const depot = depots.features.find((f) => f.properties.township_code === '441502001000');
  assert.ok(depot, '新港街道 has a depot');
  const ledger = await H.api('xingang', 'GET', `/api/v1/depots/${depot.id}/stock-movements`);
  const tents = ledger.lines.filter((l) => l.item === 'tents').reduce((a, l) => a + l.quantity, 0);
  assert.ok(tents > 0, 'the depot holds tents');
  const { page } = await H.browser('xingang-readiness', DESKTOP);
  await login(page, H.base, 'xingang', '#readiness', { idle: false });
  const cell = page.locator('[data-stock="441502001000"]');
  await cell.waitFor({ timeout: 30e3 });
  assert.doesNotMatch(await cell.textContent(), /帐篷/, 'tents are not short before');
  // every tent goes out: the township falls below its norm
  await H.api('xingang', 'POST', `/api/v1/depots/${depot.id}/stock-movements`, { item: 'tents', unit: '顶', quantity: -tents, kind: 'out', reason: '台风安置' });
  await page.reload();
  await page.locator('[data-stock="441502001000"]').waitFor({ timeout: 30e3 });
  assert.match(await page.locator('[data-stock="441502001000"]').textContent(), /低于定额：.*帐篷/, 'the flag shows in 四个一');
  await H.shot(page, '21-readiness-stock-flag');
  await page.context().close();
});

test('a worker proposes a risk point on a phone, the township approves it, and it appears on the worker\'s map live', { timeout: 180e3 }, async () => {
  const grids = await H.api('worker1', 'GET', '/api/v1/grids?limit=100');
  const grid = grids.features.find((f) => f.properties.code === '441502001001001') || grids.features[0];
  const at = interiorPoint(grid);
  const { page: phone } = await H.browser('worker1-proposal', PHONE);
  await login(phone, H.base, 'worker1', '#proposals', { idle: false });
  await phone.waitForSelector('[data-testid=proposal-form]');
  await phone.fill('[data-testid=proposal-form] input[name=name]', '建议测试边坡');
  await phone.selectOption('[data-testid=proposal-form] select[name=risk_level]', '1');
  await phone.fill('[data-testid=proposal-form] textarea[name=reason]', '新开挖边坡，雨季易滑坡');
  await phone.click('[data-testid=proposal-pick]');
  await phone.evaluate(([x, y]) => window.map.jumpTo({ center: [x, y], zoom: 16 }), at);
  await mapIdle(phone);
  const pt = await phone.evaluate(([x, y]) => {
    const p = window.map.project([x, y]);
    const r = window.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, at);
  await phone.mouse.click(pt.x, pt.y);
  await phone.waitForSelector('[data-testid=proposal-form]', { state: 'visible' });
  await phone.click('[data-testid=proposal-form] button[type=submit]');
  await phone.waitForSelector('[data-testid=my-proposals] [data-state=pending]', { timeout: 30e3 });
  await H.shot(phone, '22-worker-proposal-pending');

  // the worker goes to the map, where the point will stand, and waits
  await phone.click('nav.tabs [data-view=map]');
  await phone.evaluate(([x, y]) => window.map.jumpTo({ center: [x, y], zoom: 16 }), at);
  await mapIdle(phone);
  const seen = []; // what the phone asks for from now on
  phone.on('request', (q) => seen.push(q.url()));

  const { page: office } = await H.browser('xingang-review', DESKTOP);
  await login(office, H.base, 'xingang', '#proposals', { idle: false });
  const item = office.locator('[data-testid=review-proposals] [data-proposal]').filter({ hasText: '建议测试边坡' });
  await item.waitFor({ timeout: 30e3 });
  // the office sees it on the map too, as a pending ring where it would stand
  const pending = (await H.api('xingang', 'GET', '/api/v1/proposals?state=pending')).proposals.find((p) => p.feature.properties.name === '建议测试边坡');
  await office.evaluate(([x, y]) => window.map.jumpTo({ center: [x, y], zoom: 16 }), at);
  const ringShown = (pid) => window.map.querySourceFeatures('proposals-pending').some((f) => f.properties.id === pid);
  await office.waitForFunction(ringShown, pending.id, { timeout: 30e3 });
  await H.shot(office, '23-office-review');
  const asked = seen.length;
  await item.locator('[data-action=approve]').click();
  await office.waitForFunction(() => !document.querySelector('[data-testid=review-proposals]').textContent.includes('建议测试边坡'), null, { timeout: 30e3 });
  await office.waitForFunction((pid) => !window.map.querySourceFeatures('proposals-pending').some((f) => f.properties.id === pid), pending.id, { timeout: 30e3 });
  const mine = await H.api('worker1', 'GET', '/api/v1/proposals?state=approved');
  const approved = mine.proposals.find((p) => p.feature.properties.name === '建议测试边坡');
  assert.ok(approved && approved.applied_id, 'the proposal was applied');

  // LIVE: with nobody touching the phone, the point appears on its map — the
  // live feed's feature event made the map fetch its tiles again (new URLs);
  // the phone asked for no list of proposals, nor anything but tiles
  const t0 = Date.now();
  await phone.waitForFunction((id) => window.map.querySourceFeatures('riskmap', { sourceLayer: 'risk_points' }).some((f) => f.id === id),
    approved.applied_id, { timeout: 30e3 });
  const after = seen.slice(asked);
  console.log(`# approved point on the worker's map ${Date.now() - t0} ms after the approval was answered; phone requests since: ${after.length}`);
  assert.ok(after.some((u) => /\/tiles\/all\/\d+\/\d+\/\d+\.mvt\?v=\d+$/.test(u)), `tiles fetched again: ${after.join(' ')}`);
  assert.deepEqual(after.filter((u) => !/\/(tiles|glyphs|fonts)\//.test(u)), [], 'nothing polled');
  await phone.waitForFunction(() => (document.getElementById('toasts') || { textContent: '' }).textContent.includes('建议已被采纳'), null, { timeout: 10e3 });
  await phone.click('nav.tabs [data-view=proposals]');
  await phone.waitForSelector('[data-testid=my-proposals] [data-state=approved]', { timeout: 30e3 });
  await H.shot(phone, '24-worker-map-approved-point');
  const hist = await H.api('worker1', 'GET', `/api/v1/risk_points/${approved.applied_id}/history`);
  assert.equal(hist.versions[0].via, 'proposal');
  assert.equal(hist.versions[0].proposal.proposed_by.name.length > 0, true);
  await phone.context().close();
  await office.context().close();
});

// screenAt: where lon/lat is on the page.
function screenAt(page, at) {
  return page.evaluate(([x, y]) => {
    const p = window.map.project([x, y]);
    const r = window.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, at);
}

// levelOnMap: the risk level the map draws for risk point id (null while
// it is not drawn).
function levelOnMap(page, id) {
  return page.evaluate((rid) => {
    const f = window.map.queryRenderedFeatures({ layers: ['risk-points'] }).find((x) => x.id === rid);
    return f ? f.properties.risk_level : null;
  }, id);
}

test('a township adds a risk point by clicking, moves it by dragging, changes its level, resolves a 412 conflict and deletes it', { timeout: 300e3 }, async () => {
  const grids = await H.api('xingang', 'GET', '/api/v1/grids?limit=1000');
  const grid = grids.features.find((f) => f.properties.code.startsWith('441502001002')) || grids.features[0];
  const at = interiorPoint(grid);
  // on purpose: the refused phone number (422) and the two conflicts (412)
  H.expectConsoleError('xingang-edit', /status of (422|412)/);
  const { page } = await H.browser('xingang-edit', DESKTOP);
  await login(page, H.base, 'xingang', '#map');
  await page.evaluate(([x, y]) => window.map.jumpTo({ center: [x, y], zoom: 17 }), at);
  await mapIdle(page);

  // add: 新增要素 → 风险点, a click where it stands, then its attributes
  await page.click('[data-testid=map-add]');
  await page.click('[data-add=risk_points]');
  await page.waitForSelector('[data-testid=edit-bar]');
  const click = await screenAt(page, at);
  await page.mouse.click(click.x, click.y);
  const form = page.locator('[data-testid=attr-form]');
  await form.waitFor();
  await form.locator('input[name=name]').fill('编辑测试点');
  await form.locator('select[name=category]').selectOption('flood');
  await form.locator('select[name=risk_level]').selectOption('3');
  await form.locator('input[name=phone]').fill('电话不详');
  await form.locator('button[type=submit]').click();
  // the server refuses the phone number: said next to the phone field
  const phoneError = form.locator('.field-error[data-for=phone]');
  await page.waitForFunction(() => document.querySelector('.field-error[data-for=phone]').textContent.length > 0, null, { timeout: 30e3 });
  assert.match(await phoneError.textContent(), /电话/, 'the phone field says what is wrong');
  assert.equal(await form.locator('.field-error[data-for=name]').textContent(), '', 'no error beside a good field');
  await H.shot(page, '25-edit-field-error');
  await form.locator('input[name=phone]').fill('0660-3388123');
  await form.locator('button[type=submit]').click();
  await form.waitFor({ state: 'detached', timeout: 30e3 });
  await page.waitForSelector('.feature-detail[data-layer=risk_points] [data-testid=edit-actions]', { timeout: 30e3 });
  const id = Number(await page.locator('.feature-detail[data-layer=risk_points]').getAttribute('data-id'));
  let made = await H.api('xingang', 'GET', `/api/v1/risk_points/${id}`);
  assert.equal(made.properties.name, '编辑测试点');
  assert.equal(made.properties.risk_level, 3);
  const clicked = await page.evaluate(([x, y]) => { const ll = window.map.unproject([x, y]); return [ll.lng, ll.lat]; },
    [click.x - (await page.evaluate(() => window.map.getCanvas().getBoundingClientRect().left)), click.y - (await page.evaluate(() => window.map.getCanvas().getBoundingClientRect().top))]);
  assert.ok(Math.abs(made.geometry.coordinates[0] - clicked[0]) < 1e-6 && Math.abs(made.geometry.coordinates[1] - clicked[1]) < 1e-6,
    `stored where clicked: ${made.geometry.coordinates} vs ${clicked}`);
  assert.equal(made.properties.grid_code, grid.properties.code, 'placed in the grid clicked');
  await page.waitForFunction((rid) => window.map.queryRenderedFeatures({ layers: ['risk-points'] }).some((x) => x.id === rid), id, { timeout: 30e3 });
  const hist = await H.api('xingang', 'GET', `/api/v1/risk_points/${id}/history`);
  assert.equal(hist.versions[0].via, 'app', 'the history says it came from the app');

  // move: 移动位置, drag the point 80 px east and 40 px south, save
  await page.click('[data-edit=move]');
  await page.waitForSelector('[data-testid=edit-bar]');
  await mapIdle(page);
  const from = await screenAt(page, made.geometry.coordinates);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(from.x + 10 * i, from.y + 5 * i);
  await page.mouse.up();
  const target = await page.evaluate(([x, y]) => {
    const r = window.map.getCanvas().getBoundingClientRect();
    const ll = window.map.unproject([x - r.left, y - r.top]);
    return [ll.lng, ll.lat];
  }, [from.x + 80, from.y + 40]);
  await page.click('[data-testid=edit-save]');
  await page.waitForSelector('[data-testid=edit-bar]', { state: 'detached', timeout: 30e3 });
  made = await H.api('xingang', 'GET', `/api/v1/risk_points/${id}`);
  const metres = (a, b) => Math.hypot((a[0] - b[0]) * 102.6e3, (a[1] - b[1]) * 111.2e3);
  assert.ok(metres(made.geometry.coordinates, target) < 3, `moved to where it was dropped: ${made.geometry.coordinates} vs ${target}`);
  assert.equal(made.properties.version, 2);
  await H.shot(page, '26-edit-moved');

  // level: 编辑属性, 一般 → 重大: the map recolours it
  await page.waitForSelector('.feature-detail[data-layer=risk_points] [data-edit=attributes]', { timeout: 30e3 });
  assert.equal(await levelOnMap(page, id) ?? 3, 3);
  await page.click('[data-edit=attributes]');
  await form.waitFor();
  await form.locator('select[name=risk_level]').selectOption('1');
  await form.locator('button[type=submit]').click();
  await form.waitFor({ state: 'detached', timeout: 30e3 });
  await page.evaluate(([x, y]) => window.map.jumpTo({ center: [x, y], zoom: 17 }), made.geometry.coordinates);
  await page.waitForFunction((rid) => {
    const f = window.map.queryRenderedFeatures({ layers: ['risk-points'] }).find((x) => x.id === rid);
    return f && f.properties.risk_level === 1;
  }, id, { timeout: 30e3 });
  const colour = await page.evaluate(() => window.map.getPaintProperty('risk-points', 'circle-color'));
  assert.equal(JSON.stringify(colour).includes('#E53935'), true, 'level 1 is drawn red');
  await H.shot(page, '27-edit-recoloured');

  // conflict: the form is open when another session changes the point;
  // saving shows both versions, and keeping mine changes only my field
  await page.waitForSelector('.feature-detail[data-layer=risk_points] [data-edit=attributes]', { timeout: 30e3 });
  await page.click('[data-edit=attributes]');
  await form.waitFor();
  await form.locator('input[name=name]').fill('编辑测试点（本人修改）');
  await H.api('city', 'PATCH', `/api/v1/risk_points/${id}`, { type: 'Feature', properties: { risk_level: 2, address: '市局补录地址' } });
  await form.locator('button[type=submit]').click();
  const conflict = page.locator('[data-testid=conflict]');
  await conflict.waitFor({ timeout: 30e3 });
  assert.match(await conflict.locator('tr[data-field=name] [data-side=mine]').textContent(), /本人修改/);
  assert.match(await conflict.locator('tr[data-field=risk_level] [data-side=theirs]').textContent(), /较大风险/);
  assert.match(await conflict.locator('tr[data-field=address] [data-side=theirs]').textContent(), /市局补录地址/);
  await H.shot(page, '28-edit-conflict');
  let stored = await H.api('xingang', 'GET', `/api/v1/risk_points/${id}`);
  assert.equal(stored.properties.name, '编辑测试点', 'nothing is written before the user chooses');
  await conflict.locator('[data-testid=conflict-mine]').click();
  await form.waitFor({ state: 'detached', timeout: 30e3 });
  stored = await H.api('xingang', 'GET', `/api/v1/risk_points/${id}`);
  assert.equal(stored.properties.name, '编辑测试点（本人修改）', 'mine kept');
  assert.equal(stored.properties.risk_level, 2, 'their level stands');
  assert.equal(stored.properties.address, '市局补录地址', 'their address stands');
  assert.equal(stored.properties.version, 5);

  // and a conflict on a move, resolved by taking theirs: nothing of mine written
  await page.waitForSelector('.feature-detail[data-layer=risk_points] [data-edit=move]', { timeout: 30e3 });
  await page.click('[data-edit=move]');
  await page.waitForSelector('[data-testid=edit-bar]');
  await mapIdle(page);
  const p2 = await screenAt(page, stored.geometry.coordinates);
  await page.mouse.move(p2.x, p2.y);
  await page.mouse.down();
  for (let i = 1; i <= 6; i++) await page.mouse.move(p2.x - 10 * i, p2.y);
  await page.mouse.up();
  await H.api('city', 'PATCH', `/api/v1/risk_points/${id}`, { type: 'Feature', geometry: { type: 'Point', coordinates: [stored.geometry.coordinates[0], stored.geometry.coordinates[1] + 0.0002] } });
  await page.click('[data-testid=edit-save]');
  await conflict.waitFor({ timeout: 30e3 });
  assert.match(await conflict.locator('tr[data-field=geometry] [data-side=theirs]').textContent(), /已移动/);
  await conflict.locator('[data-testid=conflict-theirs]').click();
  await page.waitForSelector('[data-testid=edit-bar]', { state: 'detached', timeout: 30e3 });
  const after = await H.api('xingang', 'GET', `/api/v1/risk_points/${id}`);
  assert.equal(after.properties.version, 6, 'only their move was written');
  assert.ok(Math.abs(after.geometry.coordinates[1] - stored.geometry.coordinates[1] - 0.0002) < 1e-9);

  // delete: asked first, then gone from the API and from the map
  await page.waitForSelector('.feature-detail[data-layer=risk_points] [data-edit=delete]', { timeout: 30e3 });
  await page.click('[data-edit=delete]');
  await page.click('[data-testid=confirm] [data-testid=confirm-ok]');
  await page.waitForFunction((rid) => !window.map.querySourceFeatures('riskmap', { sourceLayer: 'risk_points' }).some((f) => f.id === rid), id, { timeout: 30e3 });
  const gone = await fetch(`${H.base}/api/v1/risk_points/${id}`, { headers: { Authorization: `Bearer ${H.tokens.xingang}` } });
  assert.equal(gone.status, 404, 'deleted');
  await page.context().close();
});

// sharedVertex finds two grids with one ring each that share a vertex used
// by no third grid, inside their shared edge: [a, b, index in a's ring,
// index in b's ring].
function sharedVertex(grids) {
  const ring = (g) => (g.geometry.type === 'MultiPolygon' && g.geometry.coordinates.length === 1 && g.geometry.coordinates[0].length === 1
    ? g.geometry.coordinates[0][0] : null);
  const users = new Map();
  for (const g of grids) {
    const r = ring(g);
    if (!r) continue;
    r.slice(0, -1).forEach((c, i) => {
      const k = `${c[0]},${c[1]}`;
      if (!users.has(k)) users.set(k, []);
      users.get(k).push([g, i]);
    });
  }
  // inside a shared edge: its neighbours on the ring are the other grid's
  // too (an end of the edge may lie on the edge of the city: moving it would
  // leave points outside every grid, which the server refuses)
  const key = (c) => `${c[0]},${c[1]}`;
  for (const list of users.values()) {
    if (list.length !== 2 || list[0][0].id === list[1][0].id) continue;
    const [[a, i], [b, j]] = list;
    const r = ring(a);
    const n = r.length - 1;
    const other = new Set(ring(b).map(key));
    if (other.has(key(r[(i + 1) % n])) && other.has(key(r[(i + n - 1) % n]))) return [a, b, i, j];
  }
  return null;
}

test('a township redraws a shared grid edge: the vertex moves in both grids, saved in one batch', { timeout: 240e3 }, async () => {
  const grids = (await H.api('xingang', 'GET', '/api/v1/grids?limit=1000')).features;
  const found = sharedVertex(grids);
  assert.ok(found, 'two grids of 新港 share a vertex');
  const [a, b, ia, ib] = found;
  const ringA = a.geometry.coordinates[0][0];
  const { page } = await H.browser('xingang-reshape', DESKTOP);
  await login(page, H.base, 'xingang', '#map');
  const patches = [];
  page.on('request', (q) => { if (q.method() === 'PATCH') patches.push(q.url()); });

  // the grid's details, by the search box
  await page.locator('input[type=search]').fill(a.properties.code);
  const option = page.locator(`[data-testid=map-search-results] [role=option][data-layer=grids][data-id="${a.id}"]`);
  await option.waitFor({ timeout: 15e3 });
  await option.click();
  await page.waitForSelector('.feature-detail[data-layer=grids] [data-edit=reshape]', { timeout: 30e3 });
  await page.click('[data-edit=reshape]');
  await page.waitForSelector('[data-testid=edit-bar]');
  await mapIdle(page);

  // drag the shared vertex 25 px right, 15 px down
  const from = await screenAt(page, ringA[ia]);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(from.x + 5 * i, from.y + 3 * i);
  await page.mouse.up();
  const target = await page.evaluate(([x, y]) => {
    const r = window.map.getCanvas().getBoundingClientRect();
    const ll = window.map.unproject([x - r.left, y - r.top]);
    return [ll.lng, ll.lat];
  }, [from.x + 25, from.y + 15]);
  await page.waitForFunction(() => /已修改 2 个/.test(document.querySelector('[data-testid=edit-bar]').textContent), null, { timeout: 10e3 });
  await H.shot(page, '29-reshape-shared-edge');
  await page.click('[data-testid=edit-save]');
  await page.waitForFunction(() => { const bar = document.querySelector('[data-testid=edit-bar]'); return !bar || bar.querySelector('.edit-status').textContent && !/已修改/.test(bar.querySelector('.edit-status').textContent); }, null, { timeout: 30e3 });
  const refused = await page.evaluate(() => { const bar = document.querySelector('[data-testid=edit-bar]'); return bar ? bar.textContent : null; });
  assert.equal(refused, null, 'saved');

  const [na, nb] = await Promise.all([H.api('xingang', 'GET', `/api/v1/grids/${a.id}`), H.api('xingang', 'GET', `/api/v1/grids/${b.id}`)]);
  assert.equal(na.properties.version, a.properties.version + 1);
  assert.equal(nb.properties.version, b.properties.version + 1);
  const ra = na.geometry.coordinates[0][0];
  const rb = nb.geometry.coordinates[0][0];
  assert.deepEqual(ra[ia], rb[ib], 'the shared vertex is one point in both grids');
  const metres = (p, q) => Math.hypot((p[0] - q[0]) * 102.6e3, (p[1] - q[1]) * 111.2e3);
  assert.ok(metres(ra[ia], target) < 3, `moved where dropped: ${ra[ia]} vs ${target}`);
  assert.ok(metres(ra[ia], ringA[ia]) > 1, 'it moved');
  ra.forEach((c, i) => { if (i !== ia && !(ia === 0 && i === ra.length - 1)) assert.deepEqual(c, ringA[i], `vertex ${i} of ${a.properties.code} unchanged, every digit`); });
  assert.deepEqual(patches.filter((u) => /\/api\/v1\/grids(\?|$)/.test(u)).length, 1, `one batch PATCH: ${patches}`);
  await page.context().close();
});

test('no unexpected console errors', () => {
  assert.deepEqual(H.consoleErrors(), []);
});
