// Report a hidden hazard: at the phone's position or a tapped point, with
// photos. The report goes into the offline queue first and is sent from
// there, so it survives a lost signal.
import { api } from '../api.js';
import { h, field, select, toast, errorText } from '../ui.js';
import { GRADES, CATEGORIES } from '../labels.js';
import { queue } from '../queue.js';
import { pickPoint, showMarker } from '../map.js';

export function reportView(ctx, { riskPoint } = {}) {
  const { map } = ctx;
  let point = null;
  const where = h('p', { class: 'where muted', 'data-testid': 'report-where' }, '尚未选择位置');
  const setPoint = async (lng, lat, how) => {
    point = [Number(lng.toFixed(7)), Number(lat.toFixed(7))];
    showMarker(map, point);
    where.textContent = `${how}：${point[0].toFixed(6)}, ${point[1].toFixed(6)}（WGS84）`;
    if (!navigator.onLine) { where.append(' · 离线，网格将在发送时确定'); return; }
    try {
      const loc = await api.get(`/api/v1/locate?lon=${point[0]}&lat=${point[1]}`);
      where.append(h('br'), `${loc.county.name} ${loc.township.name} · 网格 ${loc.grid.code}${loc.grid.worker ? `（网格员 ${loc.grid.worker}）` : ''}`);
    } catch (e) {
      where.append(h('br'), h('span', { class: 'form-error' }, errorText(e)));
    }
  };
  if (riskPoint) {
    const [lng, lat] = riskPoint.geometry.coordinates;
    setPoint(lng, lat, `风险点「${riskPoint.properties.name}」`);
  }
  const gps = () => {
    if (!navigator.geolocation) { toast('此设备不支持定位，请在地图上点选', 'error'); return; }
    where.textContent = '正在定位…';
    // Browsers report WGS84 (W3C Geolocation), which the server stores as is;
    // no GCJ-02 conversion is needed (that is for AMap/WeChat coordinates).
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setPoint(pos.coords.longitude, pos.coords.latitude, `当前位置（精度约 ${Math.round(pos.coords.accuracy)} 米）`);
        map.flyTo({ center: point, zoom: Math.max(map.getZoom(), 15) });
      },
      (err) => { where.textContent = `定位失败：${err.message}，请在地图上点选`; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  };
  const tap = async () => {
    ctx.showMap();
    const ll = await pickPoint(map, '请点选隐患位置');
    ctx.showPanel();
    if (ll) setPoint(ll.lng, ll.lat, '地图点选');
  };
  const photos = h('input', { type: 'file', name: 'photos', accept: 'image/*', capture: 'environment', multiple: true });
  const form = h('form', { class: 'report-form', 'data-testid': 'report-form' },
    h('div', { class: 'where-buttons' },
      h('button', { type: 'button', class: 'primary', 'data-testid': 'use-gps', onclick: gps }, '使用当前位置'),
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'pick-on-map', onclick: tap }, '在地图上点选')),
    where,
    field('隐患等级', select('grade', GRADES, 'general')),
    field('类别', select('category', CATEGORIES, riskPoint ? riskPoint.properties.category : 'flood')),
    field('隐患描述', h('textarea', { name: 'description', rows: 3, required: true, maxlength: 2000, placeholder: '例如：排水沟堵塞，雨天易内涝' })),
    field('现场照片（可多张）', photos, '没有信号时照片会保存在手机上，恢复网络后随上报一起发送'),
    h('button', { type: 'submit', class: 'primary wide' }, '上报隐患'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!point) { toast('请先确定隐患位置', 'error'); return; }
    const fd = new FormData(form);
    const feature = {
      type: 'Feature',
      id: crypto.randomUUID(),
      geometry: { type: 'Point', coordinates: point },
      properties: {
        grade: fd.get('grade'),
        category: fd.get('category'),
        description: String(fd.get('description')).trim(),
        device_time: new Date().toISOString(),
      },
    };
    if (riskPoint) feature.properties.risk_point_id = Number(riskPoint.id);
    const files = [...photos.files];
    try {
      await queue.add(feature, files);
    } catch (ex) {
      toast(`无法保存上报：${ex.message}`, 'error');
      return;
    }
    form.reset();
    showMarker(map, null);
    point = null;
    where.textContent = '尚未选择位置';
    if (!navigator.onLine) {
      toast('当前离线：上报已保存，恢复网络后自动发送', 'info');
    } else {
      const sent = await queue.flush();
      if (sent.includes(feature.id)) toast('上报成功', 'ok');
      else toast('上报已保存，稍后自动重发', 'info');
    }
    ctx.go('tasks');
  });
  return h('section', { class: 'view report' }, h('h2', {}, '上报隐患'), form);
}
