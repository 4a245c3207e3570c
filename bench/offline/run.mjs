// The offline map download of one township, measured in the app itself:
// a township office (新港街道, the demo city's xingang) downloads the offline
// map of its township's grids in Chromium on a phone screen, as a user
// would (下载离线地图 → size before → 开始下载), then refreshes it (every tile
// revalidated by ETag). In the same run, the same tile URLs are fetched
// straight from Node (six at a time, as the app does): the HTTP ceiling the
// app's download is compared with. See README.md.
//
//   make bench-offline          (builds the app and the binary first)
//   node bench/offline/run.mjs  (with web/ built and RISKMAP_E2E_BIN set)
import os from 'node:os';
import { Harness, login } from '../../web/e2e/harness.mjs';

const TOWNSHIP = process.env.BENCH_TOWNSHIP || '441502001000';
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
const H = new Harness();
const MB = (b) => (b / 1048576).toFixed(2);

async function node6(urls, token, headers = () => ({})) {
  let next = 0;
  let bytes = 0;
  const status = {};
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 6 }, async () => {
    while (next < urls.length) {
      const u = urls[next++];
      const r = await fetch(u, { headers: { Authorization: `Bearer ${token}`, ...headers(u) } });
      const b = await r.arrayBuffer();
      bytes += b.byteLength;
      status[r.status] = (status[r.status] || 0) + 1;
    }
  }));
  return { ms: performance.now() - t0, bytes, status };
}

await H.start();
try {
  const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`# machine: ${os.cpus().length} × ${os.cpus()[0].model}, load ${load()}`);
  const { page } = await H.browser('xingang-phone', PHONE);
  await login(page, H.base, 'xingang');
  await page.waitForFunction(() => navigator.serviceWorker.controller, null, { timeout: 60e3 });
  await page.click('[data-testid=status]');
  await page.selectOption('[data-testid=offline-township]', TOWNSHIP);
  const name = await page.$eval('[data-testid=offline-township]', (s) => s.selectedOptions[0].textContent);
  let t0 = performance.now();
  await page.click('[data-testid=offline-plan]');
  const est = await page.waitForSelector('[data-testid=offline-estimate]', { timeout: 120e3 });
  const planMs = performance.now() - t0;
  const estimate = { bytes: Number(await est.getAttribute('data-bytes')), tiles: Number(await est.getAttribute('data-tiles')), text: await est.textContent() };
  await page.click('[data-testid=offline-start]');
  const done = await page.waitForSelector('[data-testid=offline-done]', { timeout: 600e3 });
  const got = { bytes: Number(await done.getAttribute('data-bytes')), ms: Number(await done.getAttribute('data-ms')) };
  // the pack's URLs, read back from the app's records
  const urls = await page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('riskmap');
    r.onsuccess = () => {
      const tx = r.result.transaction('meta').objectStore('meta').getAll();
      tx.onsuccess = () => resolve(tx.result.filter((x) => x.key.startsWith('packs:')).flatMap((x) => x.packs).flatMap((p) => p.urls));
      tx.onerror = () => reject(tx.error);
    };
    r.onerror = () => reject(r.error);
  }));
  const zooms = {};
  for (const u of urls) { const z = u.match(/\/all\/(\d+)\//)[1]; zooms[z] = (zooms[z] || 0) + 1; }
  // refresh: every tile asked with If-None-Match
  t0 = performance.now();
  await page.click('[data-testid=pack-refresh]');
  await page.waitForFunction(() => !document.querySelector('[data-testid=download-progress]'), null, { timeout: 600e3 });
  const refreshMs = performance.now() - t0;
  const cacheBytes = await page.evaluate(async () => {
    let n = 0;
    const c = await caches.open('riskmap-tiles-v1');
    for (const k of await c.keys()) n += (await (await c.match(k)).arrayBuffer()).byteLength;
    return n;
  });
  // the ceiling: the same URLs from Node, the server's tile cache warm
  H.tokens = {};
  await H.api('xingang', 'GET', '/api/v1/auth/me');
  const tok = H.tokens.xingang;
  const direct = await node6(urls, tok);
  const etags = {};
  await Promise.all(urls.map(async (u) => { const r = await fetch(u, { method: 'GET', headers: { Authorization: `Bearer ${tok}` } }); etags[u] = r.headers.get('ETag'); await r.arrayBuffer(); }));
  const revalidate = await node6(urls, tok, (u) => (etags[u] ? { 'If-None-Match': etags[u] } : {}));
  console.log(`# load after: ${load()}`);
  console.log('');
  console.log(`| ${name} ${TOWNSHIP}: ${urls.length} tiles (z${Object.entries(zooms).map(([z, n]) => `${z}: ${n}`).join(', z')}) | figure |`);
  console.log('| --- | --- |');
  console.log(`| size shown before (estimate from ${Object.keys(zooms).length * 4} sampled tiles) | ${MB(estimate.bytes)} MB |`);
  console.log(`| size downloaded (tile bodies; Cache Storage holds ${MB(cacheBytes)} MB of them) | ${MB(got.bytes)} MB |`);
  console.log(`| time to the size shown (grids, TileJSON, sample) | ${(planMs / 1000).toFixed(1)} s |`);
  console.log(`| download in the app (Chromium, 6 at a time, stored in Cache Storage) | ${(got.ms / 1000).toFixed(1)} s (${(urls.length / (got.ms / 1000)).toFixed(0)} tiles/s) |`);
  console.log(`| the same URLs from Node, 6 at a time (server cache warm): the HTTP ceiling | ${(direct.ms / 1000).toFixed(1)} s, ${MB(direct.bytes)} MB, ${JSON.stringify(direct.status)} |`);
  console.log(`| app / ceiling | ${(got.ms / direct.ms).toFixed(2)}× the time |`);
  console.log(`| refresh in the app (every tile revalidated by ETag) | ${(refreshMs / 1000).toFixed(1)} s |`);
  console.log(`| revalidation from Node (If-None-Match) | ${(revalidate.ms / 1000).toFixed(1)} s, ${revalidate.bytes} bytes, ${JSON.stringify(revalidate.status)} |`);
  console.log('');
  console.log(`estimate text: ${estimate.text}`);
} finally {
  await H.stop();
}
