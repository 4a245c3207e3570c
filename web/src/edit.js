// Keeping the map current in the app (docs/editing.md): the offices add,
// move and delete the points of their layers and edit their attributes;
// admin and city (and townships, for their grids) redraw grids and areas,
// a shared edge of two grids moving in both and saved in one batch
// (PATCH /api/v1/{layer}). Drawing is Terra Draw's (terra-draw with its
// MapLibre adapter): point mode to add, select mode to drag a point or a
// vertex, with snapping to the vertices of the neighbouring shapes.
//
// Every write carries the version read (If-Match, or properties.version in
// a batch). A 412 shows both versions side by side and lets the user keep
// theirs or take the other: nothing is overwritten silently.
import { TerraDraw, TerraDrawPointMode, TerraDrawPolygonMode, TerraDrawSelectMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import { api, request } from './api.js';
import { h, toast, errorText } from './ui.js';
import { hasChinese } from './messages.js';
import { LAYERS, PROPS, propValue, CATEGORIES, HAZARD_CATEGORIES, RISK_LEVELS, HAZARD_LEVELS, STATION_KINDS, AREA_LEVELS } from './labels.js';
import { reloadTiles, bboxOf } from './map.js';

// ---- what the user may edit: GET /api/v1/layers ----

let schemaPromise = null;
export function layerSchema() {
  if (!schemaPromise) {
    schemaPromise = api.get('/api/v1/layers').then((r) => Object.fromEntries(r.layers.map((l) => [l.name, l])))
      .catch((e) => { schemaPromise = null; throw e; });
  }
  return schemaPromise;
}

// polygons are redrawn by admin and city (areas: only they may), and by the
// townships for their own grids
const canReshape = (user, layer) => layer === 'grids' || ['admin', 'city'].includes(user.role);

// ---- one edit at a time ----

let active = null; // { map, draw, bar, done(saved) }
export const isEditing = () => active !== null;

function startSession(map, hint, { onSave, onCancel, saveText = '保存' }) {
  if (active) active.cancel();
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map, coordinatePrecision: 9 }),
    modes: [
      new TerraDrawPointMode({ styles: { pointColor: '#D81B60', pointWidth: 8, pointOutlineColor: '#FFFFFF', pointOutlineWidth: 2 } }),
      new TerraDrawPolygonMode(),
      new TerraDrawSelectMode({
        allowManualDeselection: false,
        keyEvents: { deselect: null, delete: null, rotate: null, scale: null },
        flags: {
          point: { feature: { draggable: true } },
          polygon: { feature: { draggable: false, coordinates: { draggable: true, midpoints: true, deletable: true, snappable: { toCustom: (e, c) => snapTo(e, c) } } } },
        },
        styles: {
          selectedPointColor: '#D81B60', selectedPointWidth: 9, selectedPointOutlineColor: '#FFFFFF', selectedPointOutlineWidth: 2,
          selectedPolygonColor: '#1565C0', selectedPolygonFillOpacity: 0.15, selectedPolygonOutlineColor: '#0D47A1', selectedPolygonOutlineWidth: 3,
          selectionPointColor: '#FFFFFF', selectionPointOutlineColor: '#0D47A1', selectionPointWidth: 5, selectionPointOutlineWidth: 2,
          midPointColor: '#90CAF9', midPointOutlineColor: '#0D47A1', midPointWidth: 3,
        },
      }),
    ],
  });
  draw.start();
  const status = h('span', { class: 'edit-status' });
  const save = h('button', { type: 'button', class: 'primary', 'data-testid': 'edit-save', disabled: !onSave }, saveText);
  const bar = h('div', { class: 'edit-bar', 'data-testid': 'edit-bar', role: 'toolbar' },
    h('span', { class: 'edit-hint' }, hint), status,
    onSave ? save : null,
    h('button', { type: 'button', class: 'secondary', 'data-testid': 'edit-cancel', onclick: () => session.cancel() }, '取消'));
  map.getContainer().append(bar);
  let snapper = null;
  const snapTo = (e, c) => (snapper ? snapper(e, c) : undefined);
  const session = {
    map, draw, bar,
    setHint: (t) => { bar.querySelector('.edit-hint').textContent = t; },
    setStatus: (t) => { status.textContent = t || ''; },
    setSnapper: (fn) => { snapper = fn; },
    end() {
      if (active !== session) return;
      active = null;
      try { draw.stop(); } catch (e) { console.warn('terra draw', e); }
      bar.remove();
      map.getCanvas().style.cursor = '';
    },
    cancel() { session.end(); if (onCancel) onCancel(); },
  };
  if (onSave) {
    save.addEventListener('click', async () => {
      save.disabled = true;
      try { await onSave(session); } finally { save.disabled = false; }
    });
  }
  active = session;
  return session;
}

// ---- attribute forms ----

const ENUM_LABELS = { category: { ...CATEGORIES, ...HAZARD_CATEGORIES }, kind: STATION_KINDS, level: AREA_LEVELS, status: { active: '在用', retired: '已撤销' } };
const INT_LABELS = { risk_level: RISK_LEVELS, major_hazard_level: HAZARD_LEVELS };

function optionLabel(name, v, layer) {
  if (name === 'category' && layer === 'risk_points') return CATEGORIES[v] || v;
  if (name === 'category' && layer === 'hazard_sources') return HAZARD_CATEGORIES[v] || v;
  return (INT_LABELS[name] && INT_LABELS[name][v]) || (ENUM_LABELS[name] && ENUM_LABELS[name][v]) || v;
}

// control makes the input of one field of the server's schema, holding v.
function control(spec, v, layer) {
  const name = spec.name;
  const opt = (value, label, on) => h('option', { value, selected: on }, label);
  switch (spec.type) {
    case 'enum':
    case 'int_enum': {
      const values = spec.type === 'enum' ? spec.values : spec.ints.map(String);
      return h('select', { name, required: spec.required },
        !spec.required || v === null || v === undefined ? opt('', spec.required ? '请选择' : '（未填）', v === null || v === undefined) : null,
        values.map((x) => opt(x, optionLabel(name, x, layer), String(v) === x)));
    }
    case 'boolean':
      return h('select', { name, required: spec.required }, opt('', '（未填）', v === null || v === undefined),
        opt('true', '是', v === true), opt('false', '否', v === false));
    case 'integer':
    case 'number':
      return h('input', { name, type: 'number', step: spec.type === 'integer' ? '1' : 'any', value: v ?? '', required: spec.required, inputmode: 'decimal' });
    case 'date':
      return h('input', { name, type: 'date', value: v ? String(v).slice(0, 10) : '', required: spec.required });
    default:
      return h('input', { name, value: v ?? '', required: spec.required, autocomplete: 'off' });
  }
}

// readControl turns an input's text into the JSON value the server takes
// (null for an emptied field).
function readControl(spec, el) {
  const s = el.value.trim();
  if (s === '') return null;
  switch (spec.type) {
    case 'int_enum': return Number(s);
    case 'integer':
    case 'number': return Number.isFinite(Number(s)) ? Number(s) : s;
    case 'boolean': return s === 'true';
    default: return s;
  }
}

// fieldMessage: the server's reason for a field in Chinese (the server's
// own words when it sent Chinese; else what the schema says it wants).
function fieldMessage(d, spec) {
  if (hasChinese(d.message)) return d.message;
  if (/required/.test(d.message)) return '必填';
  if (!spec) return '填写有误';
  switch (spec.type) {
    case 'enum': case 'int_enum': return '请从列表中选择';
    case 'integer': return spec.min !== undefined ? `请填写 ${spec.min} 到 ${spec.max} 之间的整数` : '请填写整数';
    case 'number': return spec.min !== undefined ? `请填写 ${spec.min} 到 ${spec.max} 之间的数` : '请填写数字';
    case 'date': return '请填写有效日期（年-月-日）';
    case 'code12': return '应为 12 位数字的区划代码';
    case 'code15': return '应为 15 位数字的网格编码';
    default:
      if (/phone/.test(spec.name)) return '电话号码格式不正确（5–20 位数字，可含 + - 括号和空格）';
      if (spec.name === 'credit_code') return '统一社会信用代码不正确（18 位，校验位按 GB 32100）';
      return spec.max_length ? `不超过 ${spec.max_length} 个字符，或格式不正确` : '填写有误';
  }
}

// showFieldErrors puts each detail of a refused write next to its field;
// what belongs to no field goes to the form's own line. It says whether
// any detail found its field.
export function showFieldErrors(form, err, specs) {
  for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
  let placed = false;
  for (const d of err.details || []) {
    const name = String(d.field || '').replace(/^properties\./, '');
    const el = form.querySelector(`.field-error[data-for="${CSS.escape(name)}"]`);
    if (!el) continue;
    el.textContent = fieldMessage(d, specs.find((s) => s.name === name));
    placed = true;
  }
  return placed;
}

// attributeForm asks for the properties of a feature of layer (current
// holds what it has); resolves with the changed properties, or null.
// submit(props) is called while the dialog is open: a refusal keeps it
// open with the server's reasons next to their fields.
function attributeForm(title, layer, spec, current, submit) {
  return new Promise((resolve) => {
    const specs = spec.fields;
    const controls = {};
    const form = h('form', { class: 'modal-form attr-form', novalidate: true, 'data-testid': 'attr-form', 'data-layer': layer });
    for (const s of specs) {
      const c = control(s, current[s.name], layer);
      controls[s.name] = c;
      form.append(h('div', { class: 'field' }, h('label', {},
        h('span', { class: 'field-label' }, `${PROPS[s.name] || s.name}${s.required ? ' *' : ''}`), c),
      h('span', { class: 'field-error form-error', 'data-for': s.name, role: 'alert' })));
    }
    const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'attr-error' });
    const close = (v) => { overlay.remove(); document.removeEventListener('keydown', onKey, true); resolve(v); };
    const onKey = (e) => { if (e.key === 'Escape') { e.stopPropagation(); close(null); } };
    const ok = h('button', { type: 'submit', class: 'primary' }, '保存');
    form.append(general, h('div', { class: 'modal-buttons' },
      h('button', { type: 'button', class: 'secondary', onclick: () => close(null) }, '取消'), ok));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      general.textContent = '';
      for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
      const changed = {};
      const missing = [];
      for (const s of specs) {
        const v = readControl(s, controls[s.name]);
        if (s.required && v === null) missing.push(s.name);
        const was = current[s.name] === undefined ? null : current[s.name];
        if (v !== was && String(v) !== String(was)) changed[s.name] = v;
      }
      for (const n of missing) form.querySelector(`.field-error[data-for="${n}"]`).textContent = '必填';
      if (missing.length) { controls[missing[0]].focus(); return; }
      ok.disabled = true;
      try {
        const done = await submit(changed);
        if (done !== false) close(changed);
      } catch (ex) {
        const placed = showFieldErrors(form, ex, specs);
        general.textContent = placed ? '请按提示修改后再保存。' : errorText(ex);
      } finally {
        ok.disabled = false;
      }
    });
    const overlay = h('div', { class: 'modal-overlay' },
      h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': title }, h('h3', {}, title), form));
    document.body.append(overlay);
    document.addEventListener('keydown', onKey, true);
    const first = form.querySelector('input, select');
    if (first) first.focus();
  });
}

// ---- conflicts (412) ----

const sameValue = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const showValue = (k, v) => (k === 'geometry' ? (v ? '（见地图）' : '—') : propValue(k, v));

// conflictDialog shows what the user read, what they want and what stands
// now, for every field either side changed; resolves 'mine' or 'theirs'.
// The stored version is drawn on the map beside the user's.
export function conflictDialog(map, layer, base, mine, theirs) {
  return new Promise((resolve) => {
    const keys = new Set([...Object.keys(mine.properties || {})]);
    for (const k of Object.keys(theirs.properties || {})) {
      if (['version', 'updated_at', 'created_at'].includes(k)) continue;
      if (!sameValue(theirs.properties[k], (base.properties || {})[k])) keys.add(k);
    }
    const rows = [...keys].filter((k) => k in PROPS || k === 'geometry').map((k) => {
      const b = (base.properties || {})[k];
      const m = k in (mine.properties || {}) ? mine.properties[k] : b;
      const t = theirs.properties[k];
      const clash = !sameValue(m, t);
      return h('tr', { class: clash ? 'warn' : '', 'data-field': k },
        h('th', {}, PROPS[k] || k), h('td', {}, showValue(k, b)), h('td', { 'data-side': 'mine' }, showValue(k, m)), h('td', { 'data-side': 'theirs' }, showValue(k, t)));
    });
    const moved = mine.geometry && theirs.geometry && !sameValue(mine.geometry, base.geometry);
    const theyMoved = theirs.geometry && base.geometry && !sameValue(theirs.geometry, base.geometry);
    if (moved || theyMoved) {
      rows.push(h('tr', { class: moved && theyMoved ? 'warn' : '', 'data-field': 'geometry' }, h('th', {}, '位置/形状'), h('td', {}, '原位置'),
        h('td', { 'data-side': 'mine' }, moved ? '已移动（蓝色）' : '未改'), h('td', { 'data-side': 'theirs' }, theyMoved ? '已移动（橙色）' : '未改')));
      showVersions(map, moved ? mine.geometry : null, theyMoved ? theirs.geometry : null);
    }
    const who = theirs.properties.updated_by_name || '他人';
    const close = (v) => { overlay.remove(); showVersions(map, null, null); resolve(v); };
    const overlay = h('div', { class: 'modal-overlay' },
      h('div', { class: 'modal wide', role: 'dialog', 'aria-modal': 'true', 'aria-label': '修改冲突', 'data-testid': 'conflict' },
        h('h3', {}, '修改冲突：数据已被他人修改'),
        h('p', {}, `您编辑期间，此${LAYERS[layer] || '要素'}已被${who}修改（现为第 ${theirs.properties.version} 版，您读取的是第 ${base.properties.version} 版）。请选择保留哪一方的内容：`),
        h('div', { class: 'table-wrap' }, h('table', { class: 'table conflict-table' },
          h('thead', {}, h('tr', {}, h('th', {}, '字段'), h('th', {}, '您读取时'), h('th', {}, '您的修改'), h('th', {}, '他人的版本'))),
          h('tbody', {}, rows))),
        h('p', { class: 'muted' }, '“保留我的修改”只改写您修改过的字段，他人改动的其余字段保持不变。'),
        h('div', { class: 'modal-buttons' },
          h('button', { type: 'button', class: 'secondary', 'data-testid': 'conflict-theirs', onclick: () => close('theirs') }, '采用他人的版本'),
          h('button', { type: 'button', class: 'primary', 'data-testid': 'conflict-mine', onclick: () => close('mine') }, '保留我的修改'))));
    document.body.append(overlay);
  });
}

const VERSIONS = 'edit-versions';
// showVersions draws the user's (blue) and the stored (orange) geometry
// while a conflict is open.
function showVersions(map, mine, theirs) {
  const features = [];
  if (mine) features.push({ type: 'Feature', geometry: mine, properties: { side: 'mine' } });
  if (theirs) features.push({ type: 'Feature', geometry: theirs, properties: { side: 'theirs' } });
  const data = { type: 'FeatureCollection', features };
  if (map.getSource(VERSIONS)) { map.getSource(VERSIONS).setData(data); return; }
  if (!features.length) return;
  map.addSource(VERSIONS, { type: 'geojson', data });
  const colour = ['match', ['get', 'side'], 'mine', '#1565C0', '#EF6C00'];
  map.addLayer({ id: 'edit-versions-line', type: 'line', source: VERSIONS, filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': colour, 'line-width': 3 } });
  map.addLayer({ id: 'edit-versions-point', type: 'circle', source: VERSIONS, filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 9, 'circle-color': colour, 'circle-stroke-color': '#FFFFFF', 'circle-stroke-width': 2 } });
}

// ---- writes ----

const url = (layer, id) => `/api/v1/${layer}/${id}`;

// readFeature reads a feature as it stands (its version is in properties).
const readFeature = (layer, id) => api.get(url(layer, id));

// patchWithConflicts PATCHes change (a partial Feature: properties and/or
// geometry) onto base; on a 412 it shows both versions and, if the user
// keeps theirs, sends it again over the version that stands. Resolves with
// the stored feature, or null when the user took the other version.
export async function patchWithConflicts(map, layer, base, change) {
  let read = base;
  for (;;) {
    try {
      return await request('PATCH', url(layer, base.id), { body: { type: 'Feature', ...change }, headers: { 'If-Match': `"${read.properties.version}"` } });
    } catch (e) {
      if (e.status !== 412) throw e;
      const theirs = await readFeature(layer, base.id);
      const choice = await conflictDialog(map, layer, read === base ? base : read, { properties: change.properties || {}, geometry: change.geometry }, theirs);
      if (choice === 'theirs') return null;
      read = theirs; // keep mine: over the version that stands now
    }
  }
}

function afterWrite(ctx) {
  reloadTiles(ctx.map);
}

// ---- the entry points: details buttons and the map's 新增 tool ----

// editActions are the buttons of a feature's details panel: 编辑属性,
// 移动位置 or 修改边界, 删除, for those who may change the layer.
export async function editActions(ctx, layer, f) {
  let spec;
  try { spec = (await layerSchema())[layer]; } catch { return null; }
  if (!spec || !spec.writable || f.id === undefined || f.id === null) return null;
  const point = spec.geometry === 'Point';
  if (!point && !canReshape(ctx.user, layer)) return null;
  return h('div', { class: 'edit-actions', 'data-testid': 'edit-actions' },
    h('button', { type: 'button', class: 'secondary', 'data-edit': 'attributes', onclick: () => editAttributes(ctx, layer, f.id) }, '编辑属性'),
    point
      ? h('button', { type: 'button', class: 'secondary', 'data-edit': 'move', onclick: () => movePoint(ctx, layer, f.id) }, '移动位置')
      : h('button', { type: 'button', class: 'secondary', 'data-edit': 'reshape', onclick: () => reshape(ctx, layer, f.id) }, '修改边界'),
    point ? h('button', { type: 'button', class: 'danger', 'data-edit': 'delete', onclick: () => deleteFeature(ctx, layer, f.id) }, '删除') : null);
}

export async function editAttributes(ctx, layer, id) {
  const spec = (await layerSchema())[layer];
  let base;
  try { base = await readFeature(layer, id); } catch (e) { toast(`读取失败：${errorText(e)}`, 'error'); return; }
  const title = `编辑${LAYERS[layer]}：${base.properties.name || base.properties.code || id}`;
  let saved = null;
  let wrote = false;
  await attributeForm(title, layer, spec, base.properties, async (props) => {
    if (!Object.keys(props).length) return true;
    saved = await patchWithConflicts(ctx.map, layer, base, { properties: props });
    wrote = true;
    return true;
  });
  if (!wrote) return;
  afterWrite(ctx);
  if (saved) toast(`已保存（第 ${saved.properties.version} 版）`, 'ok');
  else toast('已采用他人的版本，您的修改未保存', 'info');
  if (ctx.openFeature) ctx.openFeature(layer, id);
}

export async function movePoint(ctx, layer, id) {
  let base;
  try { base = await readFeature(layer, id); } catch (e) { toast(`读取失败：${errorText(e)}`, 'error'); return; }
  const { map } = ctx;
  const phone = window.matchMedia('(max-width: 760px)').matches;
  ctx.closeSheet();
  if (phone) ctx.showMap();
  map.easeTo({ center: base.geometry.coordinates, zoom: Math.max(map.getZoom(), 16), duration: 0 });
  const s = startSession(map, `拖动${LAYERS[layer]}「${base.properties.name || id}」到新位置，然后保存`, {
    onSave: async (sess) => {
      const [f] = sess.draw.getSnapshot();
      const to = f.geometry.coordinates;
      if (sameValue(to, round9(base.geometry.coordinates))) { sess.setStatus('位置未改变'); return; }
      try {
        const saved = await patchWithConflicts(map, layer, base, { geometry: { type: 'Point', coordinates: to } });
        sess.end();
        afterWrite(ctx);
        toast(saved ? '位置已保存' : '已采用他人的版本，您的移动未保存', saved ? 'ok' : 'info');
        if (ctx.openFeature) ctx.openFeature(layer, id);
      } catch (e) {
        sess.setStatus(errorText(e));
      }
    },
  });
  const fid = s.draw.getFeatureId();
  s.draw.addFeatures([{ type: 'Feature', id: fid, geometry: { type: 'Point', coordinates: round9(base.geometry.coordinates) }, properties: { mode: 'point' } }]);
  s.draw.setMode('select');
  s.draw.selectFeature(fid);
}

export async function deleteFeature(ctx, layer, id) {
  let base;
  try { base = await readFeature(layer, id); } catch (e) { toast(`读取失败：${errorText(e)}`, 'error'); return; }
  const name = base.properties.name || id;
  const ok = await confirmDialog(`删除${LAYERS[layer]}`, `确定删除${LAYERS[layer]}「${name}」吗？删除后可在修改记录中查到，但地图上不再显示。若只是停用，请在“编辑属性”中把状态改为“已撤销”。`, '删除');
  if (!ok) return;
  let version = base.properties.version;
  for (;;) {
    try {
      await request('DELETE', url(layer, id), { headers: { 'If-Match': `"${version}"` } });
      break;
    } catch (e) {
      if (e.status !== 412) { toast(`删除失败：${errorText(e)}`, 'error'); return; }
      const theirs = await readFeature(layer, id);
      const choice = await conflictDialog(ctx.map, layer, base, { properties: {} }, theirs);
      if (choice === 'theirs') { toast('已取消删除，保留他人修改后的版本', 'info'); if (ctx.openFeature) ctx.openFeature(layer, id); return; }
      version = theirs.properties.version;
    }
  }
  ctx.closeSheet();
  afterWrite(ctx);
  toast(`已删除${LAYERS[layer]}「${name}」`, 'ok');
}

function confirmDialog(title, text, okText) {
  return new Promise((resolve) => {
    const close = (v) => { overlay.remove(); resolve(v); };
    const overlay = h('div', { class: 'modal-overlay' }, h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': title, 'data-testid': 'confirm' },
      h('h3', {}, title), h('p', {}, text),
      h('div', { class: 'modal-buttons' }, h('button', { type: 'button', class: 'secondary', onclick: () => close(false) }, '取消'),
        h('button', { type: 'button', class: 'danger', 'data-testid': 'confirm-ok', onclick: () => close(true) }, okText))));
    document.body.append(overlay);
  });
}

// addTool is the map's 新增 button: pick a layer, click where it stands,
// fill in its attributes. Nothing for roles that may change no point layer.
export async function addTool(ctx) {
  let schema;
  try { schema = await layerSchema(); } catch { return null; }
  const layers = Object.values(schema).filter((l) => l.writable && l.geometry === 'Point').map((l) => l.name);
  if (!layers.length) return null;
  const menu = h('div', { class: 'add-menu', hidden: true, 'data-testid': 'add-menu' },
    layers.map((l) => h('button', { type: 'button', class: 'secondary', 'data-add': l, onclick: () => { menu.hidden = true; addPoint(ctx, l); } }, `新增${LAYERS[l]}`)));
  const btn = h('button', { type: 'button', class: 'map-btn', 'data-testid': 'map-add', onclick: () => { menu.hidden = !menu.hidden; } }, '新增要素');
  return h('span', { class: 'add-tool' }, btn, menu);
}

export async function addPoint(ctx, layer) {
  const spec = (await layerSchema())[layer];
  const { map } = ctx;
  ctx.closeSheet();
  if (window.matchMedia('(max-width: 760px)').matches) ctx.showMap();
  const s = startSession(map, `在地图上点击新${LAYERS[layer]}的位置`, {});
  s.draw.setMode('point');
  map.getCanvas().style.cursor = 'crosshair';
  s.draw.on('finish', async (fid) => {
    const f = s.draw.getSnapshotFeature(fid);
    if (!f || f.geometry.type !== 'Point') return;
    s.draw.setMode('select');
    s.setHint('填写属性后保存；可先拖动点调整位置');
    const defaults = { status: 'active' };
    let created = null;
    const done = await attributeForm(`新增${LAYERS[layer]}`, layer, spec, defaults, async (props) => {
      const [now] = s.draw.getSnapshot();
      const properties = Object.fromEntries(Object.entries({ ...defaults, ...props }).filter(([, v]) => v !== null));
      created = await request('POST', `/api/v1/${layer}`, { body: { type: 'Feature', geometry: { type: 'Point', coordinates: now.geometry.coordinates }, properties } });
      return true;
    });
    s.end();
    if (!done || !created) return;
    afterWrite(ctx);
    toast(`已新增${LAYERS[layer]}「${created.properties.name}」`, 'ok');
    if (ctx.openFeature) ctx.openFeature(layer, created.id);
  });
}

// ---- grids and areas: redraw with shared vertices ----

const round9 = (c) => c.map((x) => Math.round(x * 1e9) / 1e9);
const key = (c) => `${c[0].toFixed(9)},${c[1].toFixed(9)}`;
const near = (a, b) => Math.abs(a[0] - b[0]) < 1e-9 && Math.abs(a[1] - b[1]) < 1e-9;

// ringOf: the outer ring of an editable shape (one polygon, no holes), or
// null when it cannot be redrawn here.
function ringOf(g) {
  if (!g) return null;
  if (g.type === 'Polygon' && g.coordinates.length === 1) return g.coordinates[0];
  if (g.type === 'MultiPolygon' && g.coordinates.length === 1 && g.coordinates[0].length === 1) return g.coordinates[0][0];
  return null;
}

// reshape redraws a grid or area with its neighbours of the same layer (and
// level) loaded beside it: a vertex they share moves in both, a point
// inserted on a shared edge is inserted in both, and a dragged vertex snaps
// to a neighbour's vertex within 12 px. Saving sends every changed shape in
// one batch PATCH, each with the version read.
export async function reshape(ctx, layer, id) {
  const { map } = ctx;
  let base;
  try { base = await readFeature(layer, id); } catch (e) { toast(`读取失败：${errorText(e)}`, 'error'); return; }
  if (!ringOf(base.geometry)) { toast('此要素由多个部分或含有洞，请在 QGIS 中修改其边界', 'error'); return; }
  const b = bboxOf([base]);
  const pad = Math.max(b[2] - b[0], b[3] - b[1]) * 0.05 + 1e-4;
  let around = [];
  try {
    const r = await api.get(`/api/v1/${layer}?bbox=${[b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad].map((x) => x.toFixed(7)).join(',')}&limit=200`);
    around = r.features.filter((f) => f.id !== base.id && (layer !== 'areas' || f.properties.level === base.properties.level));
  } catch (e) { toast(`读取相邻要素失败：${errorText(e)}`, 'error'); return; }
  ctx.closeSheet();
  map.fitBounds([[b[0] - pad, b[1] - pad], [b[2] + pad, b[3] + pad]], { padding: 60, duration: 0 });

  // the shapes being edited, by Terra Draw id
  const shapes = new Map();
  const original = new Map(); // rounded vertex -> the stored coordinate (full precision)
  const s = startSession(map, `拖动顶点修改边界；相邻${LAYERS[layer]}共用的顶点一起移动；点击边中点可加顶点`, {
    saveText: '保存边界',
    onSave: async (sess) => {
      const changed = [...shapes.values()].filter((x) => !sameValue(x.ring, x.start));
      if (!changed.length) { sess.setStatus('边界未改变'); return; }
      const restore = (c) => original.get(key(c)) || c;
      const body = (list) => ({ type: 'FeatureCollection', features: list.map((x) => ({
        type: 'Feature', id: x.feature.id, geometry: { type: 'MultiPolygon', coordinates: [[x.ring.map(restore)]] },
        properties: { version: x.feature.properties.version } })) });
      try {
        await request('PATCH', `/api/v1/${layer}`, { body: body(changed) });
      } catch (e) {
        if (e.status !== 412) { sess.setStatus(errorText(e)); return; }
        // someone changed one of them meanwhile: show whose and choose
        const stale = [];
        for (const x of changed) {
          const now = await readFeature(layer, x.feature.id);
          if (now.properties.version !== x.feature.properties.version) stale.push([x, now]);
        }
        for (const [x, now] of stale) {
          const choice = await conflictDialog(map, layer, x.feature, { properties: {}, geometry: { type: 'Polygon', coordinates: [x.ring] } }, now);
          if (choice === 'theirs') {
            sess.end();
            afterWrite(ctx);
            toast('已采用他人的版本，您的边界修改未保存', 'info');
            return;
          }
          x.feature = now;
        }
        try {
          await request('PATCH', `/api/v1/${layer}`, { body: body(changed) });
        } catch (e2) { sess.setStatus(errorText(e2)); return; }
      }
      sess.end();
      afterWrite(ctx);
      toast(`已保存 ${changed.length} 个${LAYERS[layer]}的边界`, 'ok');
      if (ctx.openFeature) ctx.openFeature(layer, id);
    },
  });
  const add = [];
  for (const f of [base, ...around]) {
    const ring = ringOf(f.geometry);
    if (!ring) continue;
    for (const c of ring) original.set(key(c), c);
    const tid = s.draw.getFeatureId();
    const r = ring.map(round9);
    shapes.set(tid, { feature: f, ring: r, start: r });
    add.push({ type: 'Feature', id: tid, geometry: { type: 'Polygon', coordinates: [r] }, properties: { mode: 'polygon' } });
  }
  const results = s.draw.addFeatures(add);
  for (const r of results) if (!r.valid) { shapes.delete(r.id); console.warn('not editable here:', r.reason); }
  const mainId = [...shapes.entries()].find(([, x]) => x.feature.id === base.id)[0];

  // the vertices of the other shapes a dragged vertex links to, fixed for
  // the length of one drag (found where the vertex stood when it began)
  let links = null;
  const linksOf = (tid, index) => {
    if (links && links.tid === tid && links.index === index) return links.list;
    const from = shapes.get(tid).ring[index];
    const list = [];
    for (const [oid, x] of shapes) {
      if (oid === tid) continue;
      x.ring.forEach((c, j) => { if (j < x.ring.length - 1 && near(c, from)) list.push([oid, j]); });
    }
    links = { tid, index, list };
    return list;
  };
  s.setSnapper((e, c) => {
    if (c.currentId === undefined || c.currentCoordinate === undefined || !shapes.has(c.currentId)) return undefined;
    const ring = shapes.get(c.currentId).ring;
    const idx = c.currentCoordinate === ring.length - 1 ? 0 : c.currentCoordinate;
    const skip = new Set(linksOf(c.currentId, idx).map(([oid, j]) => `${oid}:${j}`));
    let best = null;
    let bestD = 12;
    for (const [oid, x] of shapes) {
      if (oid === c.currentId) continue;
      x.ring.forEach((v, j) => {
        if (j === x.ring.length - 1 || skip.has(`${oid}:${j}`)) return;
        const p = map.project(v);
        const d = Math.hypot(p.x - e.containerX, p.y - e.containerY);
        if (d < bestD) { bestD = d; best = v; }
      });
    }
    return best ? [best[0], best[1]] : undefined;
  });
  let applying = false;
  const setRing = (oid, ring) => {
    const x = shapes.get(oid);
    x.ring = ring;
    applying = true;
    try { s.draw.updateFeatureGeometry(oid, { type: 'Polygon', coordinates: [ring] }); } finally { applying = false; }
  };
  s.draw.on('change', (ids, type) => {
    if (applying || type !== 'update') return;
    for (const tid of ids) {
      const x = shapes.get(tid);
      if (!x) continue;
      const snap = s.draw.getSnapshotFeature(tid);
      if (!snap || snap.geometry.type !== 'Polygon') continue;
      const now = snap.geometry.coordinates[0];
      const before = x.ring;
      if (sameValue(now, before)) continue;
      if (now.length === before.length) {
        for (let i = 0; i < now.length - 1; i++) {
          if (near(now[i], before[i])) continue;
          for (const [oid, j] of linksOf(tid, i)) {
            const r = shapes.get(oid).ring.slice();
            r[j] = now[i];
            if (j === 0) r[r.length - 1] = now[i];
            setRing(oid, r);
          }
        }
      } else if (now.length === before.length + 1) {
        // a vertex inserted on an edge: insert it on the neighbour's same edge
        let i = 1;
        while (i < before.length && near(now[i], before[i])) i++;
        const [a, c] = [before[i - 1], before[i]];
        for (const [oid, y] of shapes) {
          if (oid === tid) continue;
          for (let j = 0; j < y.ring.length - 1; j++) {
            const [p, q] = [y.ring[j], y.ring[j + 1]];
            if ((near(p, a) && near(q, c)) || (near(p, c) && near(q, a))) {
              setRing(oid, [...y.ring.slice(0, j + 1), now[i], ...y.ring.slice(j + 1)]);
              break;
            }
          }
        }
      } else if (now.length === before.length - 1) {
        // a shared vertex removed: removed from the neighbour too
        let i = 0;
        while (i < now.length && near(now[i], before[i])) i++;
        const gone = before[i];
        for (const [oid, y] of shapes) {
          if (oid === tid || y.ring.length <= 4) continue;
          const j = y.ring.findIndex((v, k) => k < y.ring.length - 1 && near(v, gone));
          if (j < 0) continue;
          let r = y.ring.filter((_, k) => k !== j && !(j === 0 && k === y.ring.length - 1));
          if (j === 0) r = [...r, r[0]];
          setRing(oid, r);
        }
      }
      x.ring = now;
    }
    const n = [...shapes.values()].filter((y) => !sameValue(y.ring, y.start)).length;
    s.setStatus(n ? `已修改 ${n} 个${LAYERS[layer]}` : '');
  });
  s.draw.on('finish', () => { links = null; });
  s.draw.setMode('select');
  s.draw.selectFeature(mainId);
  return s;
}

// stopEditing ends an edit in progress (the user left the map).
export function stopEditing() { if (active) active.cancel(); }
