package zh

// entry is one message: its English format as the code writes it (after
// any "field: " prefix, which is worded separately) and its Chinese, with
// {1}, {2}… for the format's values in order.
type entry struct{ en, zh string }

// catalogue holds the messages people meet in the web app: reporting and
// the closed loop, evidence, locating, signing in, the statistics, search,
// lists and the forms' fields. Every en here is a format some package
// writes (TestEveryEntryIsAMessageTheCodeWrites).
var catalogue = []entry{
	// reporting a case (cases.Report, cases.ParseReport)
	{"role %s may not report cases", "{1}不能上报隐患"},
	{"the location lies in grid %s, not one of your grids", "该位置在网格 {1}，不是您负责的网格"},
	{"the location lies in grid %s, outside your area", "该位置在网格 {1}，不在您的辖区内"},
	{"id %s is already taken: make a new id for a new %s", "编号 {1} 已被使用，请重新{2}"},
	{"id %s was already used for a different %s: make a new id for a new %s", "编号 {1} 已用于另一条{2}，请重新{3}"},
	{"%s: no %s %d in your area", "{1}：您的辖区内没有编号为 {3} 的{2}"},
	{"body is not a valid GeoJSON Feature: %v", "提交的内容格式有误"},
	{"body has data after the Feature", "提交的内容格式有误"},
	{"want \"Feature\", got %q", "格式有误"},
	{"want a UUID made by the client (e.g. 0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10), got %s", "编号格式有误"},
	{"want a string", "应为文字"},
	{"may not be empty", "不能为空"},
	{"longer than %d characters (%d)", "不能超过 {1} 字（现有 {2} 字）"},
	{"want an RFC 3339 time such as 2021-06-01T09:30:00+08:00, got %s", "时间格式有误"},
	{"want a positive whole number, got %s", "应为正整数"},
	{"unknown property for a case report (allowed: grade, category, description, device_time, risk_point_id, hazard_source_id)", "上报中有无法识别的内容"},
	{"required", "必填"},
	{"required: a Point (or a risk_point_id or hazard_source_id whose location is taken)", "请确定隐患位置（或选择风险点、危险源）"},
	{"unknown value %q; allowed: %s", "{1}不是可选的值"},
	{"point (%.7f, %.7f) lies in %s", "该位置（{1}，{2}）{3}"},

	// hidden hazards found on a patrol or an inspection (cases.ParseFindings)
	{"want a list of hidden hazards, each {\"description\", \"grade\", \"category\"}: %v", "隐患清单格式有误"},
	{"at most 50 hidden hazards at once, got %d", "一次最多登记 50 条隐患（现有 {1} 条）"},
	{"longer than 2000 characters", "不能超过 2000 字"},
	{"unknown property of a hidden hazard (allowed: description, grade, category, location)", "隐患中有无法识别的内容"},
	{"required: what is wrong", "请填写隐患描述"},

	// an action or a photo sent again from the phone's outbox (client_id)
	{"want a UUID made by the client for this action (e.g. 0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10), got %q", "操作编号格式有误"},
	{"client_id: want a UUID made by the client for this upload, got %q", "照片编号格式有误"},
	{"client_id %s was already used for a different action: make a new id for a new action", "操作编号 {1} 已用于另一次操作，请重新操作"},
	{"client_id %s was already used for a different upload: make a new id for a new file", "照片编号 {1} 已用于另一张照片，请重新上传"},

	// the closed loop (cases.Rules, cases.Store.Act)
	{"unknown action %q", "无法识别的操作{1}"},
	{"unknown action %q; allowed: %s", "无法识别的操作{1}"},
	{"role %s may not %s a case", "{1}无权对案件进行“{2}”操作"},
	{"version: required: the version of the case you read", "缺少案件版本，请刷新后重试"},
	{"required: the version of the case you read", "缺少案件版本，请刷新后重试"},
	{"case %s is at version %d (state %s), not %d: reload it and try again", "案件已被他人处理（当前状态：{3}），请刷新后重试"},
	{"cannot %s a case that is %s (allowed from: %s)", "案件当前为“{2}”，不能{1}（只能在{3}时{1}）"},
	{"the case is not in your area", "该案件不在您的辖区内"},
	{"case %s is not in your area", "该案件不在您的辖区内"},
	{"case %s not found", "案件不存在或不在您的辖区内"},
	{"only the assignee may %s this case", "只有整改责任人才能{1}"},
	{"a major hazard is approved or rejected by the county or the city, not by role %s", "重大隐患须由县区或市应急管理局核查，{1}不能核查"},
	{"you submitted this case: someone else must %s it", "本案件由您提交核查，须由他人{1}"},
	{"only a major hazard can be %sed; this case is %s", "只有重大隐患可以{1}；本案件为{2}"},
	{"the case was closed on %s, more than %d days ago: it can no longer be %sed", "本案件已于 {1} 销号，超过 {2} 天，不能再{3}"},
	{"not used by action %s", "“{1}”操作不需要此项"},
	{"%s is not in the future", "期限应晚于现在"},
	{"%s does not extend the current deadline %s", "新期限应晚于当前期限 {2}"},
	{"no case %s in your area", "您的辖区内没有该案件"},
	{"a case cannot duplicate itself", "案件不能与自身重复"},
	{"case %s is itself a duplicate of %s: merge into that one", "该案件本身是重复案件，请合并到它所重复的案件"},
	{"case %s is void", "该案件已不予登记"},
	{"no attachment %s on this case: upload it to /api/v1/cases/%s/attachments first", "照片尚未上传到本案件，请重试"},
	{"at most %d attachments an action, got %d", "每次最多附 {1} 张照片"},
	{"submit needs at least one photo (image/jpeg, image/png or image/webp) as evidence", "提交核查须至少附一张整改后照片"},
	{"want an attachment id (a UUID), got %q", "照片编号格式有误"},
	{"want a case id (a UUID), got %q", "案件编号格式有误"},
	{"body is not a valid action: %v", "提交的内容格式有误"},
	{"body has data after the action", "提交的内容格式有误"},
	{"no user %d", "该人员不存在"},
	{"user %d (%s) is disabled", "该账号已停用"},
	{"user %d (%s) is a grid worker of another township", "该网格员不属于本镇街"},
	{"the case is outside the area of user %d (%s)", "该案件不在此人员的辖区内"},
	{"user %d (%s) is a %s bureau, which assigns and approves but does not rectify: assign a grid worker or the township office", "{3}负责派遣和核查，不承担整改，请派遣网格员或镇街应急办"},
	{"user %d (%s) has role %s, which does not rectify hazards", "{3}不承担隐患整改"},
	{"role %s does not assign cases", "{1}不派遣案件"},

	// evidence (cases.Attach, blobs)
	{"role %s may not add evidence to cases", "{1}不能为案件添加照片"},
	{"case %s is %s: it takes no more evidence", "案件已{2}，不能再添加照片"},
	{"attachment %s not found", "照片不存在"},
	{"%s: empty", "{1}是空文件"},
	{"%s: the content is %s; allowed: %s", "{1}的格式不支持，请上传 JPEG、PNG 或 WebP 照片"},
	{"%s: larger than the limit of %d bytes", "{1}太大，超过了上限"},
	{"want a multipart/form-data body with the file in field \"file\", got Content-Type %q", "上传格式有误"},
	{"file: required (multipart field \"file\")", "请选择要上传的文件"},
	{"request body larger than %d bytes", "提交的内容太大"},
	{"the attachment store cannot be read at the moment", "照片暂时无法读取，请稍后再试"},
	{"request body of %d bytes is larger than the limit of %d bytes", "提交的内容太大"},

	// where a point is, search, lists
	{"q: say what to search for", "请输入要搜索的内容"},
	{"q: at most 100 characters, got %d", "搜索内容不能超过 100 个字"},
	{"want a whole number from 1 to %d, got %q", "应为 1 到 {1} 之间的整数"},
	{"not a cursor this server issued", "分页参数有误，请重新查询"},
	{"want minLon,minLat,maxLon,maxLat, got %q", "范围格式有误"},
	{"want a 12-digit area code or a 15-digit grid code, got %q", "应为 12 位区划代码或 15 位网格编码"},
	{"want a 12-digit administrative code, got %q", "应为 12 位区划代码"},
	{"unknown layer %q; allowed: %s", "无法识别的图层{1}"},
	{"unknown state %q; allowed: %s", "无法识别的状态{1}"},
	{"want true or false, got %q", "应为是或否"},
	{"want general or major, got %q", "应为一般隐患或重大隐患"},
	{"unknown category %q", "无法识别的类别{1}"},
	{"not a finite number: %q", "应为数字"},
	{"%v out of range [%v, %v]", "超出范围"},
	{"no such path: %s", "页面不存在"},
	{"%s %d not found", "该{1}不存在或不在您的辖区内"},
	{"%s %d is not in your area", "该{1}不在您的辖区内"},
	{"%s %d is at version %d, not %s: reload it and apply your change again", "该{1}已被他人修改，请刷新后重新修改"},
	{"the change would move %s %d to %s, outside your area", "修改后的位置不在您的辖区内"},
	{"geometry is not valid: %s", "图形无效"},
	{"properties.%s is derived by the server and cannot be changed", "{1}由系统生成，不能修改"},
	{"not found", "未找到"},
	{"unknown query parameter(s) %s; this route takes: %s", "无法识别的参数：{1}"},
	{"unknown parameter", "无法识别的参数"},

	// statistics
	{"want county, township or grid, got %q", "应为按县区、按镇街或按网格"},
	{"group_by: want county, township or grid, got %q", "分组方式应为按县区、按镇街或按网格"},
	{"%s is after to %s", "{1} 晚于结束日期 {2}"},
	{"from %s is after to %s", "开始日期 {1} 晚于结束日期 {2}"},
	{"want a date YYYY-MM-DD, got %q", "日期格式应为 年-月-日"},
	{"want json, csv or xlsx, got %q", "不支持的格式{1}"},
	{"area %s not found", "区域不存在"},
	{"area %s is outside your area", "该区域不在您的辖区内"},
	{"area %s %s is outside your area", "{2}不在您的辖区内"},

	// coverage
	{"coverage, readiness, depot sufficiency and siting are for township offices, counties, the city and planners; grid workers see the layers of their grids", "覆盖分析、“四个一”和物资保障由镇街、县区、市应急管理部门和规划人员使用"},
	{"facility %q: want stations or depots", "设施应为应急站点或物资储备仓库"},
	{"want a finite number, got %q", "应为数字"},

	// signing in and accounts
	{"wrong username or password", "用户名或密码错误"},
	{"this account is disabled", "该账号已停用，请联系管理员"},
	{"too many failed logins; try again in %d s", "登录失败次数过多，请 {1} 秒后再试"},
	{"username and password are required", "请输入用户名和密码"},
	{"invalid token", "登录已失效，请重新登录"},
	{"token expired, revoked or unknown: log in again", "登录已过期，请重新登录"},
	{"missing bearer token: log in at /api/v1/auth/login", "请先登录"},
	// personal access tokens (auth/access_tokens.go)
	{"a personal access token cannot make tokens: log in with your password", "访问令牌不能创建令牌，请用密码登录后再创建"},
	{"access token expired, revoked or unknown: make a new one in the app", "访问令牌已过期、已撤销或无效，请在系统中重新创建"},
	{"you have no access token %d", "您没有编号为 {1} 的访问令牌"},
	{"not logged in", "请先登录"},
	{"the current password is wrong", "当前密码不正确"},
	{"new password: %v", "新密码不符合要求"},
	{"role %s may not use %s", "{1}无权使用此功能"},
	{"password: %v", "密码不符合要求"},
	{"a new user needs a password", "新账号须设置密码"},
	{"password: required for a new user", "新账号须设置密码"},
	{"username %q is taken", "用户名{1}已被使用"},
	{"user %d not found", "该账号不存在"},
	{"role %q: want one of %s", "无法识别的角色{1}"},
	{"role %s needs at least one area (--area CODE)", "{1}须指定至少一个辖区"},
	{"a worker is scoped to grids (--grid), not areas", "网格员的范围是网格，不是行政区划"},
	{"only workers are scoped to grids", "只有网格员按网格划定范围"},
	{"%s %s does not exist", "{1} {2} 不存在"},

	// the database
	{"the database is unavailable; try again shortly", "数据库暂时不可用，请稍后再试"},

	// detail messages (short phrases next to a field)
	{"outside your grids", "不在您负责的网格内"},
	{"outside your area", "不在您的辖区内"},
	{"outside all grids", "不在任何网格内"},
	{"stale version", "已被他人修改"},
	{"illegal move", "当前状态不允许此操作"},
	{"major only", "仅限重大隐患"},
	{"reopen window passed", "已超过可重新整改的期限"},
	{"already taken", "已被使用"},
	{"used for a different report", "已用于另一条上报"},
	{"used for a different action", "已用于另一次操作"},
	{"used for a different upload", "已用于另一张照片"},
	{"not a UUID", "不是有效的编号"},
	{"too long", "太长"},
	{"too large", "太大"},
	{"type not allowed", "格式不支持"},
	{"empty", "为空"},
	{"unknown field", "无法识别"},
	{"no such area", "区域不存在"},
	{"no such risk point", "风险点不存在"},
	{"no such hazard source", "危险源不存在"},
}

// words are the codes that messages carry as values, and the fields they
// name, as people say them.
var words = map[string]string{
	// roles
	"admin": "系统管理员", "city": "市应急管理局", "county": "县区应急管理局", "township": "镇街应急办", "worker": "网格员", "planner": "规划人员",
	// states
	"reported": "上报", "registered": "登记", "assigned": "已派遣", "rectifying": "整改中", "submitted": "待核查",
	"closed": "已销号", "void": "不予登记", "duplicate": "重复", "suspended": "挂账",
	// actions (also as the verb stems of "%sed")
	"register": "登记", "merge": "合并", "assign": "派遣", "return": "退回", "start": "开始整改", "extend": "延期",
	"suspend": "挂账", "resume": "恢复整改", "submit": "提交核查", "approve": "核查通过", "reject": "核查不通过", "reopen": "重新整改",
	// grades
	"general": "一般隐患", "major": "重大隐患",
	// layers
	"risk point": "风险点", "hazard source": "危险源", "risk_points": "风险点", "hazard_sources": "危险源", "stations": "应急站点",
	"depots": "物资储备仓库", "grids": "网格", "areas": "行政区划", "cases": "隐患案件", "station": "应急站点", "depot": "物资储备仓库",
	"grid": "网格", "area": "行政区划",
	// what a client id names (cases.Replies.What)
	"report": "上报",
	// where a point lies
	"no grid": "不在任何网格内", "no grid of your area": "不在您辖区的任何网格内",
	// fields and parameters
	"geometry": "位置", "lon,lat": "位置", "lon": "经度", "lat": "纬度", "id": "编号", "version": "版本", "state": "状态",
	"type": "类型", "grade": "隐患等级", "category": "类别", "description": "隐患描述", "device_time": "上报时间",
	"properties.grade": "隐患等级", "properties.category": "类别", "properties.description": "隐患描述",
	"properties.device_time": "上报时间", "properties.risk_point_id": "风险点", "properties.hazard_source_id": "危险源",
	"action": "操作", "assignee": "整改责任人", "deadline": "整改期限", "reason": "原因", "note": "意见", "attachments": "照片",
	"duplicate_of": "重复于", "measures": "整改措施", "funds": "整改资金", "plan": "应急预案", "responsibility": "责任落实",
	"interim_controls": "临时管控措施", "file": "文件", "from": "开始日期", "to": "结束日期", "group_by": "分组方式",
	"format": "格式", "facility": "设施", "max_distance_m": "最大距离", "max_minutes": "最长时间", "q": "搜索内容",
	"layers": "图层", "limit": "数量", "cursor": "分页", "bbox": "范围", "username": "用户名", "password": "密码",
	"name": "名称", "address": "地址", "phone": "电话", "risk_level": "风险等级", "status": "状态",
}
