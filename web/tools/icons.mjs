// Renders the app icons (src/icons/icon.svg) to the PNG sizes the web app
// manifest lists, with Debian's Chromium. The PNGs are committed (they
// change only when the drawing does), so the build does not need a browser:
//
//   node tools/icons.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, '../src/icons');
const svg = fs.readFileSync(path.join(dir, 'icon.svg'), 'utf8');
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'riskmap-icons-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.RISKMAP_E2E_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = ctx.pages()[0] || await ctx.newPage();
  for (const size of [192, 512]) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<html><body style="margin:0">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
    await page.screenshot({ path: path.join(dir, `icon-${size}.png`), omitBackground: false });
    console.log(`icons: icon-${size}.png`);
  }
} finally {
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
