// The offices' routine work: 巡查 (completion by grid and worker, overdue
// patrols, off-site patrols) and 检查 (inspections with their form, 双随机
// plans with their progress, the year's paragraph and downloads).
import { api, download, getAll } from '../api.js';
import { h, clear, field, select, modal, toast, errorText, failBox } from '../ui.js';
import { RISK_COLOURS, RISK_LEVELS, CATEGORIES, GRADES, HAZARD_CATEGORIES, todayShanghai, pct, fmtTime } from '../labels.js';
import { searchBox } from '../search.js';
import { showMarker } from '../map.js';
import { dueText } from './patrol.js';

export const KINDS = { routine: '日常检查', random: '双随机抽查', special: '专项检查', follow_up: '复查' };
export const LEVELS = { township: '镇街', county: '县区', city: '市局' };
const OFFICES = ['township', 'county', 'city'];

const yearStart = () => `${todayShanghai().slice(0, 4)}-01-01`;

// the area a user's figures are asked for: their one area, else the scope
const areaOf = (user) => ((user.scopes || []).length === 1 && /^\d{12}$/.test(user.scopes[0]) ? user.scopes[0] : '');

function periodForm(onChange) {
  const from = h('input', { type: 'date', name: 'from', value: yearStart() });
  const to = h('input', { type: 'date', name: 'to', value: todayShanghai() });
  from.addEventListener('change', onChange);
  to.addEventListener('change', onChange);
  return { el: h('div', { class: 'toolbar' }, field('从', from), field('到', to)), get: () => ({ from: from.value, to: to.value }) };
}

function table(head, rows, attrs = {}) {
  return h('table', { class: 'table', ...attrs }, h('thead', {}, h('tr', {}, head.map((x) => h('th', {}, x)))), h('tbody', {}, rows));
}

// patrolOfficeView: 巡查 for the township, county and city offices and
// planners.
export function patrolOfficeView(ctx) {
  const { user, map } = ctx;
  const completion = h('div', { 'data-testid': 'patrol-completion' }, h('p', { class: 'muted' }, '加载中…'));
  const overdue = h('div', { 'data-testid': 'patrol-overdue' }, h('p', { class: 'muted' }, '加载中…'));
  const offSite = h('div', { 'data-testid': 'patrol-off-site' }, h('p', { class: 'muted' }, '加载中…'));
  const period = periodForm(() => load());
  const el = h('section', { class: 'view wide', 'data-testid': 'patrol-office' },
    h('h2', {}, '巡查'), period.el,
    h('h3', {}, '巡查完成情况'), completion,
    h('h3', {}, '逾期未巡查的风险点'), overdue,
    h('h3', {}, '偏离点位的巡查（超过 200 米）'), offSite);
  const byGrid = user.role === 'township';
  const load = async () => {
    const { from, to } = period.get();
    const area = areaOf(user);
    try {
      const st = await api.get(`/api/v1/stats/inspections?group_by=${byGrid ? 'grid' : 'township'}&from=${from}&to=${to}${area ? `&area=${area}` : ''}`);
      const rows = [...st.rows.filter((r) => r.patrols.due || r.patrols.patrols), { ...st.total, area_name: '合计' }];
      clear(completion, table([byGrid ? '网格' : '镇街', ...(byGrid ? ['网格员'] : []), '应巡查', '按期', '超期完成', '逾期未巡', '巡查次数', '偏离点位', '发现问题', '按期率'],
        rows.map((r) => h('tr', {}, h('td', {}, r.area_name), byGrid ? h('td', {}, r.worker || '—') : null,
          ['due', 'on_time', 'late', 'overdue', 'patrols', 'off_site', 'problems'].map((k) => h('td', { class: 'num' }, String(r.patrols[k]))),
          h('td', { class: 'num' }, r.patrols.due ? pct(r.patrols.on_time / r.patrols.due) : '—')))));
    } catch (e) {
      clear(completion, failBox('无法读取巡查完成情况', e, { retry: load }));
    }
    try {
      const r = await api.get('/api/v1/patrols/due?overdue=true&limit=200');
      clear(overdue, r.features.length ? table(['风险点', '等级', '应巡查日期', '逾期', '上次巡查', ''], r.features.map((f) => {
        const p = f.properties;
        return h('tr', { 'data-id': f.id }, h('td', {}, p.name), h('td', {}, h('span', { class: 'badge', style: { background: RISK_COLOURS[p.risk_level] } }, RISK_LEVELS[p.risk_level])),
          h('td', {}, p.due_on), h('td', { class: 'num' }, `${p.overdue_days} 天`), h('td', {}, p.last_patrol_at ? p.last_patrol_at.slice(0, 10) : (p.last_inspection || '无记录')),
          h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => { ctx.showMap(); map.flyTo({ center: f.geometry.coordinates, zoom: 16 }); showMarker(map, f.geometry.coordinates); } }, '地图')));
      })) : h('p', { class: 'muted' }, '没有逾期的风险点'));
    } catch (e) {
      clear(overdue, failBox('无法读取逾期清单', e, { retry: load }));
    }
    try {
      const r = await api.get(`/api/v1/patrols?off_site=true&from=${from}&to=${to}&limit=100`);
      clear(offSite, r.features.length ? table(['日期', '风险点', '网格员', '距离', '定位精度'], r.features.map((f) => {
        const p = f.properties;
        return h('tr', {}, h('td', {}, p.patrol_day), h('td', {}, p.risk_point_name), h('td', {}, p.worker_name),
          h('td', { class: 'num' }, `${Math.round(p.distance_m)} 米`), h('td', { class: 'num' }, p.accuracy_m != null ? `${Math.round(p.accuracy_m)} 米` : '—'));
      })) : h('p', { class: 'muted' }, '没有偏离点位的巡查'));
    } catch (e) {
      clear(offSite, failBox('无法读取偏离点位的巡查', e, { retry: load }));
    }
  };
  load();
  el.reload = load;
  return el;
}

// inspectionsView: 检查 for the offices (planners read it).
export function inspectionsView(ctx) {
  const { user } = ctx;
  const office = OFFICES.includes(user.role);
  const paragraph = h('div', { class: 'paragraph', 'data-testid': 'inspection-paragraph' }, h('p', { class: 'muted' }, '加载中…'));
  const list = h('div', { 'data-testid': 'inspection-list' }, h('p', { class: 'muted' }, '加载中…'));
  const plans = h('div', { 'data-testid': 'plan-list' }, h('p', { class: 'muted' }, '加载中…'));
  const period = periodForm(() => load());
  const statsURL = (format) => {
    const { from, to } = period.get();
    const area = areaOf(user);
    return `/api/v1/stats/inspections?from=${from}&to=${to}${area ? `&area=${area}` : ''}&format=${format}`;
  };
  const el = h('section', { class: 'view wide', 'data-testid': 'inspections-view' },
    h('h2', {}, '监督检查'), period.el,
    paragraph,
    h('div', { class: 'actions' },
      office ? h('button', { type: 'button', class: 'primary', 'data-testid': 'inspection-new', onclick: () => inspectionForm(ctx, null, load) }, '录入检查') : null,
      office ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'plan-new', onclick: () => planForm(ctx, load) }, '双随机抽取') : null,
      h('button', { type: 'button', class: 'secondary', onclick: () => download(statsURL('xlsx'), 'inspections.xlsx').catch((e) => toast(errorText(e), 'error')) }, '下载 Excel'),
      h('button', { type: 'button', class: 'secondary', onclick: () => download(statsURL('csv'), 'inspections.csv').catch((e) => toast(errorText(e), 'error')) }, '下载 CSV')),
    h('h3', {}, '双随机抽查计划'), plans,
    h('h3', {}, '检查记录'), list);
  const load = async () => {
    const { from, to } = period.get();
    try {
      const st = await api.get(statsURL('json'));
      clear(paragraph, h('p', { 'data-testid': 'inspection-sentence' }, st.sentence),
        h('p', { class: 'muted' }, `整改率 ${pct(st.total.rate)} · 巡查 ${st.total.patrols.patrols} 次，按期 ${st.total.patrols.on_time}/${st.total.patrols.due}`));
    } catch (e) {
      clear(paragraph, failBox('无法读取统计', e, { retry: load }));
    }
    try {
      const r = await api.get(`/api/v1/inspections?from=${from}&to=${to}&limit=100`);
      clear(list, r.features.length ? table(['日期', '企业', '类型', '检查单位', '检查人员', '发现隐患', '行政处罚'], r.features.map((f) => {
        const p = f.properties;
        return h('tr', { 'data-id': f.id }, h('td', {}, p.inspected_on), h('td', {}, p.hazard_source_name), h('td', {}, KINDS[p.kind] || p.kind),
          h('td', {}, `${p.office_name || ''}（${LEVELS[p.level] || p.level}）`), h('td', {}, (p.inspectors || []).map((x) => x.name).join('、')),
          h('td', { class: 'num' }, String((p.case_ids || []).length)),
          h('td', {}, p.penalty ? `${p.penalty.decision_no} 罚款 ${Number(p.penalty.amount_yuan).toLocaleString('zh-CN')} 元` : '—'));
      })) : h('p', { class: 'muted' }, '本期暂无检查记录'));
    } catch (e) {
      clear(list, failBox('无法读取检查记录', e, { retry: load }));
    }
    try {
      const r = await api.get('/api/v1/inspection-plans?limit=20');
      clear(plans, r.plans.length ? r.plans.map((pl) => planCard(ctx, pl, load)) : h('p', { class: 'muted' }, '暂无抽查计划'));
    } catch (e) {
      clear(plans, failBox('无法读取抽查计划', e, { retry: load }));
    }
  };
  load();
  el.reload = load;
  return el;
}

function planCard(ctx, pl, reload) {
  const office = OFFICES.includes(ctx.user.role);
  return h('article', { class: 'plan-card', 'data-testid': 'plan-card', 'data-id': String(pl.id) },
    h('div', { class: 'plan-top' }, h('strong', {}, `${pl.area_name} ${pl.from} 至 ${pl.to}`),
      h('span', { class: 'muted' }, `${HAZARD_CATEGORIES[pl.category] || '全部类别'} · 随机种子 ${pl.seed} · ${pl.drawn_by_name} ${fmtTime(pl.drawn_at)}`)),
    h('div', { class: 'progress' }, h('span', { class: 'bar', style: { width: `${Math.round(100 * pl.progress.done / Math.max(1, pl.progress.planned))}%` } }),
      h('span', { class: 'progress-text', 'data-testid': 'plan-progress' }, `已检查 ${pl.progress.done} / ${pl.progress.planned}`)),
    h('p', { class: 'muted' }, `执法人员：${(pl.inspectors || []).map((x) => x.name).join('、')}（从 ${pl.candidates.inspectors} 人中抽取）；` +
      `企业从 ${pl.candidates.units} 家中抽取`),
    table(['企业', '统一社会信用代码', '检查', ''], (pl.units || []).map((u) => h('tr', {},
      h('td', {}, u.name), h('td', { class: 'mono' }, u.credit_code || '—'), h('td', {}, u.inspection_id ? `已检查 ${u.inspected_on}` : '待检查'),
      h('td', {}, office && !u.inspection_id ? h('button', { type: 'button', class: 'link', onclick: () => inspectionForm(ctx, { plan: pl, unit: u }, reload) }, '录入') : null)))));
}

// inspectionForm records an inspection; planned: {plan, unit} of a draw.
async function inspectionForm(ctx, planned, reload) {
  let enterprise = planned ? { id: planned.unit.hazard_source_id, name: planned.unit.name } : null;
  const officers = h('div', { class: 'officers', 'data-testid': 'inspection-officers' }, h('span', { class: 'muted' }, '先选择企业'));
  const loadOfficers = async () => {
    clear(officers, h('span', { class: 'muted' }, '加载执法人员…'));
    try {
      const r = await api.get(`/api/v1/inspection-officers?hazard_source_id=${enterprise.id}`);
      const mine = planned ? planned.plan.inspectors.map((x) => x.user_id) : [ctx.user.id];
      clear(officers, r.officers.map((o) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'inspector', value: String(o.id), checked: mine.includes(o.id) }), `${o.name}（${LEVELS[o.role]}）`)));
    } catch (e) {
      clear(officers, h('span', { class: 'form-error' }, errorText(e)));
    }
  };
  if (enterprise) loadOfficers();
  const findings = h('div', { class: 'findings' });
  const addFinding = () => findings.append(h('div', { class: 'finding' },
    field('隐患描述', h('textarea', { name: 'finding', rows: 2, maxlength: 2000 })),
    field('等级', select('finding-grade', GRADES, 'general')),
    field('类别', select('finding-category', CATEGORIES, 'other'))));
  const v = await modal(planned ? `录入检查：${enterprise.name}` : '录入检查', (form) => {
    form.append(
      planned ? h('p', {}, `双随机抽查计划：${planned.plan.area_name}`) : field('被检查企业', searchBox({ layers: ['hazard_sources'], testid: 'inspection-enterprise', label: '被检查企业',
        placeholder: '输入企业名称或统一社会信用代码', onPick: (r) => { enterprise = { id: r.id, name: r.name }; loadOfficers(); } })),
      field('检查日期', h('input', { type: 'date', name: 'inspected_on', value: todayShanghai(), required: true })),
      planned ? null : field('检查类型', select('kind', KINDS, 'routine')),
      field('执法人员（至少两名）', officers),
      h('h4', {}, '发现的隐患'), findings,
      h('button', { type: 'button', class: 'secondary', onclick: addFinding }, '添加隐患'),
      h('h4', {}, '行政处罚（没有可不填）'),
      field('处罚决定书文号', h('input', { name: 'decision_no', maxlength: 100 })),
      field('罚款金额（元）', h('input', { name: 'amount_yuan', inputmode: 'decimal', pattern: '^\\d+(\\.\\d{1,2})?$' })),
      field('备注', h('textarea', { name: 'note', rows: 2, maxlength: 2000 })));
  }, {
    submitText: '保存检查',
    validate: async (form) => {
      if (!enterprise) throw new Error('请选择被检查企业');
      const inspectors = [...form.querySelectorAll('input[name=inspector]:checked')].map((x) => Number(x.value));
      if (inspectors.length < 2) throw new Error('监督检查须有两名以上执法人员');
      const found = [...findings.querySelectorAll('.finding')].map((x) => ({
        description: x.querySelector('textarea').value.trim(), grade: x.querySelector('[name=finding-grade]').value,
        category: x.querySelector('[name=finding-category]').value,
      })).filter((x) => x.description);
      const no = form.decision_no.value.trim();
      const amount = form.amount_yuan.value.trim();
      if (Boolean(no) !== Boolean(amount)) throw new Error('行政处罚须同时填写决定书文号和罚款金额（无罚款填 0）');
      const body = {
        id: crypto.randomUUID(), hazard_source_id: Number(enterprise.id), inspected_on: form.inspected_on.value,
        kind: planned ? 'random' : form.kind.value, inspectors, findings: found,
        ...(no ? { penalty: { decision_no: no, amount_yuan: amount } } : {}),
        ...(planned ? { plan_id: planned.plan.id } : {}),
        ...(form.note.value.trim() ? { note: form.note.value.trim() } : {}),
      };
      try {
        return await api.post('/api/v1/inspections', body);
      } catch (e) {
        throw new Error(errorText(e));
      }
    },
  });
  if (!v) return;
  toast(v.cases && v.cases.length ? `检查已保存，${v.cases.length} 处隐患已进入闭环` : '检查已保存', 'info');
  reload();
}

// planForm draws a 双随机 plan.
async function planForm(ctx, reload) {
  const area = areaOf(ctx.user);
  const v = await modal('双随机抽取', (form) => {
    form.append(
      field('抽取范围（区划代码）', h('input', { name: 'area', value: area, required: true, pattern: '^\\d{12}$' })),
      field('计划开始', h('input', { type: 'date', name: 'from', value: todayShanghai(), required: true })),
      field('计划结束', h('input', { type: 'date', name: 'to', value: todayShanghai(60), required: true })),
      field('抽取企业数', h('input', { type: 'number', name: 'units', min: 1, value: 10, required: true })),
      field('抽取执法人员数', h('input', { type: 'number', name: 'inspectors', min: 2, value: 2, required: true })),
      field('企业类别', select('category', { '': '全部类别', ...HAZARD_CATEGORIES }, '')),
      field('随机种子（留空自动生成）', h('input', { type: 'number', name: 'seed', min: 0 })));
  }, {
    submitText: '抽取',
    validate: async (form) => {
      const body = { area: form.area.value.trim(), from: form.from.value, to: form.to.value, units: Number(form.units.value),
        inspectors: Number(form.inspectors.value), ...(form.category.value ? { category: form.category.value } : {}),
        ...(form.seed.value ? { seed: Number(form.seed.value) } : {}) };
      try {
        return await api.post('/api/v1/inspection-plans', body);
      } catch (e) {
        throw new Error(errorText(e));
      }
    },
  });
  if (!v) return;
  toast(`已抽取 ${v.units.length} 家企业、${v.inspectors.length} 名执法人员（随机种子 ${v.seed}）`, 'info');
  reload();
}

// patrolHistory lists a risk point's patrols (its popup).
export async function patrolHistory(id) {
  const el = h('div', { class: 'patrol-history', 'data-testid': 'patrol-history' });
  try {
    const list = await getAll(`/api/v1/patrols?risk_point_id=${id}&limit=10`, 10);
    clear(el, h('h4', {}, `巡查记录（最近 ${list.length} 次）`), list.length ? h('ul', {}, list.map((f) => {
      const p = f.properties;
      return h('li', { 'data-testid': 'patrol-record' }, `${p.patrol_day} ${p.worker_name} · ${p.result === 'problem' ? '发现问题' : '正常'}` +
        `${p.off_site ? ` · 偏离点位 ${Math.round(p.distance_m)} 米` : ''}${p.on_time ? '' : ' · 超期'}`);
    })) : h('p', { class: 'muted' }, '暂无巡查记录'));
  } catch { /* outside the user's patrols: nothing to list */ }
  return el;
}

export { dueText };
