// The offline map download of one township, measured in the app itself: an
// office user downloads the offline map of a township's grids in Chromium
// on a phone screen, as a user would (下载离线地图 → the size shown before →
// 开始下载), and refreshes it (every tile revalidated by its ETag). In the
// same run the same tile URLs are fetched straight from Node, six at a time
// as the app does: the HTTP ceiling the app's download is compared with.
// See README.md.
//
//   make bench-offline                      (builds the app and the binary first)
//   cd web && RISKMAP_E2E_BIN=bin/riskmap node ../bench/offline/run.mjs
//   BENCH_TOWNSHIPS=city:441581104000 ...    (user:township code, comma-separated)
import os from 'node:os';
import { Harness, login } from '../../web/e2e/harness.mjs';

// 新港街道 (the demo's township office, an urban street of 35 km²) and 大安镇
// (the demo's largest township, 226 km², downloaded by the city office)
const CASES = (process.env.BENCH_TOWNSHIPS || 'xingang:441502001000,city:441581104000').split(',').map((s) => s.split(':'));
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
const H = new Harness();
const MB = (b) => (b / 1048576).toFixed(2);
const s = (ms) => (ms / 1000).toFixed(1);
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

// node6 fetches urls six at a time; headers(u) adds request headers.
async function node6(urls, token, headers = () => ({})) {
  let next = 0;
  let bytes = 0;
  const status = {};
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 6 }, async () => {
    while (next < urls.length) {
      const u = urls[next++];
      const r = await fetch(u, { headers: { Authorization: `Bearer ${token}`, ...headers(u) } });
      bytes += (await r.arrayBuffer()).byteLength;
      status[r.status] = (status[r.status] || 0) + 1;
    }
  }));
  return { ms: performance.now() - t0, bytes, status };
}

// download runs 下载离线地图 for the chosen township; returns what it showed.
async function download(page, code) {
  await page.click('[data-testid=status]');
  await page.selectOption('[data-testid=offline-township]', code);
  const t0 = performance.now();
  await page.click('[data-testid=offline-plan]');
  const est = await page.waitForSelector('[data-testid=offline-estimate]', { timeout: 300e3 });
  const planMs = performance.now() - t0;
  const estimate = { bytes: Number(await est.getAttribute('data-bytes')), tiles: Number(await est.getAttribute('data-tiles')), text: await est.textContent() };
  await page.click('[data-testid=offline-start]');
  const done = await page.waitForSelector('[data-testid=offline-done]', { timeout: 900e3 });
  const got = { bytes: Number(await done.getAttribute('data-bytes')), ms: Number(await done.getAttribute('data-ms')) };
  await page.click('.sheet-close');
  return { planMs, estimate, got };
}

async function packURLs(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('riskmap');
    r.onsuccess = () => {
      const q = r.result.transaction('meta').objectStore('meta').getAll();
      q.onsuccess = () => resolve(q.result.filter((x) => x.key.startsWith('packs:')).flatMap((x) => x.packs).flatMap((p) => p.urls));
      q.onerror = () => reject(q.error);
    };
    r.onerror = () => reject(r.error);
  }));
}

await H.start();
try {
  console.log(`# machine: ${os.cpus().length} × ${os.cpus()[0].model}, load ${load()}`);
  const rows = [];
  for (const [user, code] of CASES) {
    const { ctx, page } = await H.browser(`${user}-phone`, PHONE);
    await login(page, H.base, user, '', { idle: false });
    await page.waitForFunction(() => navigator.serviceWorker.controller, null, { timeout: 60e3 });
    // 1. the first download: the server's tile cache is cold for these tiles
    const first = await download(page, code);
    const urls = await packURLs(page);
    const zooms = {};
    for (const u of urls) { const z = u.match(/\/all\/(\d+)\//)[1]; zooms[z] = (zooms[z] || 0) + 1; }
    const name = first.estimate.text.split('：')[0];
    // 2. the ceiling: the same URLs from Node, the server's cache now warm
    H.tokens = {};
    await H.api(user, 'GET', '/api/v1/auth/me');
    const token = H.tokens[user];
    const direct = await node6(urls, token);
    // the browser's own ceiling: the same URLs fetched by the page, six at
    // a time, nothing stored
    const browser = await page.evaluate(async ([list, tok]) => {
      let next = 0;
      let bytes = 0;
      const t = performance.now();
      await Promise.all(Array.from({ length: 6 }, async () => {
        while (next < list.length) {
          const r = await fetch(list[next++], { headers: { Authorization: `Bearer ${tok}`, 'X-Riskmap-Download': '1' }, cache: 'no-store' });
          bytes += (await r.arrayBuffer()).byteLength;
        }
      }));
      return { ms: performance.now() - t, bytes };
    }, [urls, token]);
    // 3. the app again on the warm server: the pack deleted, downloaded anew
    await page.evaluate(async () => { await caches.delete('riskmap-tiles-v1'); });
    const second = await download(page, code);
    // 4. refresh (更新): every tile asked with If-None-Match, and the same from Node
    await page.click('[data-testid=status]');
    let t0 = performance.now();
    await page.click('[data-testid=pack-refresh]');
    await page.waitForSelector('.toast >> text=离线地图已更新', { timeout: 900e3 });
    const refreshMs = performance.now() - t0;
    const etags = {};
    for (const u of urls) {
      const r = await fetch(u, { headers: { Authorization: `Bearer ${token}` } });
      etags[u] = r.headers.get('ETag');
      await r.arrayBuffer();
    }
    t0 = performance.now();
    const revalidate = await node6(urls, token, (u) => (etags[u] ? { 'If-None-Match': etags[u] } : {}));
    rows.push({ name, code, urls, zooms, first, direct, browser, second, refreshMs, revalidate });
    await ctx.close();
  }
  console.log(`# load after: ${load()}`);
  console.log('');
  console.log('| township | tiles z10–16 | size shown before | size downloaded | app, cold server | app, warm server | page fetch, nothing stored | Node fetch | app / page fetch | refresh in the app (ETag) | Node revalidation |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(`| ${r.name} ${r.code} | ${r.urls.length} (${Object.entries(r.zooms).map(([z, n]) => `z${z} ${n}`).join(', ')}) | ${MB(r.first.estimate.bytes)} MB (in ${s(r.first.planMs)} s) | ${MB(r.first.got.bytes)} MB | ` +
      `${s(r.first.got.ms)} s | ${s(r.second.got.ms)} s | ${s(r.browser.ms)} s | ${s(r.direct.ms)} s | ${(r.second.got.ms / r.browser.ms).toFixed(2)}× | ${s(r.refreshMs)} s | ` +
      `${s(r.revalidate.ms)} s, ${r.revalidate.bytes} B, ${JSON.stringify(r.revalidate.status)} |`);
  }
} finally {
  await H.stop();
}
