// Report a hidden hazard (上报, for a grid worker) or enter one phoned in
// by a resident (新建隐患, for an office): at the phone's position, a point
// picked on the map, or a risk point or hazard source chosen by name; with
// photos. The report goes into the offline queue first and is sent from
// there, so it survives a lost signal.
import { api } from '../api.js';
import { h, clear, field, select, toast, errorText, photoPicker } from '../ui.js';
import { GRADES, CATEGORIES, LAYERS } from '../labels.js';
import { queue } from '../queue.js';
import { cases } from '../store.js';
import { pickPoint, showMarker } from '../map.js';
import { searchBox } from '../search.js';
import { accuracyNote, confirmAccuracy, currentPosition } from '../gps.js';

// the risk point category a hazard source's report falls under
const HAZARD_CATEGORY = { hazardous_chemicals: 'fire', fireworks: 'fire', gas: 'fire', non_coal_mine: 'geological', industrial_trade: 'other', other: 'other' };

export function reportView(ctx, { riskPoint, hazardSource } = {}) {
  const { map, user } = ctx;
  const office = user.role !== 'worker';
  const title = office ? '新建隐患' : '上报隐患';
  let point = null;
  let ref = null; // { layer, id, name }
  let accuracy = null; // metres, when the position came from the GPS
  const where = h('div', { class: 'where', 'data-testid': 'report-where' }, h('span', { class: 'muted' }, '尚未选择位置'));
  const category = select('category', { '': '请选择类别', ...CATEGORIES }, '', { required: true });

  // describe: where the point lies, by name (the coordinates stay in data-*)
  const describe = async (how) => {
    const [lon, lat] = point;
    where.dataset.lon = String(lon);
    where.dataset.lat = String(lat);
    // the GPS accuracy stays in view whatever else is said of the place
    const head = () => [h('strong', {}, how), accuracy !== null ? h('div', {}, accuracyNote(accuracy)) : null];
    clear(where, head(), h('span', { class: 'muted' }, ' · 正在确定所在网格…'));
    if (!navigator.onLine) { clear(where, head(), h('span', { class: 'muted' }, ' · 离线，所在网格将在发送时确定')); return; }
    try {
      const loc = await api.get(`/api/v1/locate?lon=${lon}&lat=${lat}`);
      if (!point || point[0] !== lon || point[1] !== lat) return; // moved meanwhile
      where.dataset.grid = loc.grid.code;
      clear(where, head(), h('div', {}, `${loc.county.name} ${loc.township.name} · ${loc.grid.name}`),
        h('div', { class: 'muted' }, loc.grid.worker ? `网格员：${loc.grid.worker}` : '本网格暂无网格员'));
    } catch (e) {
      clear(where, head(), h('div', { class: 'form-error' }, errorText(e)));
    }
  };
  const setPoint = (lng, lat, how, acc = null) => {
    point = [Number(lng.toFixed(7)), Number(lat.toFixed(7))];
    accuracy = acc;
    showMarker(map, point);
    describe(how);
  };
  const setRef = (layer, f) => {
    ref = { layer, id: Number(f.id), name: f.properties ? f.properties.name : f.name };
    const [lng, lat] = f.geometry ? f.geometry.coordinates : f.center;
    setPoint(lng, lat, `${LAYERS[layer]}「${ref.name}」`);
    const cat = f.properties ? f.properties.category : null;
    if (layer === 'risk_points' && cat && CATEGORIES[cat]) category.value = cat;
    if (layer === 'hazard_sources' && cat && !category.value) category.value = HAZARD_CATEGORY[cat] || 'other';
    map.flyTo({ center: [lng, lat], zoom: Math.max(map.getZoom(), 15) });
  };
  if (riskPoint) setRef('risk_points', riskPoint);
  if (hazardSource) setRef('hazard_sources', hazardSource);

  const gps = async () => {
    if (!navigator.geolocation) { toast('此设备不支持定位，请在地图上点选', 'error'); return; }
    clear(where, h('span', { class: 'muted' }, '正在定位…'));
    // Browsers report WGS84 (W3C Geolocation), which the server stores as is;
    // no GCJ-02 conversion is needed (that is for AMap/WeChat coordinates).
    try {
      const pos = await currentPosition();
      ref = null;
      setPoint(pos.lon, pos.lat, '当前位置', pos.accuracy);
      map.flyTo({ center: point, zoom: Math.max(map.getZoom(), 15) });
    } catch (err) {
      clear(where, h('span', { class: 'form-error' }, `定位失败（${err.message}），请在地图上点选`));
    }
  };
  const tap = async () => {
    // on a phone the form covers the map: out of the way while picking
    const phone = window.matchMedia('(max-width: 760px)').matches;
    if (phone) ctx.showMap();
    const ll = await pickPoint(map, '请点选隐患位置');
    if (phone) ctx.showPanel();
    if (ll) { ref = null; setPoint(ll.lng, ll.lat, '地图点选'); }
  };
  const chooser = searchBox({
    placeholder: '输入风险点或危险源名称、地址、信用代码', layers: ['risk_points', 'hazard_sources'], testid: 'ref-search', label: '关联风险点或危险源',
    onPick: async (r) => {
      try {
        setRef(r.layer, await api.get(`/api/v1/${r.layer}/${r.id}`));
      } catch {
        setRef(r.layer, r);
      }
    },
  });

  // photos: thumbnails of what was chosen, each removable
  const photos = photoPicker({ capture: office ? undefined : 'environment' });
  const form = h('form', { class: 'report-form', 'data-testid': 'report-form', novalidate: true },
    h('fieldset', { class: 'where-set' }, h('legend', {}, '隐患位置'),
      h('div', { class: 'where-buttons' },
        h('button', { type: 'button', class: office ? 'secondary' : 'primary', 'data-testid': 'use-gps', onclick: gps }, '使用当前位置'),
        h('button', { type: 'button', class: office ? 'primary' : 'secondary', 'data-testid': 'pick-on-map', onclick: tap }, '在地图上点选')),
      field('或选择风险点、危险源', chooser),
      where),
    field('隐患等级', select('grade', GRADES, 'general')),
    field('类别', category),
    field('隐患描述', h('textarea', { name: 'description', rows: 3, required: true, maxlength: 2000,
      placeholder: office ? '例如：群众来电反映，××路段排水沟堵塞，雨天易内涝（来电人、电话）' : '例如：排水沟堵塞，雨天易内涝' })),
    field('现场照片（可多张）', photos.input, office ? '可上传群众发来的照片' : '没有信号时照片会保存在手机上，恢复网络后随上报一起发送'),
    photos.thumbs,
    h('p', { class: 'form-error', role: 'alert', 'data-testid': 'report-error' }),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary wide' }, office ? '新建隐患' : '上报隐患'),
      h('button', { type: 'button', class: 'secondary', onclick: () => { showMarker(map, null); ctx.home(); } }, '取消')));
  const err = form.querySelector('[data-testid=report-error]');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fd = new FormData(form);
    const description = String(fd.get('description') || '').trim();
    const problems = [];
    if (!point) problems.push('请先确定隐患位置（当前位置、地图点选或选择风险点）');
    if (!fd.get('category')) problems.push('请选择隐患类别');
    if (!description) problems.push('请填写隐患描述');
    err.textContent = problems.join('；');
    if (problems.length) return;
    if (!(await confirmAccuracy(accuracy))) return;
    const feature = {
      type: 'Feature',
      id: crypto.randomUUID(),
      geometry: { type: 'Point', coordinates: point },
      properties: { grade: fd.get('grade'), category: fd.get('category'), description, device_time: new Date().toISOString() },
    };
    if (ref && ref.layer === 'risk_points') feature.properties.risk_point_id = ref.id;
    if (ref && ref.layer === 'hazard_sources') feature.properties.hazard_source_id = ref.id;
    try {
      await queue.addReport(feature, photos.files());
    } catch (ex) {
      err.textContent = `无法保存：${errorText(ex)}`;
      return;
    }
    showMarker(map, null);
    accuracy = null;
    if (!navigator.onLine) {
      toast('当前离线：已保存在本机，恢复网络后自动发送', 'info');
    } else {
      const sent = await queue.flush();
      if (sent.includes(feature.id)) {
        const doc = await cases.refresh(feature.id).catch(() => null);
        const number = doc && doc.properties.number ? ` ${doc.properties.number}` : '';
        toast(office ? `已新建隐患${number}` : `上报成功${number}`, 'ok');
      } else {
        const rec = (await queue.all()).find((r) => r.id === feature.id);
        if (rec && rec.error && rec.error.kind === 'refused' && !rec.caseSent) {
          // refused: say why here, with the form as it was, to fix and send again
          await queue.remove(feature.id);
          err.textContent = `未能${office ? '新建' : '上报'}：${rec.error.text || rec.error.message}`;
          return;
        }
        toast('已保存在本机，稍后自动重发', 'info');
      }
    }
    ctx.home();
  });
  return h('section', { class: 'view report', 'data-testid': 'report-view' }, h('h2', {}, title), form);
}
