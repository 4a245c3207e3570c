// What the user reads when something fails. The server words its errors in
// Chinese for this app (it sends Accept-Language: zh-CN); whatever still
// comes without Chinese (an older server, a proxy's error page, a message
// not yet translated) is replaced by the meaning of its error code, so no
// English reaches the screen. Every view shows errors through errorText.
import { ApiError, NetworkError } from './api.js';

// The meaning of each error code of the API (the codes are fixed; their
// HTTP statuses are in api/errors.go).
export const CODE_MESSAGES = {
  invalid: '请求内容有误，请检查后重试',
  unprocessable: '提交的内容不符合要求，请检查后重试',
  not_found: '未找到所需内容（可能已被删除，或不在您的辖区）',
  conflict: '数据已被他人修改或状态已变化，请刷新后重试',
  precondition_failed: '数据已被他人修改，请刷新后重试',
  unauthorized: '登录已过期，请重新登录',
  forbidden: '您无权进行此操作',
  too_large: '文件或内容太大',
  too_many_requests: '操作太频繁，请稍后再试',
  unavailable: '服务暂时不可用，请稍后再试',
  internal: '服务器出现错误，请稍后再试或联系管理员',
  insufficient_storage: '服务器存储空间不足，请联系管理员',
  method_not_allowed: '不支持此操作',
};

const STATUS_MESSAGES = {
  400: CODE_MESSAGES.invalid, 401: CODE_MESSAGES.unauthorized, 403: CODE_MESSAGES.forbidden, 404: CODE_MESSAGES.not_found,
  409: CODE_MESSAGES.conflict, 412: CODE_MESSAGES.precondition_failed, 413: CODE_MESSAGES.too_large,
  422: CODE_MESSAGES.unprocessable, 429: CODE_MESSAGES.too_many_requests, 502: '服务器网关错误，请稍后再试',
  503: CODE_MESSAGES.unavailable, 504: '服务器响应超时，请稍后再试', 507: CODE_MESSAGES.insufficient_storage,
};

// Field names the server puts in an error's details, as a clerk calls them.
export const FIELD_NAMES = {
  geometry: '位置', 'lon,lat': '位置', lon: '经度', lat: '纬度', id: '编号', version: '版本', state: '状态',
  grade: '隐患等级', category: '类别', description: '隐患描述', 'properties.grade': '隐患等级',
  'properties.category': '类别', 'properties.description': '隐患描述', 'properties.risk_point_id': '风险点',
  'properties.hazard_source_id': '危险源', assignee: '整改责任人', deadline: '整改期限', reason: '原因', note: '意见',
  attachments: '照片', duplicate_of: '重复于', measures: '整改措施', funds: '整改资金', plan: '应急预案',
  interim_controls: '临时管控措施', file: '文件', from: '开始日期', to: '结束日期', area: '区域', group_by: '分组',
  format: '格式', facility: '设施', max_distance_m: '最大距离', max_minutes: '最长时间', q: '搜索词',
  username: '用户名', password: '密码', limit: '数量', cursor: '分页',
};

const CJK = /[\u3400-\u9fff]/;
export const hasChinese = (s) => CJK.test(String(s || ''));

// errorText is the Chinese sentence for any error a request or a view can
// raise.
export function errorText(e) {
  if (!e) return '';
  if (e instanceof NetworkError || e.name === 'NetworkError') return '网络不可用，请检查网络后重试';
  if (e.name === 'AbortError') return '请求已取消';
  if (e instanceof ApiError || e.status) {
    const base = hasChinese(e.message) ? e.message : (CODE_MESSAGES[e.code] || STATUS_MESSAGES[e.status] || `请求失败（${e.status}）`);
    const details = (e.details || []).filter((d) => d && hasChinese(d.message) && !base.includes(d.message))
      .map((d) => (d.field && FIELD_NAMES[d.field] ? `${FIELD_NAMES[d.field]}：${d.message}` : d.message));
    const fields = hasChinese(e.message) ? [] : [...new Set((e.details || []).map((d) => FIELD_NAMES[d && d.field]).filter(Boolean))];
    let out = trimStop(base);
    if (details.length) out += `：${details.join('；')}`;
    else if (fields.length) out += `（${fields.join('、')}）`;
    return `${out}。`;
  }
  // a program error: the user gets a sentence, the console the detail
  return hasChinese(e.message) ? e.message : '页面出现错误，请重试';
}

function trimStop(s) { return String(s).replace(/[。.！!]+$/, ''); }
