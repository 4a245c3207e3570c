// Small DOM helpers: h() builds elements, toast() tells, modal() asks,
// failBox() says what went wrong and offers a way on.
import { errorText } from './messages.js';

export { errorText };

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function toast(message, kind = 'info') {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const t = h('div', { class: `toast ${kind}` }, message);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

// modal shows a form; resolves with the FormData-like object on submit, or
// null when cancelled. build(form) fills the form; validate may throw a
// message to show.
export function modal(title, build, { submitText = '确定', validate } = {}) {
  return new Promise((resolve) => {
    const err = h('p', { class: 'form-error', role: 'alert' });
    // the browser's own bubbles are easy to miss: required fields are
    // checked here and named in the dialog
    const form = h('form', { class: 'modal-form', novalidate: true });
    build(form);
    const close = (v) => { overlay.remove(); resolve(v); };
    form.append(err, h('div', { class: 'modal-buttons' },
      h('button', { type: 'button', class: 'secondary', onclick: () => close(null) }, '取消'),
      h('button', { type: 'submit', class: 'primary' }, submitText)));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const invalid = [...form.elements].filter((x) => x.willValidate && !x.checkValidity());
      if (invalid.length) {
        const label = (x) => { const l = x.closest('.field'); return l ? l.querySelector('.field-label').textContent : '必填项'; };
        const choose = invalid.filter((x) => x.tagName === 'SELECT' || x.type === 'file').map(label);
        const fill = invalid.filter((x) => x.tagName !== 'SELECT' && x.type !== 'file').map(label);
        err.textContent = [choose.length ? `请选择${choose.join('、')}` : '', fill.length ? `请填写${fill.join('、')}` : ''].filter(Boolean).join('；');
        invalid[0].focus();
        return;
      }
      try {
        const v = validate ? await validate(form) : new FormData(form);
        close(v);
      } catch (ex) {
        err.textContent = errorText(ex);
      }
    });
    const overlay = h('div', { class: 'modal-overlay' },
      h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': title }, h('h3', {}, title), form));
    // Escape cancels, as 取消 does
    overlay.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); close(null); } });
    document.body.append(overlay);
    const first = form.querySelector('input, select, textarea');
    if (first) first.focus();
  });
}

export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control, hint ? h('small', {}, hint) : null);
}

export function select(name, options, value, attrs = {}) {
  return h('select', { name, ...attrs }, Object.entries(options).map(([k, v]) => h('option', { value: k, selected: String(k) === String(value) }, v)));
}

// failBox is what a view shows instead of its content when loading failed:
// the reason in Chinese, 重试 when it can be tried again, and a way back.
export function failBox(what, e, { retry, back, backText = '返回' } = {}) {
  return h('div', { class: 'fail-box', role: 'alert', 'data-testid': 'fail-box' },
    h('p', { class: 'form-error' }, `${what}：${errorText(e)}`),
    h('div', { class: 'actions' },
      retry ? h('button', { type: 'button', class: 'primary', onclick: retry }, '重试') : null,
      back ? h('button', { type: 'button', class: 'secondary', onclick: back }, backText) : null));
}

// photoPicker: a file input for photos that shows a thumbnail of each
// chosen photo, each removable; choosing again adds to them. files() lists
// what is chosen (the input itself is emptied after each choice).
export function photoPicker({ name = 'photos', capture, testid = 'photo-thumbs' } = {}) {
  let files = [];
  const thumbs = h('div', { class: 'photos thumbs', 'data-testid': testid });
  const paint = () => clear(thumbs, files.map((f, i) => {
    const url = URL.createObjectURL(f);
    return h('figure', { class: 'thumb' }, h('img', { src: url, alt: f.name || '照片', onload: () => URL.revokeObjectURL(url) }),
      h('button', { type: 'button', class: 'thumb-remove', 'aria-label': `移除第 ${i + 1} 张照片`, onclick: () => { files.splice(i, 1); paint(); } }, '×'));
  }));
  const input = h('input', { type: 'file', name, accept: 'image/*', capture, multiple: true,
    onchange: () => { files = files.concat([...input.files]); input.value = ''; paint(); } });
  return { input, thumbs, files: () => files.slice(), reset: () => { files = []; paint(); } };
}
