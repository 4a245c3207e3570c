// The live feed (GET /api/v1/events, Server-Sent Events): case changes,
// the user's new notifications and inbox changes. EventSource cannot send
// an Authorization header and tokens do not belong in URLs (they end up in
// logs), so the stream is read with fetch() and parsed here. It reconnects
// after a drop, sending Last-Event-ID: the server replays what was missed,
// or sends "resync" when it no longer can — only then does the app reload.
// Feature changes ("feature": a layer changed where the user may see) and
// the decisions on the user's proposals ("proposal") are not numbered nor
// replayed: onFeature(null) after a reconnection means "may have missed
// some" (the map fetches its tiles again).
import { session } from './api.js';

export function startFeed({ onCase, onNotification, onInbox, onResync, onStatus, onRevoked, onFeature, onProposal }) {
  let stopped = false;
  let ctrl = null;
  let retry = 3000;
  let lastId = '';
  let connected = false;

  // with no network the stream is not tried: it waits for the network
  const online = () => (navigator.onLine ? Promise.resolve() : new Promise((r) => window.addEventListener('online', r, { once: true })));

  async function run() {
    while (!stopped) {
      await online();
      if (stopped) return;
      ctrl = new AbortController();
      try {
        const headers = { Authorization: `Bearer ${session.token}`, Accept: 'text/event-stream' };
        if (lastId) headers['Last-Event-ID'] = lastId;
        const res = await fetch('/api/v1/events', { headers, signal: ctrl.signal, cache: 'no-store' });
        if (res.status === 401) { onStatus('offline'); if (onRevoked) onRevoked(); return; }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onStatus('live');
        if (connected && onFeature) onFeature(null);
        connected = true;
        await read(res.body.getReader());
      } catch (e) {
        if (stopped) return;
      }
      onStatus('offline');
      await new Promise((r) => setTimeout(r, retry));
    }
  }

  async function read(reader) {
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.search(/\r?\n\r?\n/)) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + (buf[i] === '\r' ? 4 : 2));
        dispatch(block);
      }
    }
  }

  function dispatch(block) {
    let event = 'message';
    let id = null;
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const k = c < 0 ? line : line.slice(0, c);
      const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (k === 'event') event = v;
      else if (k === 'data') data.push(v);
      else if (k === 'id') id = v;
      else if (k === 'retry' && /^\d+$/.test(v)) retry = Number(v);
    }
    if (id !== null) lastId = id;
    if (!data.length) return;
    let payload;
    try { payload = JSON.parse(data.join('\n')); } catch { return; }
    if (event === 'case') onCase(payload);
    else if (event === 'notification') { if (onNotification) onNotification(payload); }
    else if (event === 'inbox') { if (onInbox) onInbox(payload); }
    else if (event === 'feature') { if (onFeature) onFeature(payload); }
    else if (event === 'proposal') { if (onProposal) onProposal(payload); }
    else if (event === 'resync') onResync(payload);
    else if (event === 'revoked') { stopped = true; if (onRevoked) onRevoked(); }
  }

  run();
  return () => { stopped = true; if (ctrl) ctrl.abort(); };
}
