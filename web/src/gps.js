// Positions from the phone's GPS: how good they are, and a warning before
// one worse than ACCURACY_LIMIT_M is sent (a report, a patrol check-in), so
// that a case is not placed in the wrong grid by a fix taken indoors or in
// a valley. Browsers give WGS84 (W3C Geolocation), which riskmap stores as
// is.
import { h, modal } from './ui.js';

export const ACCURACY_LIMIT_M = 50;

// accuracyNote shows a fix's accuracy, marked when it is poor.
export function accuracyNote(metres) {
  const m = Math.round(metres);
  const poor = metres > ACCURACY_LIMIT_M;
  return h('span', { class: poor ? 'gps-accuracy poor' : 'gps-accuracy', 'data-testid': 'gps-accuracy', 'data-accuracy': m },
    `GPS 精度约 ${m} 米${poor ? `（低于 ${ACCURACY_LIMIT_M} 米的要求，位置可能偏差较大）` : ''}`);
}

// confirmAccuracy asks before a poor fix is used; true to go on. A position
// picked on the map (metres null) needs no asking.
export async function confirmAccuracy(metres) {
  if (metres === null || metres === undefined || metres <= ACCURACY_LIMIT_M) return true;
  const v = await modal('GPS 精度不足', (form) => form.append(
    h('p', { 'data-testid': 'gps-warning' }, `当前位置的精度约 ${Math.round(metres)} 米，超过 ${ACCURACY_LIMIT_M} 米，隐患可能被定位到错误的网格。`),
    h('p', { class: 'muted' }, '建议到开阔处重新定位，或在地图上点选准确位置。')), { submitText: '仍然使用此位置' });
  return v !== null;
}

// currentPosition asks the GPS for a fresh fix (never one cached from
// before: the worker asks again after stepping into the open): {lon, lat,
// accuracy in metres}.
export function currentPosition({ timeout = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error('此设备不支持定位')); return; }
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy }),
      (err) => reject(new Error(err.code === 1 ? '未允许定位' : err.code === 3 ? '定位超时' : '无法取得位置')),
      { enableHighAccuracy: true, timeout, maximumAge: 0 });
  });
}
