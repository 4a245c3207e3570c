// Builds the web app into dist/ (embedded in the binary by web.go):
// the bundle and its CSS with content-hashed names, MapLibre's worker next
// to them, index.html, the glyph PBFs of the map's labels, the web app
// manifest with its icons, and the service worker (Workbox) that precaches
// all of them under this build's revisions.
//
//   node build.mjs          production build
//   node build.mjs --dev    unminified, with source maps
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import * as esbuild from 'esbuild';
import { injectManifest } from 'workbox-build';
import { buildGlyphs } from './tools/glyphs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const dev = process.argv.includes('--dev');
const started = Date.now();

// keep the committed placeholder and the glyphs (rebuilt only when their
// inputs change); everything else is made anew
fs.mkdirSync(dist, { recursive: true });
for (const name of fs.readdirSync(dist)) {
  if (name === 'placeholder.html' || name === 'fonts') continue;
  fs.rmSync(path.join(dist, name), { recursive: true, force: true });
}

// MapLibre starts its worker from this file (setWorkerUrl in map.js), named
// by its content so that a precached copy is never a stale one
const mlDist = path.join(here, 'node_modules/maplibre-gl/dist');
const workerSrc = fs.readFileSync(path.join(mlDist, 'maplibre-gl-worker.mjs'));
const worker = `maplibre-gl-worker-${crypto.createHash('sha256').update(workerSrc).digest('hex').slice(0, 8).toUpperCase()}.js`;
fs.writeFileSync(path.join(dist, worker), workerSrc);
fs.copyFileSync(path.join(here, 'node_modules/maplibre-gl/LICENSE.txt'), path.join(dist, 'maplibre-gl-LICENSE.txt'));

const result = await esbuild.build({
  entryPoints: { app: path.join(here, 'src/main.js'), style: path.join(here, 'src/app.css') },
  define: { __MAPLIBRE_WORKER__: JSON.stringify(`/${worker}`) },
  bundle: true,
  format: 'esm',
  target: 'es2022',
  outdir: dist,
  entryNames: '[name]-[hash]',
  minify: !dev,
  sourcemap: dev,
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs);
const js = path.basename(outputs.find(([f, o]) => o.entryPoint && o.entryPoint.endsWith('main.js'))[0]);
const css = path.basename(outputs.find(([f]) => f.endsWith('.css'))[0]);

const html = fs.readFileSync(path.join(here, 'src/index.html'), 'utf8').replace('{{JS}}', js).replace('{{CSS}}', css);
fs.writeFileSync(path.join(dist, 'index.html'), html);

// glyphs: Noto Sans (SIL OFL 1.1) from @fontsource, as the style's "Noto Sans Regular"
const fontPkg = path.join(here, 'node_modules/@fontsource/noto-sans');
const version = JSON.parse(fs.readFileSync(path.join(fontPkg, 'package.json'), 'utf8')).version;
const generator = fs.readFileSync(path.join(here, 'tools/glyphs.mjs'), 'utf8');
const fontFiles = ['latin', 'latin-ext'].map((s) => path.join(fontPkg, `files/noto-sans-${s}-400-normal.woff`));
const glyphs = buildGlyphs({
  fontFiles,
  stack: 'Noto Sans Regular',
  outDir: path.join(dist, 'fonts'),
  stamp: `${version} ${generator.length} ${fontFiles.join(',')}`,
});
fs.copyFileSync(path.join(fontPkg, 'LICENSE'), path.join(dist, 'fonts', 'LICENSE-NotoSans.txt'));

// the web app manifest and its icons (tools/icons.mjs draws the PNGs)
fs.copyFileSync(path.join(here, 'src/manifest.webmanifest'), path.join(dist, 'manifest.webmanifest'));
fs.cpSync(path.join(here, 'src/icons'), path.join(dist, 'icons'), { recursive: true });

// the service worker: bundled with its Workbox modules, then given the
// precache manifest (every file the app needs offline, with a revision for
// those whose name does not carry their hash)
const swTmp = path.join(here, 'node_modules/.cache/riskmap-sw.js');
await esbuild.build({
  entryPoints: [path.join(here, 'src/sw.js')],
  bundle: true,
  format: 'iife',
  target: 'es2022',
  outfile: swTmp,
  minify: !dev,
  define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
  legalComments: 'none',
  logLevel: 'warning',
});
const sw = await injectManifest({
  swSrc: swTmp,
  swDest: path.join(dist, 'sw.js'),
  globDirectory: dist,
  globPatterns: ['index.html', 'app-*.js', 'style-*.css', 'maplibre-gl-worker-*.js', 'fonts/**/*.pbf', 'icons/*.{png,svg}',
    'manifest.webmanifest', ...(fs.existsSync(path.join(dist, 'sprites')) ? ['sprites/**/*.{json,png}'] : [])],
  // content-hashed names need no revision of their own
  dontCacheBustURLsMatching: /-[0-9A-Z]{8}\.(js|css)$/,
  maximumFileSizeToCacheInBytes: 8 << 20,
});
for (const w of sw.warnings) console.warn(`web: service worker: ${w}`);

const size = (f) => (fs.statSync(path.join(dist, f)).size / 1024).toFixed(0);
console.log(`web: dist/${js} ${size(js)} KiB, dist/${css} ${size(css)} KiB, worker ${size(worker)} KiB, ` +
  `glyphs ${glyphs.ranges} ranges${glyphs.cached ? ' (cached)' : ''}, sw.js precaches ${sw.count} files ` +
  `(${(sw.size / 1024).toFixed(0)} KiB), ${Date.now() - started} ms`);
