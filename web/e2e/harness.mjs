// The end-to-end harness: a real riskmap server with the demo city on a
// fresh database of the local PostGIS cluster, and Debian's Chromium driven
// by playwright-core. Everything it makes it removes at the end.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const artifacts = path.join(here, 'artifacts');

// The cluster riskmap manages (`riskmap db start`); RISKMAP_E2E_PG overrides
// (a libpq connection string to a database of a server where the role may
// create databases).
const PG = process.env.RISKMAP_E2E_PG || 'host=/var/lib/riskmap/pg port=55432 user=riskmap';
const CHROMIUM = process.env.RISKMAP_E2E_CHROMIUM || '/usr/bin/chromium';

export const PASSWORDS = {
  admin: 'demo-admin-2026', city: 'demo-city-2026', haifeng: 'demo-haifeng-2026', xingang: 'demo-xingang-2026', worker1: 'demo-worker1-2026', planner: 'demo-planner-2026',
};

function psql(sql) {
  return execFileSync('psql', [`${PG} dbname=postgres`, '-v', 'ON_ERROR_STOP=1', '-Atqc', sql], { encoding: 'utf8' });
}

// demoTemplate returns a template database holding the demo city, made with
// `riskmap demo --load-only` the first time and kept (like internal/dbtest's
// templates) under a name derived from what the demo data depends on: the
// migrations and the demo, auth, cases and roads packages. Each run clones it (a few
// seconds) instead of loading the city (a minute or more). Templates of
// older sources are dropped. Whatever `riskmap demo` loads must be among the
// directories hashed (the demo city, the demo cases, the demo road network).
function demoTemplate(bin) {
  const h = crypto.createHash('sha256');
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else { h.update(path.relative(repo, f)); h.update(fs.readFileSync(f)); }
    }
  };
  for (const d of ['migrations', 'demo', 'auth', 'cases', 'roads', 'patrols']) if (fs.existsSync(path.join(repo, d))) walk(path.join(repo, d));
  const name = `riskmap_e2etpl_${h.digest('hex').slice(0, 12)}`;
  const exists = (n) => psql(`SELECT 1 FROM pg_database WHERE datname = '${n}' AND datistemplate`).trim() === '1';
  // the comment says when a template was last used, so that runs of other
  // checkouts sharing the cluster drop only templates no one used lately
  const touch = () => psql(`COMMENT ON DATABASE ${name} IS 'riskmap e2e template, used ${Date.now()}'`);
  if (exists(name)) { touch(); return name; }
  const tmp = `riskmap_e2etpl_tmp_${crypto.randomBytes(4).toString('hex')}`;
  psql(`CREATE DATABASE ${tmp}`);
  try {
    execFileSync(bin, ['demo', '--load-only'], { env: { ...process.env, DATABASE_URL: `${PG} dbname=${tmp}` }, stdio: ['ignore', 'ignore', 'inherit'] });
    psql(`ALTER DATABASE ${tmp} RENAME TO ${name}`);
    psql(`ALTER DATABASE ${name} WITH IS_TEMPLATE true`);
    touch();
  } catch (e) {
    psql(`DROP DATABASE IF EXISTS ${tmp} WITH (FORCE)`);
    if (!exists(name)) throw e; // else another run made it first
  }
  // templates of other sources unused for two hours (or from before the
  // comment) go; those of the checkouts working now stay
  const stale = Date.now() - 2 * 3600e3;
  const others = psql(`SELECT datname || ' ' || coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database
    WHERE datname LIKE 'riskmap\\_e2etpl\\_%' AND datname NOT LIKE 'riskmap\\_e2etpl\\_tmp\\_%' AND datname <> '${name}'`).split('\n').filter(Boolean)
    .filter((line) => { const m = / used (\d+)$/.exec(line); return !m || Number(m[1]) < stale; }).map((line) => line.split(' ')[0]);
  for (const old of others) {
    try {
      psql(`ALTER DATABASE ${old} WITH IS_TEMPLATE false`);
      psql(`DROP DATABASE IF EXISTS ${old} WITH (FORCE)`);
    } catch { /* in use by another run: left for the next */ }
  }
  return name;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

export class Harness {
  // webDir: serve the web app from a copy of web/dist (made here) that a
  // test may change, as a new build would, instead of the binary's own.
  constructor({ webDir = false } = {}) {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'riskmap-e2e-'));
    if (webDir) {
      this.webDir = path.join(this.tmp, 'web');
      fs.cpSync(path.join(repo, 'web/dist'), this.webDir, { recursive: true });
    }
    this.db = `riskmap_e2e_${crypto.randomBytes(5).toString('hex')}`;
    this.contexts = [];
    this.log = [];
    this.pageErrors = [];
    this.expected = [];
  }

  // start builds the binary (unless RISKMAP_E2E_BIN names one), makes the
  // database, starts `riskmap demo` and waits until it answers.
  async start() {
    fs.mkdirSync(artifacts, { recursive: true });
    let bin = process.env.RISKMAP_E2E_BIN;
    if (!bin) {
      bin = path.join(this.tmp, 'riskmap');
      execFileSync(process.env.GO || 'go', ['build', '-o', bin, './cmd/riskmap'], { cwd: repo, stdio: 'inherit' });
    }
    const tpl = demoTemplate(path.resolve(repo, bin));
    psql(`CREATE DATABASE ${this.db} TEMPLATE ${tpl}`);
    this.dbCreated = true;
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    const logFile = fs.openSync(path.join(artifacts, 'server.log'), 'w');
    this.server = spawn(path.resolve(repo, bin), ['demo', '--addr', `127.0.0.1:${this.port}`], {
      env: { ...process.env, DATABASE_URL: `${PG} dbname=${this.db}`, RISKMAP_BLOB_DIR: path.join(this.tmp, 'blobs'),
        ...(this.webDir ? { RISKMAP_WEB_DIR: this.webDir } : {}) },
      stdio: ['ignore', logFile, logFile],
    });
    this.exited = new Promise((resolve) => this.server.on('exit', (code) => resolve(code)));
    const started = Date.now();
    const deadline = started + 180e3;
    for (;;) {
      try {
        const r = await fetch(`${this.base}/healthz`);
        if (r.ok) break;
      } catch { /* not yet */ }
      if (this.server.exitCode !== null) throw new Error(`riskmap demo exited with ${this.server.exitCode}: see ${artifacts}/server.log`);
      if (Date.now() > deadline) throw new Error('riskmap demo did not answer /healthz within 180 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`# riskmap demo on ${this.db} answered after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  async stop() {
    for (const c of this.contexts) await c.close().catch(() => {});
    if (this.server && this.server.exitCode === null) {
      this.server.kill('SIGTERM');
      const t = setTimeout(() => this.server.kill('SIGKILL'), 10e3);
      await this.exited;
      clearTimeout(t);
    }
    if (this.dbCreated) psql(`DROP DATABASE IF EXISTS ${this.db} WITH (FORCE)`);
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  // browser opens a fresh Chromium profile (its own empty user data dir),
  // or, given profile (the dir of an earlier one, closed since), that
  // profile again: a phone restarted.
  async browser(name, options = {}, profile = null) {
    const dir = profile || fs.mkdtempSync(path.join(this.tmp, `profile-${name}-`));
    const ctx = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      acceptDownloads: true,
      ...options,
    });
    this.contexts.push(ctx);
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('pageerror', (e) => this.pageErrors.push(`${name}: ${e.message}`));
    // a failed request's console line names its URL, so a test can expect
    // the one it causes
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const url = m.location() && m.location().url;
      this.log.push(`${name}: ${m.text()}${url && /Failed to load resource/.test(m.text()) ? ` (${url.replace(this.base, '')})` : ''}`);
    });
    return { ctx, page, dir };
  }

  // api calls the server as user (logging in once).
  async api(user, method, p, body) {
    this.tokens ||= {};
    if (!this.tokens[user]) {
      const r = await fetch(`${this.base}/api/v1/auth/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password: PASSWORDS[user] }),
      });
      if (!r.ok) throw new Error(`login ${user}: ${r.status} ${await r.text()}`);
      this.tokens[user] = (await r.json()).token;
    }
    const r = await fetch(`${this.base}${p}`, {
      method, headers: { Authorization: `Bearer ${this.tokens[user]}`, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${p} as ${user}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  // expectConsoleError allows console errors of browser name matching
  // pattern: those a test causes on purpose (offline, a dropped answer, an
  // injected failure). Any other is a defect consoleErrors reports.
  expectConsoleError(name, pattern) {
    this.expected.push({ name, pattern });
  }

  // consoleErrors lists the console errors no test expected, and every
  // uncaught page error.
  consoleErrors() {
    const unexpected = this.log.filter((line) => !this.expected.some((x) => line.startsWith(`${x.name}: `) && x.pattern.test(line)));
    return [...unexpected, ...this.pageErrors];
  }

  async shot(page, name) {
    await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
  }
}

// login fills the login form and waits for the map to be drawn.
export async function login(page, base, user, hash = '', { idle = true } = {}) {
  await page.goto(`${base}/${hash}`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', PASSWORDS[user]);
  const t0 = Date.now();
  await page.click('button[type=submit]');
  await page.waitForFunction(() => window.map && typeof window.map.loaded === 'function' && window.map.loaded(), null, { timeout: 60e3 });
  const t1 = Date.now();
  if (idle) await mapIdle(page);
  console.log(`# login ${user}: map ${t1 - t0} ms, idle ${Date.now() - t1} ms`);
}

// loseFirstAnswer lets the first request to pattern that accept(request)
// takes reach the server, then loses its answer (the connection is reset),
// as a phone's signal would; target is a page or a browser context. It
// returns {count}: the answers lost so far.
export async function loseFirstAnswer(target, pattern, accept = () => true) {
  const lost = { count: 0 };
  await target.route(pattern, async (route) => {
    if (lost.count === 0 && accept(route.request())) {
      lost.count++;
      await route.fetch();
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  return lost;
}

// mapIdle waits until every tile in view has loaded and been drawn.
// statsSinceLastYear sets the statistics view's period to 1 January of
// last year through today (in Shanghai) and waits for it to be painted (a
// month chart of more than twelve months). The default, this year so far,
// holds too little in the first days of January: a demo case takes more
// than a day to close.
export async function statsSinceLastYear(page) {
  const lastYear = new Date(Date.now() + 8 * 3600e3).getUTCFullYear() - 1;
  await page.waitForSelector('.stats-form input[name=from]');
  await page.fill('input[name=from]', `${lastYear}-01-01`);
  await page.click('.stats-form button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=month-chart] [data-month]').length > 12, null, { timeout: 60e3 });
}

export async function mapIdle(page) {
  await page.evaluate(() => new Promise((resolve) => {
    const m = window.map;
    // a map out of sight (the board takes the whole desktop) draws nothing
    if (!m.getCanvas().clientWidth || !m.getCanvas().clientHeight) { resolve(); return; }
    // a repaint ends in 'idle' once nothing is loading or moving
    m.once('idle', resolve);
    m.triggerRepaint();
    setTimeout(resolve, 20e3);
  }));
}

// png makes a small valid PNG (a coloured square), a stand-in photo.
export function png(r, g, b, size = 64) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const x of buf) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => [r, g, b]).flat())]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// interiorPoint: the centroid of a convex grid's outer ring.
export function interiorPoint(feature) {
  const ring = feature.geometry.coordinates[0][0];
  const pts = ring.slice(0, -1);
  const x = pts.reduce((a, p) => a + p[0], 0) / pts.length;
  const y = pts.reduce((a, p) => a + p[1], 0) / pts.length;
  return [Number(x.toFixed(6)), Number(y.toFixed(6))];
}
