// The Chinese names of docs/domain.md's codes.

export const ROLES = {
  admin: '系统管理员', system: '系统', city: '市应急局', county: '县级应急局', township: '镇街应急办', planner: '规划', worker: '网格员',
};

export const STATES = {
  reported: '上报', registered: '登记', assigned: '已派遣', rectifying: '整改中', submitted: '待核查',
  closed: '已销号', void: '不予登记', duplicate: '重复', suspended: '挂账',
};
export const OPEN_STATES = ['reported', 'registered', 'assigned', 'rectifying', 'submitted', 'suspended'];
// Case colours, each its own (on the map cases are diamonds, a shape no
// other layer has)
export const STATE_COLOURS = {
  reported: '#D81B60', registered: '#3949AB', assigned: '#00ACC1', rectifying: '#F4511E', submitted: '#546E7A',
  suspended: '#212121', closed: '#43A047', void: '#BDBDBD', duplicate: '#BDBDBD',
};

export const ACTIONS = {
  report: '上报', register: '登记', void: '不予登记', merge: '合并为重复', assign: '派遣', return: '退回',
  start: '开始整改', extend: '延期', suspend: '挂账', resume: '恢复整改', submit: '提交核查', approve: '核查通过（销号）',
  reject: '核查不通过', reopen: '重新整改', escalate: '逾期升级',
};

export const GRADES = { general: '一般隐患', major: '重大隐患' };

export const CATEGORIES = {
  geological: '地质灾害隐患点', flood: '山洪/内涝易涝点', reservoir: '水库山塘', coastal: '海堤/台风',
  forest_fire: '森林火险区', crowded_place: '人员密集场所', construction: '建筑施工', road_traffic: '道路交通',
  fire: '消防', other: '其他',
};

export const RISK_LEVELS = { 1: '重大风险', 2: '较大风险', 3: '一般风险', 4: '低风险' };
export const RISK_COLOURS = { 1: '#E53935', 2: '#FB8C00', 3: '#FDD835', 4: '#1E88E5' };

export const HAZARD_CATEGORIES = {
  hazardous_chemicals: '危险化学品', fireworks: '烟花爆竹', non_coal_mine: '非煤矿山', gas: '燃气', industrial_trade: '工贸', other: '其他',
};
export const HAZARD_LEVELS = { 1: '一级重大危险源', 2: '二级重大危险源', 3: '三级重大危险源', 4: '四级重大危险源' };

export const STATION_KINDS = { office: '应急管理办公室', rescue_team: '应急救援队', platform: '应急指挥平台' };
export const READINESS_ITEMS = { office: '应急管理办公室', rescue_team: '应急救援队', platform: '应急指挥平台', depot: '物资储备仓库' };

// Depot stock items (the server's default norms, coverage/sufficiency.go)
export const STOCK_ITEMS = {
  tents: '帐篷', quilts: '棉被', life_jackets: '救生衣', rubber_boats: '橡皮艇', generators: '发电机', pumps: '水泵',
  sandbags: '沙袋', drinking_water: '饮用水',
};

export const LAYERS = {
  areas: '行政区划', grids: '网格', risk_points: '风险点', hazard_sources: '危险源', stations: '应急站点', depots: '物资仓库', cases: '隐患案件',
};

// Property names shown in detail panels, in order; others follow by name.
export const PROPS = {
  name: '名称', code: '编码', level: '级别', category: '类别', risk_level: '风险等级', major_hazard_level: '重大危险源等级',
  kind: '类型', address: '地址', worker: '网格员', worker_phone: '网格员电话', households: '户数', population: '人口',
  responsible_unit: '责任单位', responsible_person: '责任人', phone: '电话', population_exposed: '影响人口',
  last_inspection: '最近巡查', status: '状态', credit_code: '统一社会信用代码', main_substances: '主要物质',
  legal_representative: '法定代表人', safety_officer: '安全负责人', safety_phone: '安全负责人电话', licence_no: '许可证号',
  licence_expiry: '许可证有效期', staff: '人员', vehicles: '车辆', on_duty_24h: '24小时值守', capacity_m2: '面积（m²）',
  keeper: '保管员', keeper_phone: '保管员电话', grid_code: '网格', township_code: '镇街', county_code: '县区',
  parent_code: '上级区划', open_cases: '未销号隐患', point_count: '数量', version: '版本',
};
export const AREA_LEVELS = { city: '市', county: '县区', township: '镇街', village: '村社区' };

export function propValue(key, v) {
  if (v === null || v === undefined || v === '') return '—';
  switch (key) {
    case 'risk_level': return RISK_LEVELS[v] || v;
    case 'major_hazard_level': return HAZARD_LEVELS[v] || v;
    case 'category': return CATEGORIES[v] || HAZARD_CATEGORIES[v] || v;
    case 'kind': return STATION_KINDS[v] || v;
    case 'level': return AREA_LEVELS[v] || v;
    case 'status': return v === 'active' ? '在用' : v === 'retired' ? '已撤销' : v;
    case 'on_duty_24h': return v ? '是' : '否';
    default: return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

const pad = (n) => String(n).padStart(2, '0');
// fmtTime shows a time in Asia/Shanghai (the city's zone), whatever the device's.
export function fmtTime(s) {
  if (!s) return '—';
  const t = new Date(s).getTime();
  if (!Number.isFinite(t)) return '—';
  const d = new Date(t + 8 * 3600e3);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}
export function fmtDate(s) { const t = fmtTime(s); return t === '—' ? t : t.slice(0, 10); }
// fmtShort: 12-17 within this year, 2025-12-17 otherwise
export function fmtShort(s) {
  const d = fmtDate(s);
  return d !== '—' && d.slice(0, 4) === todayShanghai().slice(0, 4) ? d.slice(5) : d;
}
// daysLate: whole days past a deadline (0 when not past)
export function daysLate(deadline) {
  const t = new Date(deadline).getTime();
  if (!Number.isFinite(t)) return 0;
  return Math.max(0, Math.floor((Date.now() - t) / 86400e3));
}
export function todayShanghai(offsetDays = 0) {
  const d = new Date(Date.now() + 8 * 3600e3 + offsetDays * 86400e3);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
export function pct(rate) { return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`; }

// placeName: a village or community as people say it (立新社区, not
// 立新社区居委会)
export function placeName(s) {
  return String(s || '').replace(/(居民委员会|村民委员会|居委会|村委会)$/, '');
}
