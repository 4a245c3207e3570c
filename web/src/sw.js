// The service worker (Workbox): the app opens and draws its map with no
// signal. build.mjs bundles this file and injects the precache manifest.
//
// - The app shell (index.html, the bundle, the style sheet, MapLibre's
//   worker, the glyphs, the icons and the manifest) is precached, versioned
//   by the build: a new build is a new service worker, which waits until the
//   app tells it to take over (after asking the user; see swclient.js).
// - Pages are the precached index.html (the app routes by its #hash).
// - The map style and the TileJSON documents: the network first, their last
//   copy without signal.
// - Vector tiles: with signal, the network (the browser revalidates them by
//   ETag, so an unchanged tile costs a 304), and a tile of the offline map
//   (cachenames.TILES, filled by offlinemap.js) is updated with the answer;
//   without signal, the offline map only, and no request leaves the phone.
// - The API is never cached here: the app keeps what it last read (store.js,
//   snapshot.js) and queues what it sends (queue.js).
import { precacheAndRoute, cleanupOutdatedCaches, createHandlerBoundToURL } from 'workbox-precaching';
import { registerRoute, NavigationRoute } from 'workbox-routing';
import { clientsClaim } from 'workbox-core';
import { TILES, META, TILE_PATH, TILEJSON_PATH, STYLE_PATH, DOWNLOAD } from './cachenames.js';

self.__WB_DISABLE_DEV_LOGS = true;

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);
// the first service worker takes the page that installed it at once, so the
// map read on the first login is kept; later ones wait (see message below)
clientsClaim();

self.addEventListener('message', (e) => {
  if (e.data && e.data.type === 'SKIP_WAITING') self.skipWaiting();
});

const sameOrigin = (url) => url.origin === self.location.origin;
// navigator.onLine is false when the phone has no network at all; a request
// made then could only fail, so none is made
const offline = () => self.navigator.onLine === false;
// tiles are private to the user's scope (Vary: Authorization); a cache of
// this phone holds one user's tiles (the app empties it on logout)
const match = async (cacheName, url) => (await caches.open(cacheName)).match(url, { ignoreVary: true, ignoreSearch: false });

registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), {
  denylist: [/^\/api\//, /^\/tiles\//, /^\/styles\//, /^\/ogc/, /^\/metrics/, /^\/healthz/, /^\/openapi\.json/],
}));

// the style and TileJSON: the network first, the last copy without signal
registerRoute(({ url, request }) => sameOrigin(url) && request.method === 'GET' &&
  (url.pathname === STYLE_PATH || TILEJSON_PATH.test(url.pathname)), async ({ request }) => {
  if (!offline()) {
    try {
      const res = await fetch(request);
      if (res.ok) await (await caches.open(META)).put(request.url, res.clone());
      return res;
    } catch { /* no answer: the last copy */ }
  }
  return (await match(META, request.url)) || new Response(JSON.stringify({ error: { code: 'offline', message: '离线：尚无此地图数据的本地副本' } }),
    { status: 504, headers: { 'Content-Type': 'application/json' } });
});

// vector tiles
const notDownloaded = () => new Response(null, { status: 504, statusText: 'offline: tile not in the offline map' });
registerRoute(({ url, request }) => sameOrigin(url) && request.method === 'GET' && TILE_PATH.test(url.pathname) && !request.headers.has(DOWNLOAD), async ({ request }) => {
  if (offline()) return (await match(TILES, request.url)) || notDownloaded();
  let res;
  try {
    res = await fetch(request);
  } catch {
    return (await match(TILES, request.url)) || notDownloaded();
  }
  // a tile of the offline map takes the fresh answer (only those are kept:
  // tiles merely looked at are the browser's HTTP cache's business)
  if (res.status === 200 || res.status === 204) {
    const cache = await caches.open(TILES);
    if (await cache.match(request.url, { ignoreVary: true })) await cache.put(request.url, res.clone());
  }
  return res;
});

// glyph ranges the build did not make (precached ones are answered above):
// without signal, an empty range (no glyphs) rather than an error
registerRoute(({ url }) => sameOrigin(url) && url.pathname.startsWith('/fonts/'), async ({ request }) => {
  if (!offline()) {
    try { return await fetch(request); } catch { /* offline after all */ }
  }
  return new Response(new Uint8Array(0), { headers: { 'Content-Type': 'application/x-protobuf' } });
});
