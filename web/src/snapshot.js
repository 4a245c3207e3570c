// The last answer to each GET the app read, kept on the phone with when it
// was read, so that with no signal the app shows what it last knew and says
// how old it is (离线 · 数据更新于 …). Snapshots are per user and emptied on
// logout.
import { api, session, NetworkError } from './api.js';
import { db, clearStore } from './db.js';

const listeners = new Set();
// the oldest snapshot shown instead of a fresh answer since the last good
// one (null while everything shown is fresh)
let staleSince = null;

const keyOf = (path) => `${(session.user && session.user.id) || 'anon'} ${path}`;

export const snapshots = {
  onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },
  // stale is the time of the oldest data shown from the phone, or null
  get stale() { return staleSince; },

  async put(path, data) {
    try {
      await (await db()).put('snapshots', { key: keyOf(path), data, at: new Date().toISOString() });
    } catch (e) {
      console.warn('快照保存失败：', e.message); // full: the app still works online
    }
  },

  async get(path) {
    try {
      return (await db()).get('snapshots', keyOf(path));
    } catch {
      return undefined;
    }
  },

  // fresh says a request answered: what is shown is current again
  fresh() {
    if (staleSince !== null) {
      staleSince = null;
      for (const fn of listeners) fn(null);
    }
  },

  used(at) {
    if (staleSince === null || at < staleSince) {
      staleSince = at;
      for (const fn of listeners) fn(at);
    }
  },

  clear: () => clearStore('snapshots'),
};

// cachedGet reads path from the server and keeps the answer; with no signal
// it answers the last one kept (marking the app as showing stale data), and
// throws the NetworkError when there is none. fetcher reads the path
// (api.get by default; getAll for paged collections); main marks the data
// whose fresh answer means the app is current again (the cases).
export async function cachedGet(path, fetcher = (p) => api.get(p), { main = false } = {}) {
  try {
    const data = await fetcher(path);
    await snapshots.put(path, data);
    if (main) snapshots.fresh(); // the main data is current again
    return data;
  } catch (e) {
    if (!(e instanceof NetworkError)) throw e;
    const snap = await snapshots.get(path);
    if (!snap) throw e;
    snapshots.used(snap.at);
    return snap.data;
  }
}
