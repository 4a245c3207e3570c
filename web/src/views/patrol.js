// 巡查: a grid worker's patrols. The risk points of my grids that are
// overdue or due within days, nearest first when the phone knows where it
// is; one patrol form (checklist of the point's category, photos, the
// result and what was found) that goes into the offline queue exactly as a
// report does: stored on the phone, sent when there is a network, with a
// UUID made here so that a resend is recorded once.
import { api } from '../api.js';
import { h, clear, field, select, toast, errorText, failBox } from '../ui.js';
import { GRADES, CATEGORIES, RISK_COLOURS, RISK_LEVELS, todayShanghai } from '../labels.js';
import { queue } from '../queue.js';
import { showMarker } from '../map.js';

const DUE_KEY = 'riskmap.due';
const CHECKLIST_KEY = 'riskmap.checklists';
const ANSWERS = { ok: '正常', problem: '有问题', na: '不适用' };

// the checklists, kept on the phone for patrols without signal
async function checklists() {
  try {
    const r = await api.get('/api/v1/patrols/checklists');
    localStorage.setItem(CHECKLIST_KEY, JSON.stringify(r.checklists));
    return r.checklists;
  } catch (e) {
    const kept = localStorage.getItem(CHECKLIST_KEY);
    if (kept) return JSON.parse(kept);
    throw e;
  }
}

function currentList(lists, category) {
  return lists.filter((l) => l.category === category).sort((a, b) => b.version - a.version)[0];
}

function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error('此设备不支持定位')); return; }
    // Browsers report WGS84 (W3C Geolocation), stored as is
    navigator.geolocation.getCurrentPosition(resolve, (e) => reject(new Error(e.code === 1 ? '未允许定位' : '无法取得位置')),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  });
}

// dueText says when a point is due: overdue by N days, due today, in N days.
export function dueText(p) {
  if (p.due_on === undefined && p.patrol === undefined) return '';
  if (p.overdue || p.patrol === 'overdue') return p.overdue_days ? `逾期 ${p.overdue_days} 天` : '巡查已逾期';
  if (p.days_left === undefined) return p.due_on ? `下次巡查 ${p.due_on}` : '';
  if (p.days_left === 0) return '今日应巡查';
  return `${p.days_left} 天内应巡查`;
}

// queued lists the risk point ids whose patrol waits on the phone.
async function queuedPoints() {
  const out = new Set();
  for (const item of await queue.all()) if (item.patrolOf) out.add(item.patrolOf);
  return out;
}

export function patrolView(ctx) {
  const { map } = ctx;
  const list = h('div', { class: 'due-list', 'data-testid': 'due-list' }, h('p', { class: 'muted' }, '加载中…'));
  const info = h('p', { class: 'muted', 'data-testid': 'due-info' });
  const el = h('section', { class: 'view', 'data-testid': 'patrol-view' },
    h('h2', {}, '巡查'),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'secondary', 'data-testid': 'due-refresh', onclick: () => load(true) }, '刷新'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-testid': 'due-overdue-only', onchange: () => load(false) }), '只看逾期')),
    info, list);
  const overdueOnly = el.querySelector('[data-testid=due-overdue-only]');
  let near = null;

  const paint = async (features, today, offline) => {
    const waiting = await queuedPoints();
    const shown = overdueOnly.checked ? features.filter((f) => f.properties.overdue) : features;
    info.textContent = `${offline ? '离线，显示上次的清单 · ' : ''}${today}：逾期 ${features.filter((f) => f.properties.overdue).length} 处，` +
      `近期应巡查 ${features.filter((f) => !f.properties.overdue).length} 处${near ? '，由近到远' : ''}`;
    if (!shown.length) { clear(list, h('p', { class: 'muted' }, '暂无应巡查的风险点')); return; }
    clear(list, shown.map((f) => {
      const p = f.properties;
      return h('article', { class: `due-item${p.overdue ? ' overdue' : ''}`, 'data-testid': 'due-item', 'data-id': f.id },
        h('div', { class: 'due-top' },
          h('span', { class: 'badge', style: { background: RISK_COLOURS[p.risk_level] } }, RISK_LEVELS[p.risk_level]),
          h('strong', {}, p.name),
          h('span', { class: `due-when ${p.overdue ? 'overdue' : ''}` }, dueText(p))),
        h('div', { class: 'muted' }, `${CATEGORIES[p.category] || p.category} · 每 ${p.interval_days} 天 · ` +
          `上次巡查 ${p.last_patrol_at ? p.last_patrol_at.slice(0, 10) : (p.last_inspection || '无记录')}` +
          (p.distance_m != null ? ` · 距离 ${p.distance_m < 1000 ? `${Math.round(p.distance_m)} 米` : `${(p.distance_m / 1000).toFixed(1)} 公里`}` : '')),
        waiting.has(f.id) ? h('div', { class: 'queued-note' }, '巡查记录待发送') : null,
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', onclick: () => { ctx.showMap(); map.flyTo({ center: f.geometry.coordinates, zoom: 16 }); showMarker(map, f.geometry.coordinates); } }, '地图'),
          h('button', { type: 'button', class: 'primary', 'data-testid': 'patrol-start', onclick: () => ctx.openSheet((body) => patrolForm(ctx, f, body)) }, '巡查')));
    }));
  };

  const load = async (locate) => {
    if (locate || !near) {
      try {
        const pos = await position();
        near = [pos.coords.longitude, pos.coords.latitude];
      } catch { /* by due date instead */ }
    }
    const q = `/api/v1/patrols/due?days=7&limit=1000${near ? `&near=${near[0].toFixed(6)},${near[1].toFixed(6)}` : ''}`;
    try {
      const r = await api.get(q);
      const today = todayShanghai();
      localStorage.setItem(DUE_KEY, JSON.stringify({ today, features: r.features }));
      await paint(r.features, today, false);
    } catch (e) {
      const kept = JSON.parse(localStorage.getItem(DUE_KEY) || 'null');
      if (kept) await paint(kept.features, kept.today, true);
      else clear(list, failBox('无法读取巡查清单', e, { retry: () => load(false) }));
    }
  };
  load(true);
  // kept on the phone now, for a patrol made where there is no signal
  checklists().catch(() => {});
  const stop = queue.onChange(() => load(false));
  el.cleanup = stop;
  el.reload = () => load(false);
  return el;
}

// patrolForm fills body with the form of a patrol of risk point f.
export async function patrolForm(ctx, f, body) {
  const p = f.properties;
  clear(body, h('p', { class: 'muted' }, '加载检查表…'));
  let lists;
  try {
    lists = await checklists();
  } catch (e) {
    clear(body, failBox('无法读取检查表', e, { retry: () => patrolForm(ctx, f, body) }));
    return;
  }
  const list = currentList(lists, p.category) || currentList(lists, 'other');
  let pos = null;
  const where = h('div', { class: 'where', 'data-testid': 'patrol-where' }, h('span', { class: 'muted' }, '正在定位…'));
  const locate = async () => {
    clear(where, h('span', { class: 'muted' }, '正在定位…'));
    try {
      const r = await position();
      pos = { lon: Number(r.coords.longitude.toFixed(7)), lat: Number(r.coords.latitude.toFixed(7)), accuracy: r.coords.accuracy };
      where.dataset.lon = String(pos.lon);
      where.dataset.lat = String(pos.lat);
      clear(where, h('strong', {}, `已定位（精度约 ${Math.round(pos.accuracy)} 米）`));
    } catch (e) {
      clear(where, h('span', { class: 'form-error' }, `定位失败（${e.message}），请到现场开启定位后重试`),
        h('button', { type: 'button', class: 'secondary', onclick: locate }, '重新定位'));
    }
  };
  locate();

  const items = list.items.map((it) => h('fieldset', { class: 'check-item', 'data-key': it.key },
    h('legend', {}, it.label),
    Object.entries(ANSWERS).map(([v, label]) => h('label', { class: 'radio' },
      h('input', { type: 'radio', name: `a-${it.key}`, value: v, checked: v === 'ok', onchange: () => sync() }), label))));
  const findings = h('div', { class: 'findings', 'data-testid': 'findings' });
  const addFinding = () => findings.append(h('div', { class: 'finding' },
    field('隐患描述', h('textarea', { name: 'finding', rows: 2, maxlength: 2000, placeholder: '例如：排水沟堵塞，雨天易内涝' })),
    field('隐患等级', select('finding-grade', GRADES, 'general'))));
  const problemBox = h('div', { class: 'problem-box', hidden: true },
    h('h4', {}, '发现的隐患（将进入隐患闭环）'), findings,
    h('button', { type: 'button', class: 'secondary', onclick: addFinding }, '再添一条'));
  const result = select('result', { normal: '正常', problem: '发现问题' }, 'normal', { 'data-testid': 'patrol-result' });
  const sync = () => {
    const anyProblem = [...body.querySelectorAll('input[type=radio]:checked')].some((r) => r.value === 'problem');
    if (anyProblem) result.value = 'problem';
    problemBox.hidden = result.value !== 'problem';
    if (!problemBox.hidden && !findings.children.length) addFinding();
  };
  result.addEventListener('change', sync);
  let files = [];
  const thumbs = h('div', { class: 'photos thumbs' });
  const photos = h('input', { type: 'file', name: 'photos', accept: 'image/*', capture: 'environment', multiple: true,
    onchange: () => {
      files = files.concat([...photos.files]);
      photos.value = '';
      clear(thumbs, files.map((file) => {
        const url = URL.createObjectURL(file);
        return h('figure', { class: 'thumb' }, h('img', { src: url, alt: file.name || '照片', onload: () => URL.revokeObjectURL(url) }));
      }));
    } });
  const err = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'patrol-error' });
  const form = h('form', { class: 'patrol-form', 'data-testid': 'patrol-form', novalidate: true },
    h('h3', {}, `巡查：${p.name}`),
    h('p', { class: 'muted' }, [CATEGORIES[p.category] || p.category, dueText(p), `检查表第 ${list.version} 版`].filter(Boolean).join(' · ')),
    where,
    h('fieldset', { class: 'checklist' }, h('legend', {}, '检查项目'), items),
    field('巡查结果', result),
    problemBox,
    field('现场照片（至少一张）', photos, '没有信号时照片会保存在手机上，恢复网络后随巡查记录一起发送'),
    thumbs,
    field('备注', h('textarea', { name: 'note', rows: 2, maxlength: 2000 })),
    err,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary wide', 'data-testid': 'patrol-submit' }, '提交巡查'),
      h('button', { type: 'button', class: 'secondary', onclick: () => ctx.closeSheet() }, '取消')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const answers = {};
    for (const it of list.items) answers[it.key] = form.querySelector(`input[name="a-${it.key}"]:checked`).value;
    const found = [...findings.querySelectorAll('.finding')].map((x) => ({
      description: x.querySelector('textarea').value.trim(), grade: x.querySelector('select').value,
    })).filter((x) => x.description);
    const problems = [];
    if (!pos) problems.push('尚未取得当前位置：请开启定位');
    if (!files.length) problems.push('请至少拍一张现场照片');
    if (result.value === 'problem' && !found.length) problems.push('发现问题时请描述隐患');
    if (result.value === 'normal' && Object.values(answers).includes('problem')) problems.push('有检查项目有问题：巡查结果应为“发现问题”');
    err.textContent = problems.join('；');
    if (problems.length) return;
    const patrol = {
      type: 'Feature',
      id: crypto.randomUUID(),
      geometry: { type: 'Point', coordinates: [pos.lon, pos.lat] },
      properties: {
        risk_point_id: Number(f.id), device_time: new Date().toISOString(), accuracy_m: Math.round(pos.accuracy),
        checklist: { version: list.version, answers }, result: result.value,
        ...(result.value === 'problem' ? { findings: found } : {}),
        ...(form.note.value.trim() ? { note: form.note.value.trim() } : {}),
      },
    };
    try {
      await queue.add({
        kind: 'request', method: 'POST', url: '/api/v1/patrols', group: `patrol:${f.id}`, label: `巡查 ${p.name}`,
        patrolOf: f.id,
        form: [{ name: 'patrol', value: JSON.stringify(patrol) }, ...files.map((file, i) => ({ name: 'file', blob: file, filename: file.name || `photo${i + 1}.jpg` }))],
      });
    } catch (ex) {
      err.textContent = `无法保存：${errorText(ex)}`;
      return;
    }
    ctx.closeSheet();
    if (!navigator.onLine) {
      toast('当前离线：巡查记录已保存在本机，恢复网络后自动发送', 'info');
    } else {
      await queue.flush();
      toast(result.value === 'problem' ? '巡查已提交，发现的隐患已上报' : '巡查已提交', 'info');
    }
  });
  clear(body, form);
}
