// The offline map (下载离线地图): the vector tiles of a worker's grids, or
// of a township for its office, fetched into Cache Storage (cachenames.TILES)
// so that the service worker draws them with no signal.
//
// A pack is a list of tile URLs: every tile of zooms 10 to the TileJSON's
// deepest (16: the tiles hold every feature at full detail from there, and
// the map draws zoom 17 and beyond from them) over each grid's bounding box,
// and the TileJSON. Tiles are stored with their ETag; refreshing a pack asks
// for each tile with If-None-Match, so an unchanged tile costs a 304 and no
// bytes, the server's tile cache design (tiles/cache.go) carried to the phone.
// While the phone is online the service worker also updates a pack's tile
// whenever the map fetches it.
import { session, ApiError, NetworkError } from './api.js';
import { db } from './db.js';
import { TILES, META, DOWNLOAD } from './cachenames.js';

export const MIN_ZOOM = 10;
export const MAX_ZOOM = 17; // the z12–17; capped by the TileJSON's maxzoom
const CONCURRENCY = 6;

// tileRange lists the tiles of zoom z covering bbox [w, s, e, n].
export function tileRange(bbox, z) {
  const n = 2 ** z;
  const x = (lon) => Math.min(n - 1, Math.max(0, Math.floor(((lon + 180) / 360) * n)));
  const y = (lat) => {
    const r = (Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI) / 180;
    return Math.min(n - 1, Math.max(0, Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n)));
  };
  const out = [];
  for (let ty = y(bbox[3]); ty <= y(bbox[1]); ty++) for (let tx = x(bbox[0]); tx <= x(bbox[2]); tx++) out.push([z, tx, ty]);
  return out;
}

function bboxOf(feature) {
  let b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
    else c.forEach(walk);
  };
  walk(feature.geometry.coordinates);
  return b;
}

const authHeaders = () => ({ Authorization: `Bearer ${session.token}` });

// tileJSON reads the map's TileJSON (the style's source: every layer) and
// keeps it where the service worker answers it from with no signal.
export async function tileJSON() {
  if (!navigator.onLine) throw new NetworkError('网络不可用：离线');
  const url = `${location.origin}/tiles/all.json`;
  let res;
  try {
    res = await fetch(url, { headers: authHeaders(), cache: 'no-store' });
  } catch (e) {
    throw new NetworkError(`网络不可用：${e.message}`);
  }
  if (!res.ok) throw new ApiError(res.status, String(res.status), `TileJSON: HTTP ${res.status}`);
  await (await caches.open(META)).put(url, res.clone());
  return res.json();
}

// plan lists the tile URLs of grids (GeoJSON features) for the TileJSON tj.
export function plan(grids, tj) {
  const maxz = Math.min(MAX_ZOOM, tj.maxzoom);
  const template = tj.tiles[0];
  const seen = new Set();
  const byZoom = {};
  for (const g of grids) {
    const b = bboxOf(g);
    for (let z = MIN_ZOOM; z <= maxz; z++) {
      for (const [tz, tx, ty] of tileRange(b, z)) {
        const k = `${tz}/${tx}/${ty}`;
        if (seen.has(k)) continue;
        seen.add(k);
        (byZoom[z] ||= []).push(template.replace('{z}', tz).replace('{x}', tx).replace('{y}', ty));
      }
    }
  }
  return { byZoom, urls: Object.values(byZoom).flat(), minzoom: MIN_ZOOM, maxzoom: maxz };
}

// fetchTile stores one tile, revalidating the stored copy by its ETag.
// Returns the bytes it holds and whether they changed.
async function fetchTile(cache, url) {
  const old = await cache.match(url, { ignoreVary: true });
  const headers = { ...authHeaders(), [DOWNLOAD]: '1' };
  const etag = old && old.headers.get('ETag');
  if (etag) headers['If-None-Match'] = etag;
  let res;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await fetch(url, { headers, cache: 'no-store' });
      if (res.status < 500 || attempt >= 2) break;
    } catch (e) {
      if (attempt >= 2 || !navigator.onLine) throw new NetworkError(`网络不可用：${e.message}`);
    }
    await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
  }
  if (res.status === 304 && old) {
    return { bytes: Number(old.headers.get('X-Riskmap-Bytes') || old.headers.get('Content-Length') || 0), changed: false };
  }
  if (res.status !== 200 && res.status !== 204) throw new ApiError(res.status, String(res.status), `瓦片 ${url}: HTTP ${res.status}`);
  const body = res.status === 200 ? await res.arrayBuffer() : null;
  const bytes = body ? body.byteLength : 0;
  const h = { 'Content-Type': res.headers.get('Content-Type') || 'application/vnd.mapbox-vector-tile', 'X-Riskmap-Bytes': String(bytes) };
  if (res.headers.get('ETag')) h.ETag = res.headers.get('ETag');
  await cache.put(url, new Response(body, { status: res.status, headers: h }));
  return { bytes, changed: true };
}

// download fetches urls into the offline cache, CONCURRENCY at a time,
// calling onProgress({done, total, bytes, changed}); signal stops it.
export async function download(urls, { onProgress = () => {}, signal } = {}) {
  const cache = await caches.open(TILES);
  const st = { done: 0, total: urls.length, bytes: 0, changed: 0, failed: 0, started: performance.now() };
  let next = 0;
  let fatal = null;
  const worker = async () => {
    while (next < urls.length && !fatal && !(signal && signal.aborted)) {
      const url = urls[next++];
      try {
        const r = await fetchTile(cache, url);
        st.bytes += r.bytes;
        if (r.changed) st.changed++;
      } catch (e) {
        if (e instanceof NetworkError || (e instanceof ApiError && e.status === 401)) fatal = e;
        st.failed++;
      }
      st.done++;
      onProgress({ ...st });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (fatal) throw fatal;
  st.ms = performance.now() - st.started;
  return st;
}

// estimate downloads a few tiles of each zoom (they are kept: the download
// will not fetch them again) and extrapolates the pack's size from them.
export async function estimate(p) {
  const cache = await caches.open(TILES);
  let bytes = 0;
  let sampled = 0;
  const t0 = performance.now();
  for (const urls of Object.values(p.byZoom)) {
    const k = Math.min(urls.length, 4);
    const picks = Array.from({ length: k }, (_, i) => urls[Math.floor((i * urls.length) / k)]);
    const sizes = await Promise.all(picks.map((u) => fetchTile(cache, u).then((r) => r.bytes)));
    sampled += k;
    bytes += (sizes.reduce((a, b) => a + b, 0) / k) * urls.length;
  }
  const perTile = (performance.now() - t0) / Math.max(1, sampled);
  return { bytes: Math.round(bytes), tiles: p.urls.length, seconds: Math.round((perTile * p.urls.length) / CONCURRENCY / 1000) };
}

// Packs are kept per user in the meta store.
const packKey = () => `packs:${session.user ? session.user.id : 'anon'}`;

export async function packs() {
  const rec = await (await db()).get('meta', packKey());
  return rec ? rec.packs : [];
}

async function savePacks(list) {
  await (await db()).put('meta', { key: packKey(), packs: list });
}

// savePack records a downloaded pack (replacing one of the same id).
export async function savePack(pack) {
  const list = (await packs()).filter((p) => p.id !== pack.id);
  list.push(pack);
  await savePacks(list);
}

// removePack deletes a pack and its tiles (those no other pack holds).
export async function removePack(id) {
  const list = await packs();
  const gone = list.find((p) => p.id === id);
  const rest = list.filter((p) => p.id !== id);
  if (gone) {
    const keep = new Set(rest.flatMap((p) => p.urls));
    const cache = await caches.open(TILES);
    for (const u of gone.urls) if (!keep.has(u)) await cache.delete(u);
  }
  await savePacks(rest);
}

// refresh revalidates the tiles of every pack older than maxAgeMs (0: all).
export async function refreshPacks(maxAgeMs = 0, onProgress) {
  const out = [];
  for (const p of await packs()) {
    if (Date.now() - new Date(p.at).getTime() < maxAgeMs) continue;
    const st = await download(p.urls, { onProgress });
    await savePack({ ...p, at: new Date().toISOString(), bytes: st.bytes, failed: st.failed, complete: st.failed === 0 });
    out.push({ id: p.id, ...st });
  }
  return out;
}

// clearAll empties the offline map and the kept style and TileJSON (logout).
export async function clearAll() {
  await caches.delete(TILES);
  await caches.delete(META);
  await savePacks([]);
}

export function bboxOfGrid(g) { return bboxOf(g); }
