// One case: its details, photos, full history, and the actions the user may
// take on it now (docs/domain.md's closed loop; the server decides in the end and
// its refusal is shown as it words it).
import { api, objectURL, NetworkError } from './api.js';
import { h, modal, field, toast, errorText, failBox, photoPicker } from './ui.js';
import { STATES, STATE_COLOURS, ACTIONS, GRADES, CATEGORIES, ROLES, fmtTime, fmtDate, fmtShort, daysLate, todayShanghai, placeName } from './labels.js';
import { cases, overlay, FIELD_ACTIONS } from './store.js';
import { queue } from './queue.js';
import { cachedGet } from './snapshot.js';

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

// place names a case by where it lies: 新港街道 · 立新社区第1网格 (the
// township only where the reader sees more than one)
export function casePlace(p, { showTownship = true } = {}) {
  const grid = p.grid_name || p.grid_code;
  return showTownship && p.township_name ? `${p.township_name} · ${grid}` : grid;
}

// deadlineText: what a card says of the deadline — 已销号 and when,
// 逾期 N 天, or 期限 and the date
export function deadlineText(p) {
  if (p.state === 'closed') return `销号 ${fmtShort(p.closed_at)}`;
  if (!p.deadline) return '';
  if (p.overdue) return `逾期 ${Math.max(1, daysLate(p.deadline))} 天`;
  return `期限 ${fmtShort(p.deadline)}`;
}

// escalationBadge: escalated to the county (level 1) or the city (2).
export function escalationBadge(p) {
  if (!p.escalated) return null;
  return h('span', { class: 'badge escalated', 'data-escalation': p.escalation_level },
    p.escalation_level >= 2 ? '已升级至市级' : '已升级至县区');
}

// caseSummary is a case's card; on the board, whose columns are states,
// it leaves out the state (showState false).
export function caseSummary(f, { onOpen, showTownship = true, showState = true } = {}) {
  const p = f.properties;
  const deadline = deadlineText(p);
  return h('button', { type: 'button', class: `case-card${p.overdue ? ' overdue' : ''}`, 'data-case': f.id, 'data-number': p.number || '',
    onclick: () => onOpen && onOpen(f) },
    h('div', { class: 'case-card-top' }, showState ? stateBadge(p.state) : null, p.grade === 'major' ? h('span', { class: 'badge major' }, '重大') : null,
      p.overdue ? h('span', { class: 'badge overdue' }, '逾期') : null,
      escalationBadge(p),
      p.number ? h('span', { class: 'case-no' }, p.number) : null),
    h('div', { class: 'case-cat' }, CATEGORIES[p.category] || '其他'),
    h('div', { class: 'case-desc' }, p.description),
    h('div', { class: 'case-meta' }, casePlace(p, { showTownship })),
    h('div', { class: 'case-meta' }, [`上报 ${fmtShort(p.reported_at)}`, deadline, p.assignee_name ? `责任人 ${p.assignee_name}` : '']
      .filter(Boolean).join(' · ')));
}

// assigneeLabel: 陈晓东 · 立新社区 · 立新社区第1网格、第2网格（本网格）, or an
// office: 新港街道应急办 · 镇街应急办
export function assigneeLabel(a) {
  if (a.role !== 'worker') return `${a.display_name} · ${ROLES[a.role] || '工作人员'}`;
  const grids = (a.grid_names || []).join('、');
  return [a.display_name, (a.communities || []).map(placeName).join('、'), grids].filter(Boolean).join(' · ') + (a.own_grid ? '（本网格）' : '');
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

// askAction gathers what an action needs: its body, and for a submit the
// photos (sent by the queue ahead of the action); null when cancelled.
async function askAction(action, f) {
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
      // chosen by case number: the possible duplicates found when it was
      // reported first, then the other cases the user has
      const others = cases.list().filter((c) => c.id !== f.id && c.properties.number);
      const byNumber = new Map(others.map((c) => [c.properties.number, c.id]));
      const dups = (p.possible_duplicates || []);
      const v = await modal('合并为重复案件', (form) => form.append(
        dups.length ? h('p', { class: 'hint' }, `上报时发现附近有 ${dups.length} 件同类未销号隐患，可从下拉列表选择。`) : null,
        field('重复于（案件编号）', h('input', { name: 'duplicate_of', required: true, list: 'case-numbers', placeholder: '例如 2026-新港-0042', autocomplete: 'off' })),
        h('datalist', { id: 'case-numbers' },
          dups.map((d) => h('option', { value: d.number || d.id }, `${CATEGORIES[d.category] || ''} 相距 ${d.distance_m} 米 · ${STATES[d.state] || ''}`)),
          others.slice(0, 200).map((c) => h('option', { value: c.properties.number }, c.properties.description.slice(0, 30))))), {
        submitText: '合并',
        validate: async (form) => {
          const typed = String(new FormData(form).get('duplicate_of') || '').trim();
          const dup = dups.find((d) => d.number === typed || d.id === typed);
          if (dup) return dup.id;
          if (byNumber.has(typed)) return byNumber.get(typed);
          if (/^[0-9a-f-]{36}$/i.test(typed)) return typed;
          const r = await api.get(`/api/v1/search?q=${encodeURIComponent(typed)}&layers=cases&limit=2`);
          const hit = (r.results || []).find((x) => x.name === typed);
          if (!hit) throw new Error(`没有找到编号为“${typed}”的案件`);
          return hit.id;
        },
      });
      return v && { ...body, duplicate_of: v };
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
          // the case's own grid worker first and chosen; otherwise nobody is,
          // so accepting the dialog cannot put the task on the wrong phone
          const own = people.find((a) => a.own_grid);
          const options = [h('option', { value: '', disabled: true, selected: !own }, '请选择整改责任人')];
          for (const a of people) {
            options.push(h('option', { value: String(a.id), selected: own === a, 'data-own-grid': a.own_grid ? 'true' : undefined }, assigneeLabel(a)));
          }
          form.append(field('整改责任人', h('select', { name: 'assignee', required: true, 'data-testid': 'assignee' }, options),
            own ? '已选中本网格的网格员' : '本网格暂无网格员账号，请选择负责整改的人员'));
        } else {
          form.append(h('p', { class: 'form-error' }, people ? '本镇街暂无可派遣的人员，请联系管理员添加网格员账号。' : '无法读取可派遣人员，请稍后重试。'));
        }
        form.append(field('整改期限', h('input', { type: 'date', name: 'deadline', required: true, min: todayShanghai(1), value: todayShanghai(p.grade === 'major' ? 30 : 7) })));
        if (p.grade === 'major') {
          form.append(h('p', { class: 'hint' }, '重大隐患须落实“五落实”：责任、措施、资金、时限、预案。'),
            text('responsibility', '责任落实', false), text('measures', '整改措施', true), text('funds', '整改资金', true), text('plan', '应急预案', true));
        }
        form.append(text('note', '备注', false));
      }, {
        submitText: '派遣',
        validate: (form) => {
          const fd = new FormData(form);
          if (!fd.get('assignee')) throw new Error('请选择整改责任人');
          return fd;
        },
      });
      if (!v) return null;
      const out = { ...body, assignee: Number(v.get('assignee')), deadline: v.get('deadline') };
      for (const k of ['responsibility', 'measures', 'funds', 'plan', 'note']) if (v.get(k)) out[k] = v.get(k);
      return out;
    }
    case 'submit': {
      const picker = photoPicker({ capture: 'environment', testid: 'submit-thumbs' });
      const v = await modal('提交核查', (form) => form.append(
        field('整改后照片（至少一张）', picker.input), picker.thumbs,
        text('note', '整改说明', false)), {
        submitText: '提交',
        validate: (form) => {
          if (!picker.files().filter((x) => x.size).length) throw new Error('请至少拍摄或选择一张照片');
          return new FormData(form);
        },
      });
      if (!v) return null;
      const out = { ...body, photos: picker.files().filter((x) => x.size) };
      if (v.get('note')) out.note = v.get('note');
      return out;
    }
    default:
      return body;
  }
}

// act takes an action on case f (as the user sees it). The field actions
// (start, submit, return) go through the queue, so they work with no
// signal: sent at once when there is one. Returns the case after it, or
// {queued} when it waits to be sent, or null when cancelled or refused.
export async function act(action, f, u) {
  let body;
  try {
    body = await askAction(action, f);
    if (!body) return null;
    if (FIELD_ACTIONS[action]) return await queueAction(f, body);
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

// historyLine: what an event did, said once — 派遣 (登记 → 已派遣), 上报,
// 延期 (no change of state) — and who to when it named someone
function historyLine(e) {
  const change = e.from_state && e.from_state !== e.to_state ? `（${STATES[e.from_state] || ''} → ${STATES[e.to_state] || ''}）` : '';
  return [h('strong', {}, ACTIONS[e.action] || '处理'), change];
}

async function queueAction(f, body) {
  const { action, version, photos, ...fields } = body;
  const item = await queue.add({
    kind: 'action', caseId: f.id, action, version, fields, photos,
    label: `${ACTIONS[action]} · ${(f.properties.description || '').slice(0, 30)}`,
  });
  if (navigator.onLine) await queue.flush();
  const left = await queue.get(item.id);
  if (!left) {
    const doc = cases.byId.get(f.id);
    toast(`${ACTIONS[action]}：已完成${doc ? `，当前状态「${STATES[doc.properties.state]}」` : ''}`, 'ok');
    return doc || { queued: false };
  }
  if (left.error && left.error.kind === 'refused') {
    toast(`${ACTIONS[action]}被服务器拒绝：${left.error.text || left.error.message}（见“待发送”）`, 'error');
    return { queued: true };
  }
  toast(`${ACTIONS[action]}：已保存在手机上，恢复网络后自动发送`, 'info');
  return { queued: true };
}

// renderCase fills el with the case's details and history; a failed read
// says so with 重试 and 关闭 (onClose), never an empty panel.
export async function renderCase(el, id, u, { onChanged, onLocate, onClose } = {}) {
  el.replaceChildren(h('p', { class: 'muted' }, '加载中…'));
  let doc;
  let kept = false;
  try {
    doc = await cachedGet(`/api/v1/cases/${id}`);
    kept = !navigator.onLine;
  } catch (e) {
    // no signal and never opened: what the case list holds
    if (!(e instanceof NetworkError) || !cases.byId.has(id)) {
      el.replaceChildren(failBox('无法读取案件', e, { retry: () => renderCase(el, id, u, { onChanged, onLocate, onClose }), back: onClose, backText: '关闭' }));
      return;
    }
    doc = cases.byId.get(id);
    kept = true;
  }
  const pending = await queue.pending(id);
  const server = doc;
  doc = overlay(doc, pending, u.id);
  const p = doc.properties;
  const photos = h('div', { class: 'photos' });
  const buttons = actionsFor(u, p).map((a) => h('button', {
    type: 'button', class: a === 'void' || a === 'reject' || a === 'return' ? 'secondary' : 'primary', 'data-action': a,
    onclick: async () => {
      const done = await act(a, { id: doc.id, properties: p }, u);
      if (done) { await renderCase(el, id, u, { onChanged, onLocate, onClose }); if (onChanged) onChanged(done); }
    },
  }, ACTIONS[a]));
  const row = (k, v) => [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '—' : v)];
  const dups = p.possible_duplicates || [];
  el.replaceChildren(
    h('div', { class: 'case-detail', 'data-case-id': doc.id, 'data-state': p.state, 'data-pending': pending.length || null },
      kept ? h('p', { class: 'offline-note' }, '离线：显示手机上保存的案件信息') : null,
      pending.length ? h('div', { class: 'pending-box', 'data-testid': 'case-pending' },
        h('strong', {}, '待发送：'), pending.map((it) => h('div', {},
          `${ACTIONS[it.action] || it.action}（${fmtTime(it.created)} 保存${it.photos && it.photos.length ? `，照片 ${it.photos.length} 张` : ''}）`,
          it.error && it.error.kind === 'refused' ? h('span', { class: 'form-error' }, ` 服务器拒绝：${it.error.text || it.error.message}`) : null))) : null,
      h('div', { class: 'case-card-top' }, stateBadge(p.state), h('span', { class: 'badge grade' }, GRADES[p.grade] || '隐患'),
        p.overdue ? h('span', { class: 'badge overdue' }, '逾期') : null, escalationBadge(p)),
      h('h3', {}, CATEGORIES[p.category] || '其他', p.number ? h('span', { class: 'case-no' }, p.number) : null),
      h('p', { class: 'case-desc' }, p.description),
      h('dl', { class: 'props' },
        row('案件编号', p.number),
        row('所在位置', [p.county_name, p.township_name, placeName(p.village_name)].filter(Boolean).join(' ')),
        row('网格', p.grid_name || p.grid_code),
        row('上报人', p.reporter_name),
        row('上报时间', fmtTime(p.reported_at)),
        row('整改责任人', p.assignee_name),
        row('整改期限', p.deadline ? fmtTime(p.deadline) : null),
        p.closed_at ? row('销号时间', fmtTime(p.closed_at)) : null,
        p.responsibility ? row('责任落实', p.responsibility) : null,
        p.measures ? row('整改措施', p.measures) : null,
        p.funds ? row('整改资金', p.funds) : null,
        p.plan ? row('应急预案', p.plan) : null,
        p.interim_controls ? row('临时管控措施', p.interim_controls) : null,
        dups.length ? row('疑似重复', dups.map((d) => `${d.number || ''} 相距 ${d.distance_m} 米（${STATES[d.state] || ''}）`).join('；')) : null),
      onLocate && doc.geometry ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'locate-case', onclick: () => onLocate(doc) }, '在地图上定位') : null,
      buttons.length ? h('div', { class: 'actions' }, buttons) : null,
      photos,
      h('h4', {}, '处理记录'),
      h('ol', { class: 'history' }, (doc.events || []).map((e) => h('li', {},
        h('div', {}, historyLine(e)),
        h('div', { class: 'muted' }, `${fmtTime(e.at)} · ${e.actor_name || '—'}（${ROLES[e.role] || '—'}）`),
        e.deadline ? h('div', {}, `整改期限 ${fmtDate(e.deadline)}`) : null,
        e.note ? h('div', {}, `意见：${e.note}`) : null,
        e.reason ? h('div', {}, `原因：${e.reason}`) : null)))));
  for (const a of doc.attachments || []) {
    if (!/^image\//.test(a.content_type) || !navigator.onLine) continue;
    objectURL(a.url).then((u2) => photos.append(h('img', { src: u2, alt: a.filename || '照片', loading: 'lazy' }))).catch(() => {});
  }
  if (!kept) cases.put(server);
}
