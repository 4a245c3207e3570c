// 离线与存储: what the phone holds for working with no signal — when the data
// was last synced, the offline map (download, size before, progress during,
// refresh, delete), the storage used and whether the browser may evict it.
// startOffline asks for persistent storage and keeps the offline map fresh.
import { getAll, NetworkError } from './api.js';
import { h, clear, toast, errorText } from './ui.js';
import { fmtTime } from './labels.js';
import { cachedGet, snapshots } from './snapshot.js';
import { queue } from './queue.js';
import * as om from './offlinemap.js';

const MB = (b) => `${(b / 1048576).toFixed(b < 10485760 ? 1 : 0)} MB`;
// room kept free for queued photos: the map never takes the last of it
const RESERVE = 50 * 1048576;

// storageInfo: what the origin uses and may use, and whether it is kept.
export async function storageInfo() {
  const s = navigator.storage;
  if (!s || !s.estimate) return null;
  const [est, persisted] = await Promise.all([s.estimate(), s.persisted ? s.persisted() : Promise.resolve(false)]);
  return { usage: est.usage || 0, quota: est.quota || 0, persisted };
}

// askPersistence asks the browser not to evict this app's data (the queue,
// the offline map) when the phone runs short of space.
export async function askPersistence() {
  try {
    if (navigator.storage && navigator.storage.persist && !(await navigator.storage.persisted())) return await navigator.storage.persist();
    return true;
  } catch {
    return false;
  }
}

// What a user may download: a worker their grids, an office a township.
async function gridsOf(user, township) {
  if (user.role === 'worker') return cachedGet('/api/v1/grids?limit=500', (p) => getAll(p, 500));
  const areas = await cachedGet('/api/v1/areas?limit=2000', (p) => getAll(p, 2000));
  const area = areas.find((a) => a.properties.code === township);
  if (!area) throw new Error('未找到该镇街');
  const b = om.bboxOfGrid(area);
  const grids = await getAll(`/api/v1/grids?bbox=${b.join(',')}&limit=2000`, 5000);
  return grids.filter((g) => g.properties.township_code === township);
}

async function townshipsOf(user) {
  try {
    const areas = await cachedGet('/api/v1/areas?limit=2000', (p) => getAll(p, 2000));
    return areas.filter((a) => a.properties.level === 'township').sort((a, b) => a.properties.code.localeCompare(b.properties.code));
  } catch {
    return [];
  }
}

export function offlinePanel(ctx) {
  const { user } = ctx;
  const el = h('section', { class: 'view offline-panel', 'data-testid': 'offline-panel' }, h('h2', {}, '离线与存储'));
  const state = h('div', { 'data-testid': 'offline-state' });
  const packList = h('div', { class: 'pack-list', 'data-testid': 'offline-packs' });
  const work = h('div', { class: 'pack-work', 'data-testid': 'offline-download' });
  const storage = h('div', { 'data-testid': 'storage' });
  el.append(state, h('h3', {}, '离线地图'), packList, work, h('h3', {}, '手机存储'), storage);

  const paintState = async () => {
    const waiting = (await queue.all()).length;
    clear(state,
      h('p', {}, navigator.onLine ? '在线' : '离线', snapshots.stale ? ` · 显示的数据更新于 ${fmtTime(snapshots.stale)}` : ''),
      h('p', { class: 'muted' }, waiting ? `待发送 ${waiting} 项，有网络时按顺序自动发送` : '没有待发送的内容'));
  };

  const paintStorage = async () => {
    const s = await storageInfo();
    if (!s) { clear(storage, h('p', { class: 'muted' }, '此浏览器不报告存储用量')); return; }
    clear(storage,
      h('p', { 'data-testid': 'storage-usage' }, `已用 ${MB(s.usage)}，可用约 ${MB(Math.max(0, s.quota - s.usage))}`),
      h('p', { 'data-testid': 'storage-persisted' }, s.persisted ? '持久存储：已开启（空间不足时浏览器不会清除离线数据和待发送内容）'
        : '持久存储：未开启，空间不足时浏览器可能清除离线地图；待发送内容请尽快在有网络时发送',
      s.persisted ? null : h('button', { type: 'button', class: 'link', onclick: async () => {
        toast((await askPersistence()) ? '已开启持久存储' : '浏览器未同意持久存储（安装到桌面后通常会同意）', 'info');
        paintStorage();
      } }, '申请持久存储')));
  };

  const paintPacks = async () => {
    const list = await om.packs();
    clear(packList, list.length ? list.map((p) => h('div', { class: 'pack', 'data-pack': p.id },
      h('div', {}, h('strong', {}, p.label)),
      h('div', { class: 'muted' }, `${p.tiles} 个瓦片 · ${MB(p.bytes)} · 缩放 ${p.minzoom}–${p.maxzoom}（更大比例由 ${p.maxzoom} 级放大） · 更新于 ${fmtTime(p.at)}`,
        p.complete ? '' : ` · ${p.failed} 个未下载`),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'pack-refresh', onclick: () => refresh(p) }, '更新'),
        h('button', { type: 'button', class: 'secondary', onclick: async () => {
          if (!confirm(`删除离线地图「${p.label}」？`)) return;
          await om.removePack(p.id);
          paintPacks(); paintStorage();
        } }, '删除'))))
      : h('p', { class: 'muted' }, '尚未下载离线地图。没有信号时，地图只显示已下载的范围。'));
  };

  const progress = (label) => {
    const bar = h('progress', { max: 1, value: 0 });
    const text = h('span', { 'data-testid': 'download-progress' }, '准备中…');
    clear(work, h('p', {}, label), bar, text);
    return (st) => {
      bar.max = st.total; bar.value = st.done;
      text.textContent = ` 已下载 ${st.done} / ${st.total} 个瓦片，${MB(st.bytes)}`;
    };
  };

  const refresh = async (p) => {
    if (!navigator.onLine) { toast('当前离线，恢复网络后再更新', 'info'); return; }
    try {
      const [r] = await om.refreshPacks(0, progress(`正在更新「${p.label}」（未变化的瓦片不重新下载）`)).then((all) => all.filter((x) => x.id === p.id));
      toast(`离线地图已更新：${r ? r.changed : 0} 个瓦片有变化`, 'ok');
    } catch (e) {
      toast(`更新失败：${errorText(e)}`, 'error');
    }
    clear(work); chooser(); paintPacks(); paintStorage();
  };

  // choose what to download, show its size, then download it
  const chooser = async () => {
    const pick = user.role === 'worker' ? null
      : h('select', { name: 'township', 'data-testid': 'offline-township' }, (await townshipsOf(user)).map((a) => h('option', { value: a.properties.code }, a.properties.name)));
    const go = h('button', { type: 'button', class: 'primary', 'data-testid': 'offline-plan' }, '下载离线地图');
    go.onclick = async () => {
      if (!navigator.onLine) { toast('当前离线，请在有网络时下载', 'info'); return; }
      go.disabled = true;
      clear(work, h('p', { class: 'muted' }, '正在计算大小…'));
      try {
        const code = pick ? pick.value : null;
        const label = pick ? `${pick.selectedOptions[0].textContent}（镇街）` : '我的网格';
        const grids = await gridsOf(user, code);
        if (!grids.length) throw new Error('没有可下载的网格');
        const tj = await om.tileJSON();
        const p = om.plan(grids, tj);
        const est = await om.estimate(p);
        const s = await storageInfo();
        const room = s ? s.quota - s.usage - RESERVE : Infinity;
        const start = h('button', { type: 'button', class: 'primary', 'data-testid': 'offline-start', disabled: est.bytes > room }, '开始下载');
        clear(work,
          h('p', { 'data-testid': 'offline-estimate', 'data-bytes': est.bytes, 'data-tiles': est.tiles },
            `${label}：${grids.length} 个网格，约 ${MB(est.bytes)}（${est.tiles} 个瓦片，缩放 ${p.minzoom}–${p.maxzoom}），预计 ${Math.max(1, est.seconds)} 秒`),
          est.bytes > room ? h('p', { class: 'form-error' }, `手机可用空间不足（约 ${MB(Math.max(0, room))}）：请先删除其他离线地图`) : null,
          h('div', { class: 'actions' }, start, h('button', { type: 'button', class: 'secondary', onclick: () => { clear(work); chooser(); } }, '取消')));
        start.onclick = async () => {
          start.disabled = true;
          await askPersistence();
          const id = code ? `township:${code}` : 'grids';
          try {
            const st = await om.download(p.urls, { onProgress: progress(`正在下载「${label}」`) });
            await om.savePack({ id, label, code, grids: grids.map((g) => g.properties.code), urls: p.urls, tiles: p.urls.length,
              bytes: st.bytes, failed: st.failed, complete: st.failed === 0, minzoom: p.minzoom, maxzoom: p.maxzoom,
              at: new Date().toISOString(), ms: Math.round(st.ms) });
            toast(`离线地图已下载：${p.urls.length} 个瓦片，${MB(st.bytes)}，用时 ${(st.ms / 1000).toFixed(1)} 秒`, 'ok');
            clear(work, h('p', { 'data-testid': 'offline-done', 'data-bytes': st.bytes, 'data-ms': Math.round(st.ms) },
              `已完成：${p.urls.length} 个瓦片，${MB(st.bytes)}，用时 ${(st.ms / 1000).toFixed(1)} 秒${st.failed ? `，${st.failed} 个失败（可点“更新”重试）` : ''}`));
          } catch (e) {
            toast(`下载中断：${errorText(e)}（已下载的部分保留）`, 'error');
            clear(work);
          }
          chooser(); paintPacks(); paintStorage();
        };
      } catch (e) {
        clear(work, h('p', { class: 'form-error' }, `无法下载：${errorText(e)}`));
        chooser();
      }
    };
    work.append(h('div', { class: 'pack-choose' }, pick ? h('label', {}, '镇街 ', pick) : null, go));
  };

  paintState(); paintPacks(); paintStorage(); chooser();
  return el;
}

// startOffline: after login, ask for persistent storage, and keep the
// offline map fresh (revalidated by ETag twice a day and on reconnecting).
export function startOffline() {
  askPersistence();
  const stale = 12 * 3600e3;
  let running = false;
  const refresh = async (age) => {
    if (running || !navigator.onLine) return;
    running = true;
    try { await om.refreshPacks(age); } catch (e) { if (!(e instanceof NetworkError)) console.warn('离线地图更新失败：', e.message); }
    running = false;
  };
  setTimeout(() => refresh(stale), 5000);
  window.addEventListener('online', () => refresh(3600e3));
}

// forgetOffline empties what the phone holds for the user who logs out.
export async function forgetOffline() {
  await om.clearAll().catch(() => {});
  await snapshots.clear().catch(() => {});
}

