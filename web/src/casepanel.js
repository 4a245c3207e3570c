// One case: its details, photos, full history, and the actions the user may
// take on it now (docs/domain.md's closed loop; the server decides in the end and
// its refusal is shown as it words it).
import { api, request, objectURL } from './api.js';
import { h, modal, field, select, toast, errorText } from './ui.js';
import { STATES, STATE_COLOURS, ACTIONS, GRADES, CATEGORIES, ROLES, fmtTime, fmtDate, todayShanghai } from './labels.js';
import { cases } from './store.js';

const OFFICE = ['township', 'county', 'city'];

// actionsFor lists the actions to offer user u on case f (properties p).
export function actionsFor(u, p) {
  const office = OFFICE.includes(u.role);
  const county = u.role === 'county' || u.role === 'city';
  const mine = p.assignee === u.id;
  const out = [];
  switch (p.state) {
    case 'reported': if (office) out.push('register', 'void', 'merge'); break;
    case 'registered': if (office) out.push('assign', 'merge'); break;
    case 'assigned': if (mine) out.push('start', 'return'); if (office) out.push('merge'); break;
    case 'rectifying':
      if (mine) out.push('submit');
      if (office) out.push('extend');
      if (county && p.grade === 'major') out.push('suspend');
      break;
    case 'suspended': if (county) out.push('resume'); break;
    case 'submitted':
      if (p.submitted_by !== u.id && ((u.role === 'township' && p.grade === 'general') || county)) out.push('approve', 'reject');
      break;
    case 'closed': if (county) out.push('reopen'); break;
    default:
  }
  return out;
}

function stateBadge(state) {
  return h('span', { class: 'badge', style: { background: STATE_COLOURS[state] || '#757575' } }, STATES[state] || state);
}

export function caseSummary(f, { onOpen } = {}) {
  const p = f.properties;
  return h('button', { type: 'button', class: `case-card${p.overdue ? ' overdue' : ''}`, 'data-case': f.id, onclick: () => onOpen && onOpen(f) },
    h('div', { class: 'case-card-top' }, stateBadge(p.state), p.grade === 'major' ? h('span', { class: 'badge major' }, '重大') : null,
      p.overdue ? h('span', { class: 'badge overdue' }, '逾期') : null, h('span', { class: 'case-cat' }, CATEGORIES[p.category] || p.category)),
    h('div', { class: 'case-desc' }, p.description),
    h('div', { class: 'case-meta' }, `网格 ${p.grid_code}`, ' · ', `上报 ${fmtTime(p.reported_at)}`,
      p.deadline ? ` · 期限 ${fmtDate(p.deadline)}` : '', p.assignee_name ? ` · 责任人 ${p.assignee_name}` : ''));
}

async function uploadPhotos(id, files) {
  const ids = [];
  for (const f of files) {
    const fd = new FormData();
    fd.append('file', f, f.name || 'photo.jpg');
    const a = await request('POST', `/api/v1/cases/${id}/attachments`, { body: fd });
    ids.push(a.id);
  }
  return ids;
}

async function assignees(id) {
  try {
    const r = await api.get(`/api/v1/cases/${id}/assignees`);
    return r.assignees || [];
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

// askAction gathers what an action needs; null when cancelled.
async function askAction(action, f, u) {
  const p = f.properties;
  const body = { action, version: p.version };
  const text = (name, label, required, attrs = {}) => field(label, h('textarea', { name, rows: 2, required, ...attrs }));
  switch (action) {
    case 'register': case 'start': case 'resume':
      return body;
    case 'void': case 'return': case 'reject': case 'reopen': {
      const v = await modal(ACTIONS[action], (form) => form.append(text('reason', '原因', true)), { submitText: ACTIONS[action] });
      return v && { ...body, reason: v.get('reason') };
    }
    case 'approve': {
      const v = await modal('核查通过，销号', (form) => form.append(text('note', '核查意见', true, { placeholder: '例如：现场核查，已整改到位' })), { submitText: '销号' });
      return v && { ...body, note: v.get('note') };
    }
    case 'merge': {
      const others = cases.list().filter((c) => c.id !== f.id);
      const v = await modal('合并为重复案件', (form) => form.append(
        field('重复于（案件编号）', h('input', { name: 'duplicate_of', required: true, list: 'case-ids', placeholder: 'UUID' })),
        h('datalist', { id: 'case-ids' }, (p.possible_duplicates || []).map((d) => h('option', { value: d.id }, `${CATEGORIES[d.category] || ''} ${d.distance_m} 米`)),
          others.slice(0, 50).map((c) => h('option', { value: c.id }, c.properties.description.slice(0, 30))))), { submitText: '合并' });
      return v && { ...body, duplicate_of: v.get('duplicate_of').trim() };
    }
    case 'extend': {
      const v = await modal('延期', (form) => form.append(
        field('新期限', h('input', { type: 'date', name: 'deadline', required: true, min: todayShanghai(1) })), text('reason', '原因', true)), { submitText: '延期' });
      return v && { ...body, deadline: v.get('deadline'), reason: v.get('reason') };
    }
    case 'suspend': {
      const v = await modal('挂账', (form) => form.append(text('reason', '原因', true), text('interim_controls', '临时管控措施', true)), { submitText: '挂账' });
      return v && { ...body, reason: v.get('reason'), interim_controls: v.get('interim_controls') };
    }
    case 'assign': {
      const people = await assignees(f.id);
      const v = await modal('派遣整改', (form) => {
        if (people && people.length) {
          const opts = {};
          for (const a of people) opts[a.id] = `${a.display_name}（${ROLES[a.role] || a.role}${a.grids && a.grids.length ? ' · ' + a.grids.join(',') : ''}）`;
          form.append(field('整改责任人', select('assignee', opts, people[0].id, { required: true })));
        } else {
          form.append(field('整改责任人（用户编号）', h('input', { name: 'assignee', type: 'number', min: 1, required: true, value: p.reporter || '' }),
            people ? '本镇街暂无可派遣人员' : '服务器未提供人员列表，请输入用户编号'));
        }
        form.append(field('整改期限', h('input', { type: 'date', name: 'deadline', required: true, min: todayShanghai(1), value: todayShanghai(p.grade === 'major' ? 30 : 7) })));
        if (p.grade === 'major') {
          form.append(h('p', { class: 'hint' }, '重大隐患须落实“五落实”：责任、措施、资金、时限、预案。'),
            text('responsibility', '责任落实', false), text('measures', '整改措施', true), text('funds', '整改资金', true), text('plan', '应急预案', true));
        }
        form.append(text('note', '备注', false));
      }, { submitText: '派遣' });
      if (!v) return null;
      const out = { ...body, assignee: Number(v.get('assignee')), deadline: v.get('deadline') };
      for (const k of ['responsibility', 'measures', 'funds', 'plan', 'note']) if (v.get(k)) out[k] = v.get(k);
      return out;
    }
    case 'submit': {
      const v = await modal('提交核查', (form) => form.append(
        field('整改后照片（至少一张）', h('input', { type: 'file', name: 'photos', accept: 'image/*', capture: 'environment', multiple: true, required: true })),
        text('note', '整改说明', false)), {
        submitText: '提交',
        validate: (form) => {
          const fd = new FormData(form);
          if (!fd.getAll('photos').filter((x) => x.size).length) throw new Error('请至少拍摄或选择一张照片');
          return fd;
        },
      });
      if (!v) return null;
      const photos = v.getAll('photos').filter((x) => x.size);
      const ids = await uploadPhotos(f.id, photos);
      const out = { ...body, attachments: ids };
      if (v.get('note')) out.note = v.get('note');
      return out;
    }
    default:
      return body;
  }
}

export async function act(action, f, u) {
  try {
    const body = await askAction(action, f, u);
    if (!body) return null;
    const doc = await api.post(`/api/v1/cases/${f.id}/actions`, body);
    cases.put(doc);
    toast(`${ACTIONS[action]}：已完成，当前状态「${STATES[doc.properties.state]}」`, 'ok');
    return doc;
  } catch (e) {
    toast(`${ACTIONS[action]}失败：${errorText(e)}`, 'error');
    if (e.status === 409) await cases.refresh(f.id);
    return null;
  }
}

// renderCase fills el with the case's details and history.
export async function renderCase(el, id, u, { onChanged, onLocate } = {}) {
  el.replaceChildren(h('p', { class: 'muted' }, '加载中…'));
  let doc;
  try {
    doc = await api.get(`/api/v1/cases/${id}`);
  } catch (e) {
    el.replaceChildren(h('p', { class: 'form-error' }, `无法读取案件：${errorText(e)}`));
    return;
  }
  const p = doc.properties;
  const photos = h('div', { class: 'photos' });
  const buttons = actionsFor(u, p).map((a) => h('button', {
    type: 'button', class: a === 'void' || a === 'reject' || a === 'return' ? 'secondary' : 'primary', 'data-action': a,
    onclick: async () => {
      const done = await act(a, { id: doc.id, properties: p }, u);
      if (done) { await renderCase(el, id, u, { onChanged, onLocate }); if (onChanged) onChanged(done); }
    },
  }, ACTIONS[a]));
  el.replaceChildren(
    h('div', { class: 'case-detail', 'data-case-id': doc.id, 'data-state': p.state },
      h('div', { class: 'case-card-top' }, stateBadge(p.state), h('span', { class: 'badge grade' }, GRADES[p.grade] || p.grade),
        p.overdue ? h('span', { class: 'badge overdue' }, '逾期') : null, p.escalated ? h('span', { class: 'badge overdue' }, '已升级至县区') : null),
      h('h3', {}, CATEGORIES[p.category] || p.category),
      h('p', { class: 'case-desc' }, p.description),
      h('dl', { class: 'props' },
        h('dt', {}, '案件编号'), h('dd', { class: 'mono' }, doc.id),
        h('dt', {}, '网格'), h('dd', {}, p.grid_code),
        h('dt', {}, '上报人'), h('dd', {}, p.reporter_name || '—'),
        h('dt', {}, '上报时间'), h('dd', {}, fmtTime(p.reported_at)),
        h('dt', {}, '整改责任人'), h('dd', {}, p.assignee_name || '—'),
        h('dt', {}, '整改期限'), h('dd', {}, fmtTime(p.deadline)),
        p.closed_at ? [h('dt', {}, '销号时间'), h('dd', {}, fmtTime(p.closed_at))] : null,
        p.measures ? [h('dt', {}, '整改措施'), h('dd', {}, p.measures)] : null,
        p.possible_duplicates && p.possible_duplicates.length ? [h('dt', {}, '疑似重复'), h('dd', {}, p.possible_duplicates.map((d) => `${d.distance_m} 米 ${STATES[d.state] || d.state}`).join('；'))] : null),
      onLocate && doc.geometry ? h('button', { type: 'button', class: 'link', onclick: () => onLocate(doc) }, '在地图上定位') : null,
      buttons.length ? h('div', { class: 'actions' }, buttons) : null,
      photos,
      h('h4', {}, '处理记录'),
      h('ol', { class: 'history' }, (doc.events || []).map((e) => h('li', {},
        h('div', {}, h('strong', {}, ACTIONS[e.action] || e.action), ' ', e.from_state ? `${STATES[e.from_state]} → ` : '', STATES[e.to_state] || e.to_state),
        h('div', { class: 'muted' }, `${fmtTime(e.at)} · ${e.actor_name || ''}（${ROLES[e.role] || e.role || ''}）`),
        e.deadline ? h('div', {}, `期限 ${fmtDate(e.deadline)}`) : null,
        e.note ? h('div', {}, `意见：${e.note}`) : null,
        e.reason ? h('div', {}, `原因：${e.reason}`) : null)))));
  for (const a of doc.attachments || []) {
    if (!/^image\//.test(a.content_type)) continue;
    objectURL(a.url).then((u2) => photos.append(h('img', { src: u2, alt: a.filename || '照片', loading: 'lazy' }))).catch(() => {});
  }
  cases.put(doc);
}
