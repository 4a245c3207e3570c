// The names the service worker (sw.js) and the app share: Cache Storage
// caches and the paths they hold. Precached app files live in Workbox's
// own cache (versioned by the build); these runtime caches outlive an
// update of the app, so an update never drops a downloaded map.

// TILES holds the vector tiles of the offline map (下载离线地图), keyed by
// their URL; the service worker answers tile requests from it when there is
// no signal and keeps its tiles fresh when there is.
export const TILES = 'riskmap-tiles-v1';
// META holds the last copy of the style and the TileJSON documents.
export const META = 'riskmap-meta-v1';

// TILE_PATH matches a vector tile; TILEJSON_PATH a layer's TileJSON.
export const TILE_PATH = /^\/tiles\/[a-z_]+\/\d+\/\d+\/\d+\.mvt$/;
export const TILEJSON_PATH = /^\/tiles\/[a-z_]+\.json$/;
export const STYLE_PATH = '/styles/riskmap.json';

// DOWNLOAD marks the offline map's own tile requests (offlinemap.js): the
// service worker lets them go to the network untouched, since the download
// stores them itself.
export const DOWNLOAD = 'X-Riskmap-Download';
