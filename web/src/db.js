// The phone's own database (IndexedDB, through the idb library): what the
// app keeps so that it works with no signal.
//
//   queue      every field action not yet accepted by the server, with its
//              photos (queue.js); never dropped to make room
//   snapshots  the last answer to each GET the app read, with when (snapshot.js)
//   meta       small records: the offline map's packs, the last version of a
//              case the queue saw accepted
//
// Version 1 had only "reports" (the report queue); upgrading moves its
// records into "queue" in the same transaction, so none is lost.
import { openDB } from 'idb';
import { session } from './api.js';

const NAME = 'riskmap';
const VERSION = 2;

let opening = null;

export function db() {
  if (!opening) {
    opening = openDB(NAME, VERSION, {
      async upgrade(d, oldVersion, _newVersion, tx) {
        if (!d.objectStoreNames.contains('queue')) {
          const q = d.createObjectStore('queue', { keyPath: 'id' });
          q.createIndex('seq', 'seq');
        }
        if (!d.objectStoreNames.contains('snapshots')) d.createObjectStore('snapshots', { keyPath: 'key' });
        if (!d.objectStoreNames.contains('meta')) d.createObjectStore('meta', { keyPath: 'key' });
        if (oldVersion === 1 && d.objectStoreNames.contains('reports')) {
          const old = await tx.objectStore('reports').getAll();
          let seq = 0;
          for (const r of old.sort((a, b) => String(a.created).localeCompare(String(b.created)))) {
            await tx.objectStore('queue').put(fromV1(r, ++seq));
          }
          d.deleteObjectStore('reports');
        }
      },
      blocking() {
        // another tab (a new version of the app) wants to upgrade: let it
        opening.then((d) => d.close());
        opening = null;
      },
    });
  }
  return opening;
}

// fromV1 turns a version-1 queued report into a queue item; it was made by
// the user logged in on this phone (version 1 kept no owner).
function fromV1(r, seq) {
  return {
    id: r.id, seq, kind: 'report', user: session.user ? session.user.id : null, created: r.created, caseId: r.id,
    feature: r.feature, caseSent: !!r.caseSent,
    photos: (r.photos || []).map((p) => ({ ...p, clientId: crypto.randomUUID() })),
    error: r.error || null, attempts: r.attempts || 0,
  };
}

// clearStore empties one store (the snapshots, on logout).
export async function clearStore(store) {
  const d = await db();
  await d.clear(store);
}
