// The map's point symbols: one shape per layer, so that no two layers look
// alike even where their colours are near (a teal case and a teal rescue
// team, a purple report and a purple hazard source): risk points are
// circles (the server's style), hazard sources squares, stations
// triangles, depots houses, cases diamonds. Icons are drawn here on a
// canvas and handed to MapLibre by name ("rm:shape:#RRGGBB") when the map
// first asks for one; the legend shows the same drawings.

const SIZE = 22; // CSS pixels
const RATIO = 2; // drawn at twice the size, sharp on phones

function path(ctx, shape, s) {
  const c = s / 2;
  const r = s / 2 - 3 * RATIO;
  ctx.beginPath();
  switch (shape) {
    case 'square':
      ctx.rect(c - r * 0.8, c - r * 0.8, r * 1.6, r * 1.6);
      break;
    case 'triangle':
      ctx.moveTo(c, c - r);
      ctx.lineTo(c + r * 0.95, c + r * 0.7);
      ctx.lineTo(c - r * 0.95, c + r * 0.7);
      ctx.closePath();
      break;
    case 'house':
      ctx.moveTo(c, c - r);
      ctx.lineTo(c + r * 0.9, c - r * 0.15);
      ctx.lineTo(c + r * 0.9, c + r * 0.85);
      ctx.lineTo(c - r * 0.9, c + r * 0.85);
      ctx.lineTo(c - r * 0.9, c - r * 0.15);
      ctx.closePath();
      break;
    case 'diamond':
      ctx.moveTo(c, c - r);
      ctx.lineTo(c + r, c);
      ctx.lineTo(c, c + r);
      ctx.lineTo(c - r, c);
      ctx.closePath();
      break;
    default: // circle
      ctx.arc(c, c, r * 0.85, 0, 2 * Math.PI);
  }
}

// outline: dark for hazard sources (as the server's style has them), white
// for the rest
const OUTLINE = { square: '#212121' };

function draw(shape, colour) {
  const s = SIZE * RATIO;
  const canvas = document.createElement('canvas');
  canvas.width = s;
  canvas.height = s;
  const ctx = canvas.getContext('2d');
  path(ctx, shape, s);
  ctx.fillStyle = colour;
  ctx.fill();
  ctx.lineWidth = 2 * RATIO;
  ctx.strokeStyle = OUTLINE[shape] || '#FFFFFF';
  ctx.stroke();
  return canvas;
}

export function iconName(shape, colour) { return `rm:${shape}:${colour}`; }

// iconImage answers MapLibre's styleimagemissing for the icons named here.
export function iconImage(name) {
  const m = /^rm:(\w+):(#[0-9A-Fa-f]{6})$/.exec(name);
  if (!m) return null;
  const canvas = draw(m[1], m[2]);
  return { image: canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height), pixelRatio: RATIO };
}

// iconURL is the same drawing for the legend.
export function iconURL(shape, colour) { return draw(shape, colour).toDataURL(); }

// hatch is the fill pattern of uncovered grids in the coverage overlay:
// diagonal lines, unlike the plain tint of grids with open cases.
export const HATCH = 'rm-hatch';
export const HATCH_COLOUR = '#6A1B9A';
export function hatchImage() {
  const s = 8 * RATIO;
  const canvas = document.createElement('canvas');
  canvas.width = s;
  canvas.height = s;
  const ctx = canvas.getContext('2d');
  ctx.strokeStyle = HATCH_COLOUR;
  ctx.globalAlpha = 0.7;
  ctx.lineWidth = 1.5 * RATIO;
  ctx.beginPath();
  ctx.moveTo(0, s);
  ctx.lineTo(s, 0);
  ctx.moveTo(-s / 2, s / 2);
  ctx.lineTo(s / 2, -s / 2);
  ctx.moveTo(s / 2, s * 1.5);
  ctx.lineTo(s * 1.5, s / 2);
  ctx.stroke();
  return { image: ctx.getImageData(0, 0, s, s), pixelRatio: RATIO };
}
