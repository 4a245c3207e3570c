// End to end: the web app against a real server with the demo city, in
// Chromium. One story, in order: every role logs in and sees its map; a
// grid worker on a phone reports a hazard offline, comes back online, and the
// report is sent (and sent again after a lost answer) making exactly one
// case; the township office registers, assigns, the worker starts and
// submits with a photo, the office approves; the board, the tasks and the
// statistics follow live. Screenshots go to e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, login, mapIdle, png, interiorPoint, loseFirstAnswer, statsSinceLastYear } from './harness.mjs';


const H = new Harness();
const DESKTOP = { viewport: { width: 1366, height: 850 } };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
const state = {};

// assertDrawsTiles looks at the map tab (the board takes the whole width
// of a desktop) and comes back to view.
async function assertDrawsTiles(page, user, view) {
  if (view !== 'map') await page.click('[role=tab][data-view=map]');
  const n = await page.waitForFunction(() => window.map.queryRenderedFeatures().filter((f) => f.source === 'riskmap').length, null, { timeout: 30e3 });
  assert.ok(await n.jsonValue() > 0, `${user}: the map draws tile features`);
  if (view !== 'map') await page.click(`[role=tab][data-view=${view}]`);
}

before(async () => { await H.start(); }, { timeout: 240e3 });
after(async () => {
  await H.stop();
});

test('every role logs in and the map draws the features the server sent', { timeout: 300e3 }, async () => {
  // the worker's risk points and grids, as the API gives them
  const grids = await H.api('worker1', 'GET', '/api/v1/grids?limit=100');
  const gridCodes = new Set(grids.features.map((f) => f.properties.code));
  assert.ok(gridCodes.size > 0, 'worker1 has grids');
  state.grid = grids.features.find((f) => f.properties.code === '441502001001001') || grids.features[0];
  const points = await H.api('worker1', 'GET', '/api/v1/risk_points?limit=10000');
  const pointIds = new Set(points.features.map((f) => f.id));
  assert.ok(pointIds.size > 0, 'worker1 has risk points');

  const { page } = await H.browser('worker1-desktop', DESKTOP);
  await login(page, H.base, 'worker1', '#map');
  const drawn = await page.evaluate(() => ({
    points: window.map.queryRenderedFeatures({ layers: ['risk-points'] }).map((f) => f.id),
    grids: window.map.queryRenderedFeatures({ layers: ['grids-line'] }).map((f) => f.properties.code),
    source: window.map.querySourceFeatures('riskmap', { sourceLayer: 'risk_points' }).filter((f) => f.properties.point_count === undefined).map((f) => f.id),
  }));
  assert.ok(drawn.points.length > 0, 'risk points are drawn');
  for (const id of drawn.points) assert.ok(pointIds.has(id), `drawn risk point ${id} is one the API gives worker1`);
  for (const id of drawn.source) assert.ok(pointIds.has(id), `tile risk point ${id} is one the API gives worker1`);
  assert.ok(drawn.grids.length > 0, 'grid outlines are drawn');
  for (const code of drawn.grids) assert.ok(gridCodes.has(code), `drawn grid ${code} is one of worker1's`);
  // the legend and layer switcher work: hiding risk points removes them
  await page.click('[data-testid=layers-button]');
  await H.shot(page, '01-worker-map-desktop-layers');
  await page.uncheck('input[data-layer=risk_points]');
  assert.equal(await page.evaluate(() => window.map.getLayoutProperty('risk-points', 'visibility')), 'none');
  await page.check('input[data-layer=risk_points]');
  await page.context().close();

  // the township office and the planner stay logged in for the tests below
  for (const [user, expectView] of [['xingang', 'board'], ['planner', 'stats']]) {
    const { page: p } = await H.browser(user, DESKTOP);
    await login(p, H.base, user);
    assert.equal(await p.evaluate(() => document.body.dataset.view), expectView, `${user} opens on ${expectView}`);
    await assertDrawsTiles(p, user, expectView);
    await H.shot(p, `02-${user}-${expectView}`);
    state[user] = p;
  }
  // the other roles, one after the other in one browser
  const { page: other } = await H.browser('others', DESKTOP);
  for (const [user, hash, expectView] of [['city', '#map', 'map'], ['haifeng', '', 'board'], ['admin', '#readiness', 'readiness']]) {
    await login(other, H.base, user, hash, { idle: user === 'city' });
    assert.equal(await other.evaluate(() => document.body.dataset.view), expectView, `${user} opens on ${expectView}`);
    await assertDrawsTiles(other, user, expectView);
    await H.shot(other, `02-${user}-${expectView}`);
    await other.click('[data-testid=logout]');
    await other.click('.modal button[type=submit]'); // 退出登录: asked first
    await other.waitForSelector('[data-testid=login]');
  }
  await other.context().close();
  state.stats0 = (await H.api('xingang', 'GET', '/api/v1/stats/rectification?group_by=township')).total;
});

test('a worker on a phone reports a hazard offline; back online exactly one case exists', { timeout: 120e3 }, async () => {
  const [lon, lat] = interiorPoint(state.grid);
  const loc = await H.api('worker1', 'GET', `/api/v1/locate?lon=${lon}&lat=${lat}`);
  assert.equal(loc.grid.code, state.grid.properties.code, 'the phone stands in worker1 grid');
  const { ctx, page } = await H.browser('worker1-phone', { ...PHONE, geolocation: { longitude: lon, latitude: lat, accuracy: 8 }, permissions: ['geolocation'] });
  // offline on purpose, and an answer dropped on purpose
  H.expectConsoleError('worker1-phone', /net::ERR_INTERNET_DISCONNECTED|net::ERR_CONNECTION_RESET/);
  state.worker = page;
  await login(page, H.base, 'worker1');
  assert.equal(await page.evaluate(() => document.body.dataset.view), 'tasks');
  await H.shot(page, '03-worker-phone-tasks');

  await page.click('[data-testid=new-report]');
  await ctx.setOffline(true);
  await page.click('[data-testid=use-gps]');
  await page.waitForFunction(() => document.querySelector('[data-testid=report-where]').dataset.lon);
  const description = `e2e 排水沟堵塞，雨天积水 ${Date.now()}`;
  state.description = description;
  await page.selectOption('select[name=category]', 'flood');
  await page.fill('textarea[name=description]', description);
  await page.setInputFiles('input[name=photos]', { name: 'site.png', mimeType: 'image/png', buffer: png(200, 60, 40) });
  await H.shot(page, '04-worker-phone-report-offline');
  await page.click('form[data-testid=report-form] button[type=submit]');
  await page.waitForSelector('[data-queued]');
  state.caseId = await page.getAttribute('[data-queued]', 'data-queued');
  assert.match(state.caseId, /^[0-9a-f-]{36}$/);
  assert.equal(await page.textContent('[data-testid=queue-count]'), '待发送 1');
  await H.shot(page, '05-worker-phone-queued');
  const none = await H.api('xingang', 'GET', '/api/v1/cases?limit=1000');
  assert.equal(none.features.filter((f) => f.properties.description === description).length, 0, 'nothing reached the server while offline');

  // back online: the first send reaches the server but its answer is lost,
  // so the phone keeps the report and sends it again with the same id
  const lost = await loseFirstAnswer(page, '**/api/v1/cases', (r) => r.method() === 'POST');
  await ctx.setOffline(false);
  await page.waitForFunction(() => document.querySelector('[data-queued]') && /等待重发/.test(document.querySelector('[data-queued]').textContent), null, { timeout: 20e3 });
  assert.equal(lost.count, 1, 'the first send was made and its answer dropped');
  await page.click('[data-testid=send-now]');
  await page.waitForSelector('[data-queued]', { state: 'detached', timeout: 20e3 });
  await page.unroute('**/api/v1/cases');

  const all = await H.api('xingang', 'GET', '/api/v1/cases?limit=1000');
  const mine = all.features.filter((f) => f.properties.description === description);
  assert.equal(mine.length, 1, 'exactly one case exists');
  assert.equal(mine[0].id, state.caseId, 'the case has the id the phone made');
  assert.equal(mine[0].properties.state, 'reported');
  assert.equal(mine[0].properties.grid_code, state.grid.properties.code);
  const doc = await H.api('xingang', 'GET', `/api/v1/cases/${state.caseId}`);
  assert.equal(doc.attachments.length, 1, 'the photo was uploaded once');
  assert.deepEqual(doc.geometry.coordinates.map((c) => Number(c.toFixed(6))), [lon, lat], 'stored where the phone was (WGS84 as given)');
  await page.click('[role=tab][data-view=map]');
  await page.waitForFunction((id) => window.map.queryRenderedFeatures({ layers: ['cases-point'] }).some((f) => f.properties.case_id === id), state.caseId, { timeout: 15e3 });
  await H.shot(page, '06-worker-phone-map');
  await page.click('[role=tab][data-view=tasks]');
});

test('the township office closes the loop with the worker, live on both screens', { timeout: 120e3 }, async () => {
  const office = state.xingang;
  const worker = state.worker;
  const id = state.caseId;
  // the board got the new case from the live feed, without a reload
  await office.waitForSelector(`.board-col[data-state=reported] [data-case="${id}"]`, { timeout: 15e3 });
  await H.shot(office, '07-office-board-new-case');
  await office.click(`.board-col[data-state=reported] [data-case="${id}"]`);
  await office.waitForSelector(`.case-detail[data-case-id="${id}"]`);
  await office.click('[data-action=register]');
  await office.waitForSelector(`.case-detail[data-state=registered]`);
  await office.click('[data-action=assign]');
  await office.waitForSelector('.modal select[name=assignee]');
  const assignee = await office.$eval('select[name=assignee]', (s) => ({ text: s.selectedOptions[0].textContent, own: s.selectedOptions[0].dataset.ownGrid }));
  assert.equal(assignee.own, 'true', `the grid's own worker is chosen (${assignee.text})`);
  assert.match(assignee.text, /^陈晓东 · 立新社区 · /, 'named with the community and grid');
  await H.shot(office, '08-office-assign');
  await office.click('.modal button[type=submit]');
  await office.waitForSelector(`.case-detail[data-state=assigned]`);

  // the worker's task list follows the feed
  await worker.waitForSelector(`[data-testid=my-tasks] [data-case="${id}"]`, { timeout: 15e3 });
  await H.shot(worker, '09-worker-phone-task');
  await worker.click(`[data-testid=my-tasks] [data-case="${id}"]`);
  await worker.waitForSelector(`.case-detail[data-case-id="${id}"] [data-action=start]`);
  await worker.click('[data-action=start]');
  await worker.waitForSelector('.case-detail[data-state=rectifying]');
  await worker.click('[data-action=submit]');
  await worker.setInputFiles('.modal input[name=photos]', { name: 'fixed.png', mimeType: 'image/png', buffer: png(40, 160, 60) });
  await worker.fill('.modal textarea[name=note]', '已清理排水沟');
  await H.shot(worker, '10-worker-phone-submit');
  await worker.click('.modal button[type=submit]');
  await worker.waitForSelector('.case-detail[data-state=submitted]', { timeout: 15e3 });

  // the office sees it waiting for checking, and approves
  await office.waitForSelector(`.board-col[data-state=submitted] [data-case="${id}"]`, { timeout: 15e3 });
  await office.click(`.board-col[data-state=submitted] [data-case="${id}"]`);
  await office.waitForSelector(`.case-detail[data-case-id="${id}"][data-state=submitted] [data-action=approve]`);
  await office.click('[data-action=approve]');
  await office.fill('.modal textarea[name=note]', '现场核查，已整改到位');
  await office.click('.modal button[type=submit]');
  await office.waitForSelector(`.case-detail[data-case-id="${id}"][data-state=closed]`);
  await office.waitForSelector(`.board-col[data-state=closed] [data-case="${id}"]`);
  await H.shot(office, '11-office-closed-with-history');

  const doc = await H.api('xingang', 'GET', `/api/v1/cases/${id}`);
  assert.deepEqual(doc.events.map((e) => e.action), ['report', 'register', 'assign', 'start', 'submit', 'approve']);
  assert.equal(doc.properties.state, 'closed');
  assert.equal(doc.attachments.length, 2, 'the report photo and the rectification photo');
});

test('the statistics change, and the planner downloads them', { timeout: 90e3 }, async () => {
  const after1 = (await H.api('xingang', 'GET', '/api/v1/stats/rectification?group_by=township')).total;
  assert.equal(after1.found, state.stats0.found + 1, 'found +1');
  assert.equal(after1.rectified, state.stats0.rectified + 1, 'rectified +1');
  const office = state.xingang;
  await office.click('[role=tab][data-view=stats]');
  await office.waitForFunction((n) => {
    const el = document.querySelector('[data-testid=stats-totals] [data-key=rectified] .total-v');
    return el && el.textContent === String(n);
  }, after1.rectified, { timeout: 15e3 });
  assert.equal(await office.textContent('[data-testid=stats-totals] [data-key=found] .total-v'), String(after1.found));
  await office.waitForSelector('[data-testid=month-chart]');
  await H.shot(office, '12-office-stats');
  await office.click('[role=tab][data-view=readiness]');
  // the table itself, a row per township the API gives the office (the
  // empty state would be a failure here: the demo city has townships)
  const readiness = (await H.api('xingang', 'GET', '/api/v1/readiness')).townships;
  assert.ok(readiness.length > 0, 'the API gives the office its townships');
  await office.waitForSelector('[data-testid=readiness] table tbody tr', { timeout: 15e3 });
  assert.deepEqual(
    (await office.$$eval('[data-testid=readiness] tbody [data-stock]', (tds) => tds.map((td) => td.dataset.stock))).sort(),
    readiness.map((t) => t.code).sort(), 'a row per township of the API');
  await H.shot(office, '13-office-readiness');

  const page = state.planner;
  await page.click('[role=tab][data-view=stats]'); // the live feed already refreshed it; read it anew anyway
  await statsSinceLastYear(page); // this year alone has too few townships early in January
  await page.waitForSelector('[data-testid=rate-chart]');
  const bars = await page.$$eval('[data-testid=rate-chart] [data-area]', (g) => g.length);
  assert.ok(bars > 10, `a bar per township (${bars})`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-xlsx]')]);
  assert.match(download.suggestedFilename(), /^隐患排查整改统计_汕尾市_\d{4}-\d{2}-\d{2}至\d{4}-\d{2}-\d{2}\.xlsx$/, 'named in Chinese with the area and period');
  const file = await download.path();
  const { statSync, readFileSync } = await import('node:fs');
  assert.ok(statSync(file).size > 1000, 'the workbook has content');
  assert.equal(readFileSync(file).subarray(0, 2).toString(), 'PK', 'an XLSX is a zip');
  await page.evaluate(() => document.getElementById('panel').scrollTo(0, 0));
  await H.shot(page, '14-planner-stats');
  await page.click('[role=tab][data-view=coverage]');
  await page.click('.view.coverage button[type=submit]');
  await page.waitForSelector('[data-testid=coverage] .totals, [data-testid=coverage-empty]', { timeout: 60e3 });
  await mapIdle(page);
  // the overlay is the coverage tile layer: grids coloured by whether they are covered
  const drawn = await page.evaluate(() => window.map.querySourceFeatures('coverage', { sourceLayer: 'coverage' })
    .filter((f) => f.properties.kind === 'grid' && typeof f.properties.covered === 'boolean').length);
  assert.ok(drawn > 50, `coverage tiles drew grids (${drawn})`);
  await H.shot(page, '15-planner-coverage');
});

test('no page logged an error it was not meant to', () => {
  assert.deepEqual(H.consoleErrors(), [], 'console errors and uncaught page errors');
});

test('the planner makes a read-only access token for QGIS, uses it, and revokes it', { timeout: 60e3 }, async () => {
  const page = state.planner;
  await page.click('[data-testid=tokens-button]');
  await page.fill('[data-testid=token-form] input[name=name]', '规划科 QGIS');
  await page.click('[data-testid=token-form] button[type=submit]');
  const token = (await page.textContent('[data-testid=token-value]', { timeout: 15e3 })).trim();
  assert.match(token, /^rm_pat\./, 'the new token is shown once');
  await page.waitForSelector('[data-testid=token-row]');
  await H.shot(page, '16-planner-tokens');
  const basic = (path, method = 'GET', body) => fetch(`${H.base}${path}`, {
    method, body, headers: { Authorization: `Basic ${Buffer.from(`qgis:${token}`).toString('base64')}`, 'Content-Type': 'application/json' },
  });
  assert.equal((await basic('/ogc/collections')).status, 200, 'the token reads the OGC API as a Basic password');
  assert.equal((await basic('/api/v1/risk_points', 'POST', '{"type":"Feature"}')).status, 403, 'a read-only token cannot write');
  page.once('dialog', (d) => d.accept());
  await page.click('[data-testid=token-revoke]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=token-revoke]'), null, { timeout: 15e3 });
  assert.equal((await basic('/ogc/collections')).status, 401, 'revoked at once');
  assert.deepEqual(H.pageErrors, [], 'no uncaught errors in any page');
});
