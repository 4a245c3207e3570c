// The outbox: every field action (a hazard report, starting, submitting or
// returning a case, a patrol check-in, a proposal) is stored on the phone
// first, with its photos, and sent from here in the order it was made as
// soon as there is a network; so nothing a worker did in a valley with no
// signal is lost, and nothing is sent twice.
//
// Each item carries ids made on the phone (the report's UUID, an action's
// client_id, each photo's client_id): the server applies an id once and
// answers a resend with its first reply, so sending again after a lost
// answer is always safe. An item is sent in steps (photos one by one, then
// the action) and each step is marked done as it is answered, so a retry
// sends only what did not get through.
//
// Items of one case (or one group) go in order: while an earlier one waits
// or was refused, the later ones wait too. A refused item (the server said
// 409, 403 or 422) stays, with the server's message, until the user retries
// it (after fixing what was wrong) or deletes it; nothing is ever dropped
// by the app itself. Items belong to the user who made them and are sent
// only under that user's login.
//
// Kinds of item (queue.add):
//   report   a new case: {kind: 'report', feature, photos}
//   action   a case action: {kind: 'action', caseId, action, fields, version, photos}
//   request  any other idempotent request (patrols, proposals):
//            {kind: 'request', method, url, json | form, group, label}
//            form: [{name, value}] or [{name, blob, filename}]; the body must
//            carry its own client-made id, so that a resend applies once.
import { request, session, ApiError, NetworkError } from './api.js';
import { db } from './db.js';
import { errorText } from './messages.js';

// a 4xx the user must resolve (other statuses are retried)
const refused = (e) => e instanceof ApiError && e.status >= 400 && e.status < 500 && ![401, 408, 429].includes(e.status);

let counter = 0;
const nextSeq = () => Date.now() * 1000 + (counter++ % 1000);

function photoList(files) {
  return (files || []).map((f) => ({ name: f.name || 'photo.jpg', type: f.type, blob: f, clientId: crypto.randomUUID(), sent: false, attachmentId: null }));
}

async function uploadPhotos(item, save) {
  for (const p of item.photos || []) {
    if (p.sent) continue;
    const fd = new FormData();
    fd.append('client_id', p.clientId); // ahead of the file: makes the upload idempotent
    fd.append('file', p.blob, p.name);
    const a = await request('POST', `/api/v1/cases/${item.caseId}/attachments`, { body: fd });
    p.sent = true;
    p.attachmentId = a.id;
    await save();
  }
}

async function versions() {
  const rec = await (await db()).get('meta', 'versions');
  return rec ? rec.v : {};
}

async function setVersion(caseId, v) {
  const d = await db();
  const all = await versions();
  all[caseId] = v;
  await d.put('meta', { key: 'versions', v: all });
}

// How each kind is sent; save() stores the item's progress.
const SENDERS = {
  async report(item, save) {
    let reply = null;
    if (!item.caseSent) {
      reply = await request('POST', '/api/v1/cases', { body: item.feature });
      item.caseSent = true;
      await save();
    }
    await uploadPhotos(item, save);
    return reply;
  },

  async action(item, save) {
    await uploadPhotos(item, save);
    // an action queued behind another on the same case acts on the version
    // that one left
    let version = item.version;
    if (item.after) {
      const v = (await versions())[item.caseId];
      if (v !== undefined) version = v;
    }
    const body = { action: item.action, version, ...item.fields, client_id: item.id };
    const ids = (item.photos || []).map((p) => p.attachmentId).filter(Boolean);
    if (ids.length) body.attachments = ids;
    const doc = await request('POST', `/api/v1/cases/${item.caseId}/actions`, { body });
    await setVersion(item.caseId, doc.properties.version);
    return doc;
  },

  async request(item) {
    let body = item.json;
    if (item.form) {
      body = new FormData();
      for (const f of item.form) {
        if (f.blob) body.append(f.name, f.blob, f.filename || 'file');
        else body.append(f.name, f.value);
      }
    }
    return request(item.method || 'POST', item.url, { body });
  },
};

export const queue = {
  listeners: new Set(),
  sentListeners: new Set(),
  flushing: null,

  // onChange(fn): fn(items) whenever the queue changes
  onChange(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); },
  // onSent(fn): fn(item, reply) when the server accepts an item
  onSent(fn) { this.sentListeners.add(fn); return () => this.sentListeners.delete(fn); },
  async notify() { const all = await this.all(); for (const fn of this.listeners) fn(all); },

  // all lists the current user's items, oldest first
  async all() {
    const me = session.user && session.user.id;
    const items = await (await db()).getAllFromIndex('queue', 'seq');
    return items.filter((i) => i.user === me || i.user === null);
  },

  // count of every user's items (kept across logouts)
  async countAll() { return (await db()).count('queue'); },

  async get(id) { return (await db()).get('queue', id); },

  // add stores an item (see the kinds above) and returns it. It throws when
  // the phone cannot store it (full): the caller keeps the form as it is.
  async add(spec) {
    const item = {
      id: spec.id || crypto.randomUUID(),
      seq: nextSeq(),
      user: session.user ? session.user.id : null,
      created: new Date().toISOString(),
      attempts: 0,
      error: null,
      ...spec,
      photos: photoList(spec.photos),
    };
    if (item.kind === 'report') {
      item.id = item.feature.id;
      item.caseId = item.feature.id;
      item.caseSent = false;
    }
    if (item.kind === 'action') {
      // behind another item of the same case: act on the version it leaves
      item.after = (await this.all()).some((i) => i.caseId === item.caseId);
    }
    await (await db()).put('queue', item);
    await this.notify();
    return item;
  },

  async addReport(feature, photos) {
    return this.add({ kind: 'report', feature, photos, label: feature.properties.description });
  },

  async put(item) { await (await db()).put('queue', item); },

  async remove(id) { await (await db()).delete('queue', id); await this.notify(); },

  // pending lists the actions waiting for a case (for showing the case as
  // it will be once they are sent)
  async pending(caseId) { return (await this.all()).filter((i) => i.caseId === caseId && i.kind === 'action'); },

  // flush sends what is waiting; one run at a time. Returns the ids sent.
  flush() {
    if (!this.flushing) {
      this.flushing = this._flush().finally(() => { this.flushing = null; });
    }
    return this.flushing;
  },

  async _flush() {
    const sent = [];
    if (!navigator.onLine || !session.token) return sent;
    const held = new Set(); // groups with an earlier item not sent
    for (const item of await this.all()) {
      const group = item.caseId || item.group || null;
      if (group && held.has(group)) {
        if (!item.error || item.error.kind !== 'blocked') {
          item.error = { kind: 'blocked', message: '等待同一案件的前一项处理完毕' };
          await this.put(item);
        }
        continue;
      }
      if (item.error && item.error.kind === 'refused') { // waits for the user
        if (group) held.add(group);
        continue;
      }
      item.attempts++;
      try {
        const reply = await SENDERS[item.kind](item, () => this.put(item));
        await (await db()).delete('queue', item.id);
        sent.push(item.id);
        for (const fn of this.sentListeners) fn(item, reply);
      } catch (e) {
        if (group) held.add(group);
        if (e instanceof NetworkError) {
          item.error = { kind: 'network', message: '网络不可用，恢复后自动发送' };
          await this.put(item);
          break; // no signal: the rest waits too
        }
        if (refused(e)) {
          item.error = { kind: 'refused', status: e.status, code: e.code, message: e.message, text: errorText(e), details: e.details, at: new Date().toISOString() };
          await this.put(item);
          continue;
        }
        // 401 (log in again), 5xx, a timeout: kept as it is, retried later
        item.error = { kind: 'retry', status: e.status, message: e.message };
        await this.put(item);
        if (e instanceof ApiError && e.status === 401) break;
      }
    }
    await this.notify();
    return sent;
  },

  // retry clears an item's refusal (after patch, e.g. a newer version) and
  // sends again.
  async retry(id, patch = {}) {
    const item = await this.get(id);
    if (!item) return [];
    Object.assign(item, patch, { error: null });
    await this.put(item);
    await this.notify();
    return this.flush();
  },
};

// startQueue flushes when the browser comes online, every 15 s while
// anything waits, and once now.
export function startQueue() {
  window.addEventListener('online', () => queue.flush());
  setInterval(async () => {
    if (navigator.onLine && (await queue.all()).some((r) => !r.error || r.error.kind !== 'refused')) queue.flush();
  }, 15000);
  queue.flush();
}
