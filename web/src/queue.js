// The offline queue of hazard reports. Every report is stored in IndexedDB
// first (with its photos as Blobs) and sent from there, so a report made
// without signal, or interrupted by a closed app, goes out when the phone is
// back online. Each report carries a UUID made on the phone: the server
// creates nothing new for an id it has seen, so sending again after a lost
// answer is safe. Photos are marked sent one by one, so a retry uploads only
// the photos that did not get through.
import { api, request, ApiError, NetworkError } from './api.js';
import { errorText } from './messages.js';

const DB = 'riskmap';
const STORE = 'reports';

function open() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'id' });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const store = t.objectStore(STORE);
    let out;
    Promise.resolve(fn(store)).then((v) => { out = v; });
    t.oncomplete = () => { db.close(); resolve(out); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });

export const queue = {
  listeners: new Set(),
  flushing: null,

  onChange(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); },
  // onSent(fn): fn(item, reply) when the server accepts a request item
  sentListeners: new Set(),
  onSent(fn) { this.sentListeners.add(fn); return () => this.sentListeners.delete(fn); },
  async notify() { const all = await this.all(); for (const fn of this.listeners) fn(all); },

  async all() {
    return tx('readonly', (s) => req(s.getAll()));
  },

  // add stores a report: feature is the GeoJSON Feature (its id the UUID),
  // photos a list of File/Blob. add({kind: 'request', method, url, form,
  // group, label, ...}) stores any other idempotent request (a patrol):
  // form is [{name, value}] or [{name, blob, filename}], and the body
  // carries its own client-made id, so a resend applies once.
  async add(feature, photos) {
    if (feature && feature.kind === 'request') {
      const item = { ...feature, id: feature.id || crypto.randomUUID(), created: new Date().toISOString(), error: null, attempts: 0 };
      await tx('readwrite', (s) => req(s.put(item)));
      await this.notify();
      return item;
    }
    const rec = {
      id: feature.id,
      feature,
      photos: photos.map((f) => ({ name: f.name || 'photo.jpg', type: f.type, blob: f, sent: false })),
      created: new Date().toISOString(),
      caseSent: false,
      error: null,
      attempts: 0,
    };
    await tx('readwrite', (s) => req(s.put(rec)));
    await this.notify();
    return rec;
  },

  async put(rec) { await tx('readwrite', (s) => req(s.put(rec))); },
  async remove(id) { await tx('readwrite', (s) => req(s.delete(id))); await this.notify(); },

  // flush sends what is waiting; one run at a time. Returns the ids sent.
  flush() {
    if (!this.flushing) {
      this.flushing = this._flush().finally(() => { this.flushing = null; });
    }
    return this.flushing;
  },

  async _flush() {
    const sent = [];
    if (!navigator.onLine) return sent;
    for (const rec of await this.all()) {
      if (rec.error && rec.error.permanent) continue; // waits for the user to fix or discard it
      rec.attempts++;
      try {
        if (rec.kind === 'request') {
          let body = rec.json;
          if (rec.form) {
            body = new FormData();
            for (const f of rec.form) {
              if (f.blob) body.append(f.name, f.blob, f.filename || 'file');
              else body.append(f.name, f.value);
            }
          }
          const reply = await request(rec.method || 'POST', rec.url, { body });
          await tx('readwrite', (s) => req(s.delete(rec.id)));
          sent.push(rec.id);
          for (const fn of this.sentListeners) fn(rec, reply);
          continue;
        }
        if (!rec.caseSent) {
          await api.post('/api/v1/cases', rec.feature);
          rec.caseSent = true;
          await this.put(rec);
        }
        for (const p of rec.photos) {
          if (p.sent) continue;
          const fd = new FormData();
          fd.append('file', p.blob, p.name);
          await request('POST', `/api/v1/cases/${rec.id}/attachments`, { body: fd });
          p.sent = true;
          await this.put(rec);
        }
        await tx('readwrite', (s) => req(s.delete(rec.id)));
        sent.push(rec.id);
      } catch (e) {
        if (e instanceof NetworkError) {
          rec.error = { message: e.message, permanent: false };
          await this.put(rec);
          break; // still offline: try again later
        }
        // the server refused it: keep it and say why; the user decides
        const permanent = e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 429;
        rec.error = { message: e.message, text: errorText(e), status: e.status, permanent };
        await this.put(rec);
      }
    }
    await this.notify();
    return sent;
  },

  // retry clears a refused report's error so the next flush sends it again.
  async retry(id) {
    const rec = await tx('readonly', (s) => req(s.get(id)));
    if (!rec) return;
    rec.error = null;
    await this.put(rec);
    await this.notify();
    return this.flush();
  },
};

// start flushes when the browser comes online, every 15 s while anything
// waits, and once now.
export function startQueue() {
  window.addEventListener('online', () => queue.flush());
  setInterval(async () => {
    if (navigator.onLine && (await queue.all()).some((r) => !r.error || !r.error.permanent)) queue.flush();
  }, 15000);
  queue.flush();
}
