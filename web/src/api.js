// The HTTP client: every call carries the bearer token; errors become
// ApiError with the server's message (which names the field or coordinate;
// messages.js turns any error into what the user reads).

const TOKEN_KEY = 'riskmap.token';
const USER_KEY = 'riskmap.user';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || [];
  }
}

// NetworkError: the request never got an answer (offline, connection cut).
export class NetworkError extends Error {
  constructor(message) { super(message); this.name = 'NetworkError'; }
}

export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY) || ''; },
  get user() {
    try { return JSON.parse(localStorage.getItem(USER_KEY) || 'null'); } catch { return null; }
  },
  save(token, user) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  // saveUser keeps the user as the server last described them (the app
  // opens as this user with no signal)
  saveUser(user) { localStorage.setItem(USER_KEY, JSON.stringify(user)); },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  },
};

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function request(method, path, { body, headers = {}, raw = false, signal } = {}) {
  // with no network at all nothing is tried: the caller falls back to what
  // the phone keeps (snapshot.js) or queues (queue.js)
  if (!navigator.onLine) throw new NetworkError('网络不可用：离线');
  // the server words its errors in Chinese for this app; the app names
  // itself, so a feature's history says a change came "via app"
  const h = { 'Accept-Language': 'zh-CN', 'X-Riskmap-Client': 'web/1', ...headers };
  if (session.token) h.Authorization = `Bearer ${session.token}`;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData) && !(body instanceof Blob) && typeof body !== 'string') {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers: h, body: payload, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new NetworkError(`网络不可用：${e.message}`);
  }
  if (raw && res.ok) return res;
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const err = data && data.error ? data.error : { code: String(res.status), message: text.slice(0, 200) || res.statusText };
    if (res.status === 401 && !path.endsWith('/auth/login')) onUnauthorized();
    throw new ApiError(res.status, err.code, err.message, err.details);
  }
  return data;
}

export const api = {
  get: (p, o) => request('GET', p, o),
  post: (p, body, o = {}) => request('POST', p, { ...o, body }),
  patch: (p, body, o = {}) => request('PATCH', p, { ...o, body }),
};

// getAll follows a FeatureCollection's next links up to max features.
export async function getAll(path, max = 5000) {
  const out = [];
  let next = path;
  while (next && out.length < max) {
    const page = await api.get(next);
    out.push(...(page.features || []));
    const link = (page.links || []).find((l) => l.rel === 'next');
    next = link ? link.href : null;
  }
  return out;
}

// dispositionName reads the file name a Content-Disposition gives: the
// UTF-8 filename* (RFC 6266/8187, how Chinese names come) before the plain
// filename.
export function dispositionName(cd) {
  const star = /filename\*\s*=\s*"?([^']*)'[^']*'([^";]+)"?/i.exec(cd);
  if (star) {
    try { return decodeURIComponent(star[2].trim()); } catch { /* a bad escape: the plain name */ }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(cd);
  return plain ? plain[1] : null;
}

// download fetches a file with the token (a plain link cannot send it) and
// hands it to the browser under the server's file name.
export async function download(path, fallbackName) {
  const res = await request('GET', path, { raw: true });
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = dispositionName(res.headers.get('Content-Disposition') || '') || fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  return { name: a.download, size: blob.size, type: blob.type };
}

// objectURL loads an attachment (needs the token) for an <img>.
export async function objectURL(path) {
  const res = await request('GET', path, { raw: true });
  return URL.createObjectURL(await res.blob());
}
