// End to end: notifications. The township office assigns a case (opened
// from a case link, as a robot message would give it); the grid worker's
// phone shows the unread badge and the notification live, without a
// reload, and opens the case on the map from it. A worker's proposal
// reaches the township office the same way and opens 建议. Screenshots go
// to e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, login, interiorPoint } from './harness.mjs';

const H = new Harness();
const DESKTOP = { viewport: { width: 1366, height: 850 } };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };

before(async () => { await H.start(); }, { timeout: 240e3 });
after(async () => { await H.stop(); });

const badgeCount = (page) => page.evaluate(() => {
  const b = document.querySelector('[data-testid=inbox-badge]');
  return !b || b.hidden ? 0 : Number(b.textContent.replace('+', ''));
});

test('the township assigns a case; the worker phone is told live and opens the case from the notification', { timeout: 180e3 }, async () => {
  // a case reported in worker1's grid, registered by the office
  const grids = await H.api('worker1', 'GET', '/api/v1/grids?limit=100');
  const grid = grids.features.find((f) => f.properties.code === '441502001001001') || grids.features[0];
  const [lon, lat] = interiorPoint(grid);
  const reported = await H.api('worker1', 'POST', '/api/v1/cases', {
    type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] },
    properties: { grade: 'general', category: 'flood', description: `e2e 通知：涵洞堵塞 ${Date.now()}` },
  });
  const id = reported.id;
  await H.api('xingang', 'POST', `/api/v1/cases/${id}/actions`, { action: 'register', version: reported.properties.version });
  const me = await H.api('worker1', 'GET', '/api/v1/auth/me');

  // the worker's phone, on its task list
  const { page: phone } = await H.browser('worker1-phone-notify', PHONE);
  await login(phone, H.base, 'worker1');
  await phone.waitForSelector('[data-testid=inbox-button]');
  // the inbox has loaded (whatever the start-up run of the job told)
  await phone.waitForFunction(() => !/加载中/.test(document.querySelector('[data-testid=inbox-list]').textContent), null, { timeout: 20e3 });
  const before = await badgeCount(phone);
  const feedLive = () => phone.waitForFunction(() => document.querySelector('[data-testid=status]').classList.contains('live'), null, { timeout: 20e3 });
  await feedLive();

  // the office opens the case from its link and assigns it
  const { page: office } = await H.browser('xingang-notify', DESKTOP);
  await login(office, H.base, 'xingang');
  await office.goto(`${H.base}/#case=${id}`);
  await office.waitForSelector(`.case-detail[data-case-id="${id}"][data-state=registered]`, { timeout: 20e3 });
  await office.click('[data-action=assign]');
  await office.waitForSelector('.modal select[name=assignee]');
  await office.selectOption('.modal select[name=assignee]', String(me.id));
  await office.click('.modal button[type=submit]');
  await office.waitForSelector(`.case-detail[data-case-id="${id}"][data-state=assigned]`, { timeout: 20e3 });
  await H.shot(office, 'n1-office-assigned-from-link');

  // the phone: the badge goes up without a reload, and the notification is there
  await phone.waitForFunction((n) => {
    const b = document.querySelector('[data-testid=inbox-badge]');
    return b && !b.hidden && Number(b.textContent.replace('+', '')) === n;
  }, Math.min(before + 1, 99), { timeout: 20e3 });
  await H.shot(phone, 'n2-worker-phone-badge');
  await phone.click('[data-testid=inbox-button]');
  const item = `[data-testid=inbox-item][data-case="${id}"][data-kind=assigned]`;
  await phone.waitForSelector(item, { timeout: 10e3 });
  const first = await phone.$eval('[data-testid=inbox-item]', (b) => ({ kase: b.dataset.case, unread: b.classList.contains('unread'), title: b.textContent }));
  assert.equal(first.kase, id, 'the newest notification is the assignment');
  assert.ok(first.unread, 'it is unread');
  assert.match(first.title, /新任务/);
  await H.shot(phone, 'n3-worker-phone-inbox');

  // opening it shows the case on the map and marks it read
  await phone.click(item);
  await phone.waitForSelector(`.case-detail[data-case-id="${id}"][data-state=assigned] [data-action=start]`, { timeout: 20e3 });
  assert.equal(await phone.evaluate(() => document.body.dataset.view), 'map', 'the map is shown');
  await phone.waitForFunction(([x, y]) => {
    const c = window.map.getCenter();
    return Math.abs(c.lng - x) < 0.01 && Math.abs(c.lat - y) < 0.01 && !window.map.isMoving();
  }, [lon, lat], { timeout: 20e3 });
  await phone.waitForFunction((n) => {
    const b = document.querySelector('[data-testid=inbox-badge]');
    return (!b || b.hidden ? 0 : Number(b.textContent.replace('+', ''))) === n;
  }, Math.min(before, 99), { timeout: 10e3 });
  await H.shot(phone, 'n4-worker-phone-case-opened');
  const inbox = await H.api('worker1', 'GET', '/api/v1/notifications?limit=5');
  const n = inbox.notifications.find((x) => x.case_id === id && x.kind === 'assigned');
  assert.ok(n && n.read_at, 'the notification is read on the server too');
});

test('a worker proposes a risk point; the township office is told live and opens 建议 from the notification', { timeout: 120e3 }, async () => {
  const { page: office } = await H.browser('xingang-proposal-notify', DESKTOP);
  await login(office, H.base, 'xingang');
  await office.waitForSelector('[data-testid=inbox-button]');
  await office.waitForFunction(() => document.querySelector('[data-testid=status]').classList.contains('live'), null, { timeout: 20e3 });
  await office.waitForFunction(() => !/加载中/.test(document.querySelector('[data-testid=inbox-list]').textContent), null, { timeout: 20e3 });
  const before = await badgeCount(office);

  const grids = await H.api('worker1', 'GET', '/api/v1/grids?limit=100');
  const grid = grids.features.find((f) => f.properties.code === '441502001001001') || grids.features[0];
  const [lon, lat] = interiorPoint(grid);
  const name = `e2e 边坡 ${Date.now()}`;
  const p = await H.api('worker1', 'POST', '/api/v1/proposals', {
    id: crypto.randomUUID(), layer: 'risk_points', reason: '雨后出现裂缝',
    feature: { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { name, category: 'construction', risk_level: 2 } },
  });

  await office.waitForFunction((n) => {
    const b = document.querySelector('[data-testid=inbox-badge]');
    return b && !b.hidden && Number(b.textContent.replace('+', '')) === n;
  }, Math.min(before + 1, 99), { timeout: 20e3 });
  await office.click('[data-testid=inbox-button]');
  const item = '[data-testid=inbox-item][data-kind=proposal_review]';
  await office.waitForSelector(item, { timeout: 10e3 });
  assert.match(await office.$eval(item, (b) => b.textContent), new RegExp(`变更待审核：新增「${name}」`));
  await H.shot(office, 'n5-office-proposal-notified');
  await office.click(item);
  await office.waitForSelector(`[data-testid=review-proposals] [data-proposal="${p.id}"][data-state=pending]`, { timeout: 20e3 });
  assert.equal(await office.evaluate(() => document.body.dataset.view), 'proposals', 'the 建议 view is shown');
  await H.shot(office, 'n6-office-proposals-opened');
});

test('no page logged an error it was not meant to', () => {
  assert.deepEqual(H.consoleErrors(), [], 'console errors and uncaught page errors');
});
