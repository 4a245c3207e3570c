// Registers the service worker (sw.js) with Workbox's window library and
// handles a new version: it installs in the background and waits; the user
// is told (新版本) and chooses when it takes over. Before it does, whatever
// the queue is sending finishes (the queue lives in IndexedDB, which an
// update does not touch, so nothing queued is lost either way), then the
// page reloads into the new version.
import { Workbox } from 'workbox-window';

let wb = null;

// registerServiceWorker starts it; onUpdate(apply) is called when a new
// version waits, apply() makes it take over. Returns a promise of the
// registration (null where service workers are not available: plain http
// on a non-local host, or an old browser).
export function registerServiceWorker({ onUpdate, beforeUpdate }) {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return Promise.resolve(null);
  // Workbox registers once the page has loaded, so that precaching the app
  // does not compete with the first load for the network
  wb = new Workbox('/sw.js');
  wb.addEventListener('waiting', () => {
    onUpdate(async () => {
      if (beforeUpdate) await beforeUpdate();
      wb.addEventListener('controlling', () => window.location.reload());
      wb.messageSkipWaiting();
    });
  });
  return wb.register().catch((e) => {
    console.warn('离线功能不可用：', e.message);
    return null;
  });
}

// controlled resolves once a service worker answers this page's requests
// (on the very first visit, once it has installed and claimed the page).
export function controlled() {
  if (!('serviceWorker' in navigator)) return Promise.resolve(false);
  if (navigator.serviceWorker.controller) return Promise.resolve(true);
  return new Promise((resolve) => {
    navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true), { once: true });
  });
}

// checkForUpdate asks the server for a newer service worker now.
export function checkForUpdate() {
  return wb ? wb.update() : Promise.resolve();
}
