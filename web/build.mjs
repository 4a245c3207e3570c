// Builds the web app into dist/ (embedded in the binary by web.go):
// the bundle and its CSS with content-hashed names, MapLibre's worker next
// to them, index.html, and the glyph PBFs of the map's labels.
//
//   node build.mjs          production build
//   node build.mjs --dev    unminified, with source maps
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
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

const result = await esbuild.build({
  entryPoints: { app: path.join(here, 'src/main.js'), style: path.join(here, 'src/app.css') },
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

// MapLibre starts its worker from this file (setWorkerUrl in map.js)
const mlDist = path.join(here, 'node_modules/maplibre-gl/dist');
fs.copyFileSync(path.join(mlDist, 'maplibre-gl-worker.mjs'), path.join(dist, 'maplibre-gl-worker.js'));
fs.copyFileSync(path.join(here, 'node_modules/maplibre-gl/LICENSE.txt'), path.join(dist, 'maplibre-gl-LICENSE.txt'));

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

const size = (f) => (fs.statSync(path.join(dist, f)).size / 1024).toFixed(0);
console.log(`web: dist/${js} ${size(js)} KiB, dist/${css} ${size(css)} KiB, worker ${size('maplibre-gl-worker.js')} KiB, ` +
  `glyphs ${glyphs.ranges} ranges${glyphs.cached ? ' (cached)' : ''}, ${Date.now() - started} ms`);
