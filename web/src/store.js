// The cases the user can see, kept current by the live feed and shared by
// the map, the board and the task list. The last list read is kept on the
// phone (snapshot.js), so with no signal the app shows it as last synced;
// and actions waiting in the queue are shown as done (marked 待发送), so a
// worker can start a case and then submit it without a signal.
import { api, getAll, NetworkError } from './api.js';
import { OPEN_STATES } from './labels.js';
import { cachedGet, snapshots } from './snapshot.js';
import { queue } from './queue.js';

// the state a queued field action leaves a case in (cases/workflow.go)
export const FIELD_ACTIONS = { start: 'rectifying', submit: 'submitted', return: 'registered' };

// overlay shows f as it will be once the queued actions are sent.
export function overlay(f, items, userId) {
  if (!f || !items || !items.length) return f;
  const p = { ...f.properties };
  for (const it of items) {
    if (it.error && it.error.kind === 'refused') break; // refused: the case stays as the server has it
    if (!FIELD_ACTIONS[it.action]) continue;
    p.state = FIELD_ACTIONS[it.action];
    p.version = (p.version || 0) + 1;
    if (it.action === 'submit') p.submitted_by = userId;
    if (it.action === 'return') { p.assignee = null; p.assignee_name = null; }
  }
  p.pending = items.length;
  return { ...f, properties: p };
}

export const cases = {
  byId: new Map(),
  pendingByCase: new Map(),
  listeners: new Set(),
  loaded: false,
  userId: null,

  on(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); },
  emit(change) { for (const fn of this.listeners) fn(change); },

  list() { return [...this.byId.values()].map((f) => this.view(f)); },

  // view is f as the user should see it: with its queued actions applied
  view(f) { return overlay(f, this.pendingByCase.get(f.id), this.userId); },

  // load fetches the open cases (and those closed in the last 30 days, so a
  // board shows what was just finished); with no signal, the last ones read.
  async load() {
    const data = await cachedGet('cases:list', async () => ({
      open: await getAll(`/api/v1/cases?state=${OPEN_STATES.join(',')}&limit=1000`, 5000),
      closed: await getAll('/api/v1/cases?state=closed&limit=200', 200),
    }), { main: true });
    const cutoff = Date.now() - 30 * 86400e3;
    this.byId.clear();
    for (const f of data.open) this.byId.set(f.id, f);
    for (const f of data.closed) if (new Date(f.properties.closed_at).getTime() > cutoff) this.byId.set(f.id, f);
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
      if (e instanceof NetworkError) return null;
      throw e;
    }
  },

  put(f) {
    const slim = { type: 'Feature', id: f.id, geometry: f.geometry, properties: { ...f.properties } };
    delete slim.events;
    this.byId.set(f.id, slim);
    this.emit({ id: f.id, feature: slim });
    this.keepSoon();
  },

  // keepSoon writes the list as it now stands to the phone (so it shows
  // after a restart too), once changes have settled for a moment.
  keepSoon() {
    clearTimeout(this.keepTimer);
    this.keepTimer = setTimeout(() => {
      const all = [...this.byId.values()];
      snapshots.put('cases:list', {
        open: all.filter((f) => OPEN_STATES.includes(f.properties.state)),
        closed: all.filter((f) => !OPEN_STATES.includes(f.properties.state)),
      });
    }, 2000);
  },
};

// The queue's items shape what the cases look like; an accepted action
// brings the case as the server now has it.
queue.onChange((items) => {
  cases.pendingByCase.clear();
  for (const it of items) {
    if (it.kind !== 'action') continue;
    if (!cases.pendingByCase.has(it.caseId)) cases.pendingByCase.set(it.caseId, []);
    cases.pendingByCase.get(it.caseId).push(it);
  }
  cases.emit({ reload: true });
});
queue.onSent((item, reply) => {
  if (reply && reply.type === 'Feature' && reply.id) cases.put(reply);
});

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
