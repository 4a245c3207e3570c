// The search box: type part of a name, an address, a grid's name or code,
// an area, a credit code or a case number; the server's matches in the
// user's scope are listed, best first, and picking one hands it to onPick.
// Used on the map (flies there) and in forms (chooses a risk point).
import { api } from './api.js';
import { h, clear } from './ui.js';
import { errorText } from './messages.js';
import { LAYERS } from './labels.js';

const KIND = { ...LAYERS, areas: '行政区划', cases: '隐患案件' };

// searchBox returns the element; layers narrows what is looked for (the
// API's names), onPick receives the chosen result ({layer, id, name,
// detail, center, bbox}).
export function searchBox({ placeholder = '搜索名称、地址、网格、编码、案件编号', layers, onPick, testid = 'search', label = '搜索' } = {}) {
  const input = h('input', { type: 'search', placeholder, 'aria-label': label, autocomplete: 'off', enterkeyhint: 'search',
    'data-testid': `${testid}-input`, role: 'combobox', 'aria-expanded': 'false', 'aria-autocomplete': 'list' });
  const list = h('ul', { class: 'search-results', role: 'listbox', hidden: true, 'data-testid': `${testid}-results` });
  const box = h('div', { class: 'search-box', 'data-testid': testid }, input, list);
  let timer = null;
  let seq = 0;
  let results = [];
  let active = -1;

  const close = () => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); active = -1; };
  const mark = () => [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
  const pick = (r) => { close(); input.value = r.name; onPick(r); };
  const show = (items) => {
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    clear(list, items);
  };
  const run = async () => {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { close(); return; }
    let r;
    try {
      r = await api.get(`/api/v1/search?q=${encodeURIComponent(q)}&limit=12${layers ? `&layers=${layers.join(',')}` : ''}`);
    } catch (e) {
      if (mine === seq) show(h('li', { class: 'search-note form-error' }, errorText(e)));
      return;
    }
    if (mine !== seq) return; // a later query is on its way
    results = r.results || [];
    active = results.length ? 0 : -1;
    show(results.length ? results.map((x, i) => h('li', {
      role: 'option', 'data-layer': x.layer, 'data-id': String(x.id), 'aria-selected': String(i === active),
      onmousedown: (e) => e.preventDefault(), // keep the focus: the click picks
      onclick: () => pick(x),
    }, h('span', { class: 'search-kind' }, KIND[x.layer] || ''), h('span', { class: 'search-name' }, x.name),
    x.detail ? h('span', { class: 'search-detail' }, x.detail) : null)) : h('li', { class: 'search-note' }, `没有找到“${q}”`));
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 250); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!results.length) return;
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : results.length - 1)) % results.length;
      mark();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(timer);
      if (!list.hidden && results[active]) pick(results[active]);
      else run();
    } else if (e.key === 'Escape') {
      if (!list.hidden) { e.stopPropagation(); close(); }
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  input.addEventListener('focus', () => { if (results.length && input.value.trim()) { list.hidden = false; input.setAttribute('aria-expanded', 'true'); } });
  box.input = input;
  box.clear = () => { input.value = ''; results = []; close(); };
  return box;
}
