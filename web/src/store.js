// The cases the user can see, kept current by the live feed and shared by
// the map, the board and the task list.
import { api, getAll } from './api.js';
import { OPEN_STATES } from './labels.js';

export const cases = {
  byId: new Map(),
  listeners: new Set(),
  loaded: false,

  on(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); },
  emit(change) { for (const fn of this.listeners) fn(change); },

  list() { return [...this.byId.values()]; },

  // load fetches the open cases (and those closed in the last 30 days, so a
  // board shows what was just finished).
  async load() {
    const open = await getAll(`/api/v1/cases?state=${OPEN_STATES.join(',')}&limit=1000`, 5000);
    const closed = await getAll('/api/v1/cases?state=closed&limit=200', 200);
    const cutoff = Date.now() - 30 * 86400e3;
    this.byId.clear();
    for (const f of open) this.byId.set(f.id, f);
    for (const f of closed) if (new Date(f.properties.closed_at).getTime() > cutoff) this.byId.set(f.id, f);
    this.loaded = true;
    this.emit({ reload: true });
  },

  // refresh reads one case again (after an action or a feed event).
  async refresh(id) {
    try {
      const f = await api.get(`/api/v1/cases/${id}`);
      this.put(f);
      return f;
    } catch (e) {
      if (e.status === 404 || e.status === 403) {
        this.byId.delete(id);
        this.emit({ id, removed: true });
        return null;
      }
      throw e;
    }
  },

  put(f) {
    const slim = { type: 'Feature', id: f.id, geometry: f.geometry, properties: { ...f.properties } };
    delete slim.events;
    this.byId.set(f.id, slim);
    this.emit({ id: f.id, feature: slim });
  },
};

// sortBoard puts overdue cases first, then the nearest deadline, then the newest.
export function sortBoard(list) {
  const t = (s) => (s ? new Date(s).getTime() : Infinity);
  return list.slice().sort((a, b) => {
    const pa = a.properties;
    const pb = b.properties;
    if (pa.overdue !== pb.overdue) return pa.overdue ? -1 : 1;
    if (t(pa.deadline) !== t(pb.deadline)) return t(pa.deadline) - t(pb.deadline);
    return t(pb.reported_at) - t(pa.reported_at);
  });
}

// waitsForCounty: what the county and city must act on or watch (待县区处理):
// escalated cases (overdue past the grace), and major hazards waiting for
// their approval or suspended on their books.
export function waitsForCounty(p) {
  if (!OPEN_STATES.includes(p.state)) return false;
  return Boolean(p.escalated) || (p.grade === 'major' && (p.state === 'submitted' || p.state === 'suspended'));
}
