// The screenshots of docs/screenshots/: each role's main screens at
// 1366×768 (a desktop) and 390×844 (a phone), against `riskmap demo` on a
// fresh database, as `make screenshots` takes them again. Not a test: it
// fails only when a screen cannot be reached.
//
//   cd web && RISKMAP_E2E_BIN=bin/riskmap node e2e/screenshots.mjs
import fs from 'node:fs';
import path from 'node:path';
import { Harness, login, mapIdle, png, interiorPoint, repo } from './harness.mjs';

const out = path.join(repo, 'docs/screenshots');
const SIZES = {
  desktop: { viewport: { width: 1366, height: 768 } },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true },
};

const H = new Harness();
const taken = [];

async function shot(page, name) {
  await page.waitForTimeout(400); // fonts and the last repaint
  const file = path.join(out, `${name}.png`);
  await page.screenshot({ path: file });
  taken.push(path.basename(file));
  console.log(`# ${path.relative(repo, file)}`);
}

async function tab(page, view) {
  await page.click(`[role=tab][data-view=${view}]`);
  await page.waitForFunction((v) => document.body.dataset.view === v, view);
}

// settled waits until the view has stopped reading (no 加载中/读取中 left).
async function settled(page) {
  await page.waitForFunction(() => !/加载中|读取中|计算中/.test(document.getElementById('panel')?.innerText || ''), null, { timeout: 30e3 })
    .catch(() => {});
}

// the data the screens show: a case assigned to worker1 and one waiting to
// be assigned, besides the demo city's year of cases
async function prepare() {
  const grids = await H.api('worker1', 'GET', '/api/v1/grids?limit=100');
  const g = grids.features.find((f) => f.properties.code === '441502001001001');
  const [lon, lat] = interiorPoint(g);
  const mk = async (description) => H.api('worker1', 'POST', '/api/v1/cases', { type: 'Feature', id: crypto.randomUUID(),
    geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { grade: 'general', category: 'flood', description } });
  const a = await mk('排水沟堵塞，雨天路面积水');
  const r = await H.api('xingang', 'POST', `/api/v1/cases/${a.id}/actions`, { action: 'register', version: a.properties.version });
  const ids = await H.api('xingang', 'GET', `/api/v1/cases/${a.id}/assignees`);
  const deadline = new Date(Date.now() + 7 * 86400e3).toISOString();
  await H.api('xingang', 'POST', `/api/v1/cases/${a.id}/actions`, { action: 'assign', version: r.properties.version, assignee: ids.assignees[0].id, deadline });
  const b = await mk('井盖破损，行人易跌落');
  await H.api('xingang', 'POST', `/api/v1/cases/${b.id}/actions`, { action: 'register', version: b.properties.version });
  return { registered: b.id };
}

async function screens(size, opts, data) {
  const { page } = await H.browser(`shots-${size}`, opts);
  const as = async (user, hash = '') => {
    await page.goto(`${H.base}/`);
    if (await page.isVisible('[data-testid=logout]')) {
      await page.click('[data-testid=logout]');
      await page.click('.modal button[type=submit]');
      await page.waitForSelector('[data-testid=login]');
    }
    await login(page, H.base, user, hash);
  };

  // grid worker
  await as('worker1');
  await page.waitForSelector('[data-testid=my-tasks] .case-card');
  await shot(page, `worker-tasks-${size}`);
  await tab(page, 'report');
  await page.setInputFiles('input[name=photos]', { name: 'site.png', mimeType: 'image/png', buffer: png(120, 150, 190, 256) });
  await shot(page, `worker-report-${size}`);
  await tab(page, 'patrol');
  await settled(page);
  await shot(page, `worker-patrol-${size}`);
  await tab(page, 'map');
  await mapIdle(page);
  await shot(page, `worker-map-${size}`);

  // township office
  await as('xingang');
  await shot(page, `township-board-${size}`);
  await page.click(`[data-testid=board] [data-case="${data.registered}"]`);
  await page.waitForSelector(`.case-detail[data-case-id="${data.registered}"] [data-action=assign]`);
  await shot(page, `township-case-${size}`);
  await page.click('[data-action=assign]');
  await page.waitForSelector('.modal select[name=assignee]');
  await shot(page, `township-assign-${size}`);
  await page.click('.modal button:has-text("取消")');
  await page.keyboard.press('Escape');
  await page.click('[data-testid=new-case]');
  await page.waitForSelector('[data-testid=report-form]');
  await shot(page, `township-new-case-${size}`);
  await page.click('.view.report button:has-text("取消")');
  await tab(page, 'map');
  await page.click('[data-testid=layers-button]');
  await mapIdle(page);
  await shot(page, `township-map-legend-${size}`);
  await page.click('[data-testid=layers-button]');
  await page.fill('input[type=search]', '老人活动');
  await page.waitForSelector('[data-testid=map-search-results] [role=option]');
  await shot(page, `township-search-${size}`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !window.map.isMoving());
  await mapIdle(page);
  await shot(page, `township-search-result-${size}`);
  await page.keyboard.press('Escape');
  await tab(page, 'readiness');
  await page.click('[data-township] button');
  await page.waitForSelector('[data-testid=facilities]');
  await shot(page, `township-readiness-${size}`);
  await tab(page, 'stats');
  await page.waitForSelector('[data-testid=month-chart]');
  await shot(page, `township-stats-${size}`);
  for (const v of ['routine', 'inspections', 'proposals']) {
    await tab(page, v);
    await settled(page);
    await shot(page, `township-${v}-${size}`);
  }

  // county
  await as('haifeng');
  await page.check('[data-testid=county-filter]');
  await shot(page, `county-board-waiting-${size}`);

  // city
  await as('city', '#stats');
  await page.waitForSelector('[data-testid=rate-chart]');
  await shot(page, `city-stats-${size}`);
  await tab(page, 'map');
  await mapIdle(page);
  await shot(page, `city-map-${size}`);

  // planner
  await as('planner');
  await page.selectOption('select[name=group_by]', 'grid');
  await page.click('.stats-form button[type=submit]');
  await page.waitForFunction(() => /网格/.test(document.querySelector('.chart-box h3')?.textContent || ''), null, { timeout: 60e3 });
  await shot(page, `planner-stats-by-grid-${size}`);
  await tab(page, 'coverage');
  await page.click('.view.coverage button[type=submit]');
  await page.waitForSelector('[data-testid=uncovered-grids]', { timeout: 60e3 });
  await mapIdle(page);
  await shot(page, `planner-coverage-${size}`);
  await page.context().close();
}

try {
  await H.start();
  const data = await prepare();
  fs.mkdirSync(out, { recursive: true });
  for (const [size, opts] of Object.entries(SIZES)) await screens(size, opts, data);
  // the set is retaken whole: pictures of screens no longer taken go,
  // unless a page still shows them
  const shown = new Set();
  const docs = path.join(repo, 'docs');
  for (const md of [path.join(repo, 'README.md'), ...fs.readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => path.join(docs, f))]) {
    for (const m of fs.readFileSync(md, 'utf8').matchAll(/screenshots\/([\w.-]+\.png)/g)) shown.add(m[1]);
  }
  for (const f of fs.readdirSync(out)) {
    if (!f.endsWith('.png') || taken.includes(f)) continue;
    if (shown.has(f)) console.log(`# kept docs/screenshots/${f}: a page still shows it`);
    else fs.rmSync(path.join(out, f));
  }
  console.log(`# ${taken.length} screenshots in docs/screenshots`);
} finally {
  await H.stop();
}
