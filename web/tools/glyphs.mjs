// Glyph PBFs for the map's labels, made at build time from a font that an npm
// package ships (no font host is reachable in the field). The style asks for
// /fonts/{fontstack}/{range}.pbf (tiles.GlyphsPath) with the stack
// "Noto Sans Regular". Latin, digits and punctuation come from these files;
// Chinese characters are drawn by MapLibre from the device's own CJK font
// (the map's localIdeographFontFamily), since a CJK glyph set would weigh
// tens of megabytes.
//
// The signed distance field follows mapbox/sdf-glyph-foundry, the reference
// generator: 24 px glyphs, a 3 px buffer, radius 8, cutoff 0.25, exact
// distances to the flattened outline, even-odd inside test.
import fs from 'node:fs';
import path from 'node:path';
import opentype from 'opentype.js';

const SIZE = 24;
const BUFFER = 3;
const RADIUS = 8;
const CUTOFF = 0.25;

// flatten turns a glyph's path (pixels, y down) into closed rings (y up).
function flatten(commands) {
  const rings = [];
  let ring = [];
  let x = 0;
  let y = 0;
  const close = () => {
    if (ring.length > 1) {
      const [fx, fy] = ring[0];
      const [lx, ly] = ring[ring.length - 1];
      if (fx !== lx || fy !== ly) ring.push([fx, fy]);
      rings.push(ring);
    }
    ring = [];
  };
  for (const c of commands) {
    switch (c.type) {
      case 'M':
        close();
        x = c.x; y = -c.y;
        ring.push([x, y]);
        break;
      case 'L':
        x = c.x; y = -c.y;
        ring.push([x, y]);
        break;
      case 'Q': {
        const [x0, y0] = [x, y];
        const [cx, cy] = [c.x1, -c.y1];
        x = c.x; y = -c.y;
        for (let i = 1; i <= 8; i++) {
          const t = i / 8;
          const a = (1 - t) * (1 - t);
          const b = 2 * (1 - t) * t;
          const d = t * t;
          ring.push([a * x0 + b * cx + d * x, a * y0 + b * cy + d * y]);
        }
        break;
      }
      case 'C': {
        const [x0, y0] = [x, y];
        const [c1x, c1y, c2x, c2y] = [c.x1, -c.y1, c.x2, -c.y2];
        x = c.x; y = -c.y;
        for (let i = 1; i <= 12; i++) {
          const t = i / 12;
          const u = 1 - t;
          const a = u * u * u;
          const b = 3 * u * u * t;
          const d = 3 * u * t * t;
          const e = t * t * t;
          ring.push([a * x0 + b * c1x + d * c2x + e * x, a * y0 + b * c1y + d * c2y + e * y]);
        }
        break;
      }
      case 'Z':
        close();
        break;
    }
  }
  close();
  return rings;
}

function segDist2(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const l2 = dx * dx + dy * dy;
  let t = l2 === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / l2;
  t = Math.max(0, Math.min(1, t));
  const qx = ax + t * dx - px;
  const qy = ay + t * dy - py;
  return qx * qx + qy * qy;
}

function inside(rings, px, py) {
  let c = false;
  for (const r of rings) {
    for (let i = 0; i + 1 < r.length; i++) {
      const [x1, y1] = r[i];
      const [x2, y2] = r[i + 1];
      if ((y1 > py) !== (y2 > py) && px < ((x2 - x1) * (py - y1)) / (y2 - y1) + x1) c = !c;
    }
  }
  return c;
}

// renderGlyph returns the SDF glyph record of one code point.
export function renderGlyph(font, glyph, ascender, id) {
  const advance = Math.round((glyph.advanceWidth * SIZE) / font.unitsPerEm);
  const rings = flatten(glyph.getPath(0, 0, SIZE).commands);
  const out = { id, width: 0, height: 0, left: 0, top: 0, advance, bitmap: null };
  if (rings.length === 0) return out;
  let xmin = Infinity, ymin = Infinity, xmax = -Infinity, ymax = -Infinity;
  for (const r of rings) for (const [x, y] of r) {
    xmin = Math.min(xmin, x); xmax = Math.max(xmax, x);
    ymin = Math.min(ymin, y); ymax = Math.max(ymax, y);
  }
  xmin = Math.round(xmin); ymin = Math.round(ymin); xmax = Math.round(xmax); ymax = Math.round(ymax);
  if (xmax - xmin === 0 || ymax - ymin === 0) return out;
  for (const r of rings) for (const p of r) { p[0] += -xmin + BUFFER; p[1] += -ymin + BUFFER; }
  const segs = [];
  for (const r of rings) for (let i = 0; i + 1 < r.length; i++) segs.push([r[i][0], r[i][1], r[i + 1][0], r[i + 1][1]]);
  out.width = xmax - xmin;
  out.height = ymax - ymin;
  out.left = xmin;
  out.top = ymax - ascender;
  const bw = out.width + 2 * BUFFER;
  const bh = out.height + 2 * BUFFER;
  const bitmap = new Uint8Array(bw * bh);
  const r2 = RADIUS * RADIUS;
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      let best = Infinity;
      for (const [ax, ay, bx, by] of segs) {
        if (Math.min(ax, bx) - RADIUS > px || Math.max(ax, bx) + RADIUS < px ||
            Math.min(ay, by) - RADIUS > py || Math.max(ay, by) + RADIUS < py) continue;
        const d2 = segDist2(px, py, ax, ay, bx, by);
        if (d2 < best && d2 < r2) best = d2;
      }
      let d = Math.sqrt(best) * (256 / RADIUS);
      if (inside(rings, px, py)) d = -d;
      d += CUTOFF * 256;
      const n = Math.max(0, Math.min(255, Math.trunc(d)));
      bitmap[(bh - y - 1) * bw + x] = 255 - n;
    }
  }
  out.bitmap = bitmap;
  return out;
}

// A minimal protobuf writer for glyphs.proto:
// glyphs { repeated fontstack stacks = 1 }
// fontstack { string name = 1; string range = 2; repeated glyph glyphs = 3 }
// glyph { uint32 id = 1; bytes bitmap = 2; uint32 width = 3; uint32 height = 4;
//         sint32 left = 5; sint32 top = 6; uint32 advance = 7 }
function varint(out, v) {
  v = v >>> 0;
  while (v > 127) { out.push((v & 127) | 128); v >>>= 7; }
  out.push(v);
}
const zigzag = (v) => ((v << 1) ^ (v >> 31)) >>> 0;
function field(out, num, wire) { varint(out, (num << 3) | wire); }
function bytesField(out, num, bytes) { field(out, num, 2); varint(out, bytes.length); for (const b of bytes) out.push(b); }
function glyphMessage(g) {
  const o = [];
  field(o, 1, 0); varint(o, g.id);
  if (g.bitmap) bytesField(o, 2, g.bitmap);
  field(o, 3, 0); varint(o, g.width);
  field(o, 4, 0); varint(o, g.height);
  field(o, 5, 0); varint(o, zigzag(g.left));
  field(o, 6, 0); varint(o, zigzag(g.top));
  field(o, 7, 0); varint(o, g.advance);
  return o;
}
export function encodeRange(name, range, glyphs) {
  const stack = [];
  bytesField(stack, 1, Buffer.from(name, 'utf8'));
  bytesField(stack, 2, Buffer.from(range, 'utf8'));
  for (const g of glyphs) bytesField(stack, 3, glyphMessage(g));
  const out = [];
  bytesField(out, 1, stack);
  return Buffer.from(out);
}

// buildGlyphs writes outDir/<stack>/<start>-<end>.pbf for every range of 256
// code points the fonts cover. Files already written for the same inputs are
// kept (a stamp file records the inputs), so rebuilding the app is quick.
export function buildGlyphs({ fontFiles, stack, outDir, stamp }) {
  const dir = path.join(outDir, stack);
  const stampFile = path.join(dir, '.stamp');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    return { cached: true, ranges: fs.readdirSync(dir).filter((f) => f.endsWith('.pbf')).length };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const byRange = new Map();
  const seen = new Set();
  for (const file of fontFiles) {
    const buf = fs.readFileSync(file);
    const font = opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    // FreeType rounds the scaled ascender up to a whole pixel
    const ascender = Math.ceil((font.tables.hhea.ascender * SIZE) / font.unitsPerEm);
    const map = font.tables.cmap.glyphIndexMap;
    for (const key of Object.keys(map)) {
      const cp = Number(key);
      if (seen.has(cp) || cp > 0xffff) continue;
      seen.add(cp);
      const g = renderGlyph(font, font.glyphs.get(map[key]), ascender, cp);
      const r = Math.floor(cp / 256);
      if (!byRange.has(r)) byRange.set(r, []);
      byRange.get(r).push(g);
    }
  }
  for (const [r, glyphs] of byRange) {
    glyphs.sort((a, b) => a.id - b.id);
    const range = `${r * 256}-${r * 256 + 255}`;
    fs.writeFileSync(path.join(dir, `${range}.pbf`), encodeRange(stack, range, glyphs));
  }
  fs.writeFileSync(stampFile, stamp);
  return { cached: false, ranges: byRange.size, glyphs: seen.size };
}
