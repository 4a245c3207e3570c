// End to end, patrols: a grid worker on a phone patrols an overdue risk
// point without signal, finds a problem, comes back online; the patrol is
// recorded once with its case, the township's board shows the new case
// live, and the point is no longer overdue on the map.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, login, mapIdle, png } from './harness.mjs';

const H = new Harness();
const DESKTOP = { viewport: { width: 1366, height: 850 } };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };

before(async () => { await H.start(); }, { timeout: 240e3 });
after(async () => { await H.stop(); });

// patrolState is what the risk point tiles of the page's map say of point id.
async function patrolState(page, id) {
  return page.evaluate((rp) => {
    const f = window.map.querySourceFeatures('riskmap', { sourceLayer: 'risk_points' }).find((x) => x.id === rp && x.properties.point_count === undefined);
    return f ? f.properties.patrol || null : undefined;
  }, id);
}

test('a worker patrols an overdue point offline, finds a problem; online, the board and the map follow', { timeout: 300e3 }, async () => {
  // an overdue point of worker1's grids, and where it is
  const due = await H.api('worker1', 'GET', '/api/v1/patrols/due?overdue=true&limit=100');
  assert.ok(due.features.length > 0, 'worker1 has overdue risk points (the demo patrols)');
  const point = due.features[0];
  const [lon, lat] = point.geometry.coordinates;

  // the township office watches its board and its map
  const { page: office } = await H.browser('xingang', DESKTOP);
  await login(office, H.base, 'xingang');
  await office.waitForSelector('[data-testid=board]');

  const { ctx, page } = await H.browser('worker1-phone', { ...PHONE, geolocation: { longitude: lon + 0.0002, latitude: lat, accuracy: 6 }, permissions: ['geolocation'] });
  H.expectConsoleError('worker1-phone', /net::ERR_INTERNET_DISCONNECTED/);
  await login(page, H.base, 'worker1', '#patrol');
  await page.waitForSelector(`[data-testid=due-item][data-id="${point.id}"]`, { timeout: 30e3 });
  assert.match(await page.textContent(`[data-testid=due-item][data-id="${point.id}"]`), /逾期 \d+ 天/);
  await H.shot(page, 'patrol-01-worker-due-list');

  // no signal at the risk point
  await ctx.setOffline(true);
  await page.click(`[data-testid=due-item][data-id="${point.id}"] [data-testid=patrol-start]`);
  await page.waitForSelector('[data-testid=patrol-form]');
  await page.waitForFunction(() => document.querySelector('[data-testid=patrol-where]').dataset.lon);
  await page.locator('.check-item').first().locator('input[value=problem]').check();
  assert.equal(await page.$eval('[data-testid=patrol-result]', (s) => s.value), 'problem', 'a problem item makes the result a problem');
  const description = `e2e 巡查发现排水沟堵塞 ${Date.now()}`;
  await page.fill('textarea[name=finding]', description);
  await page.setInputFiles('.patrol-form input[name=photos]', { name: 'patrol.png', mimeType: 'image/png', buffer: png(30, 120, 200) });
  await H.shot(page, 'patrol-02-worker-form-offline');
  await page.click('[data-testid=patrol-submit]');
  await page.waitForSelector('[data-testid=queue-count]:not([hidden])');
  assert.equal(await page.textContent('[data-testid=queue-count]'), '待发送 1');
  const none = await H.api('xingang', 'GET', `/api/v1/patrols?risk_point_id=${point.id}&limit=10`);
  const before = none.features.length;

  // back online: the queue sends the patrol; it is recorded once, with its case
  await ctx.setOffline(false);
  await page.waitForSelector('[data-testid=queue-count][hidden]', { state: 'attached', timeout: 30e3 });
  const after = await H.api('xingang', 'GET', `/api/v1/patrols?risk_point_id=${point.id}&limit=10`);
  assert.equal(after.features.length, before + 1, 'exactly one patrol was recorded');
  const patrol = await H.api('xingang', 'GET', `/api/v1/patrols/${after.features[0].id}`);
  assert.equal(patrol.properties.result, 'problem');
  assert.equal(patrol.properties.off_site, false, '20 m from the point is on site');
  assert.equal(patrol.photos.length, 1);
  assert.equal(patrol.cases.length, 1, 'the problem opened one case');
  const caseId = patrol.cases[0].id;
  assert.equal(patrol.cases[0].properties.description, description);
  assert.equal(patrol.cases[0].properties.risk_point_id, point.id);

  // the township's board shows the new case, live
  await office.waitForSelector(`.board-col[data-state=reported] [data-case="${caseId}"]`, { timeout: 20e3 });
  await H.shot(office, 'patrol-03-office-board-new-case');

  // and on the map the point is no longer overdue
  await office.click('[role=tab][data-view=map]');
  await office.evaluate(([x, y]) => window.map.jumpTo({ center: [x, y], zoom: 16 }), [lon, lat]);
  await mapIdle(office);
  await office.waitForFunction((rp) => {
    const f = window.map.querySourceFeatures('riskmap', { sourceLayer: 'risk_points' }).find((x) => x.id === rp && x.properties.point_count === undefined);
    if (f && f.properties.patrol === 'overdue') { const s = window.map.getSource('riskmap'); s.setTiles(s.tiles); }
    return f && f.properties.patrol === 'ok';
  }, point.id, { timeout: 30e3, polling: 2000 });
  const ringed = await office.evaluate((rp) => window.map.queryRenderedFeatures({ layers: ['risk-points-patrol'] }).some((f) => f.id === rp), point.id);
  assert.equal(ringed, false, 'no overdue ring around the patrolled point');
  assert.equal(await patrolState(office, point.id), 'ok');
  await H.shot(office, 'patrol-04-office-map-patrolled');

  // the worker's list no longer calls it overdue, and its popup lists the patrol
  await page.click('[data-testid=due-refresh]');
  await page.waitForFunction((rp) => !document.querySelector(`[data-testid=due-item][data-id="${rp}"].overdue`), point.id, { timeout: 20e3 });
  assert.deepEqual(H.consoleErrors(), []);
});

test('the office sees completion, overdue and off-site patrols, and the 2021 paragraph', { timeout: 180e3 }, async () => {
  const { page } = await H.browser('city', DESKTOP);
  await login(page, H.base, 'city', '#inspections');
  await page.waitForSelector('[data-testid=inspection-sentence]');
  // the 2021 paragraph, read from the inspection and case rows
  await page.fill('input[name=from]', '2021-01-01');
  await page.fill('input[name=to]', '2021-12-31');
  await page.dispatchEvent('input[name=to]', 'change');
  // the answer for from=2021-01-01 up to today comes first and also says 585家
  // (its cases stand as they are now): wait for the year's own
  const want = '监督检查各类生产经营单位585家，监督检查生产经营单位1698次，发现隐患2304处，应整改隐患2287处，已整改隐患2255处，整改率为98.6%，' +
    '实施行政处罚79次，罚款601.98万元。其中，市局检查各类生产经营单位89家、145次，实施行政处罚32次，罚款421.86万元。';
  await page.waitForFunction((w) => document.querySelector('[data-testid=inspection-sentence]').textContent === w, want, { timeout: 30e3 })
    .catch(() => {});
  assert.equal(await page.textContent('[data-testid=inspection-sentence]'), want);
  await H.shot(page, 'patrol-05-city-inspections-2021');
  await page.click('[role=tab][data-view=routine]');
  await page.waitForSelector('[data-testid=patrol-completion] table');
  await page.waitForSelector('[data-testid=patrol-overdue] table');
  await H.shot(page, 'patrol-06-city-patrol-completion');
  assert.deepEqual(H.consoleErrors(), []);
});
