package demo

// Login is a demo account as the command prints it: the password is the
// clear text, for demonstrations only.
type Login struct {
	Username, Password, Role, Scope string
}

// account is a demo user with what it takes to create it.
type account struct {
	Login
	DisplayName string
	Phone       string
	Areas       []string // 12-digit area codes (user_areas)
	GridVillage string   // workers: every grid of this village (user_grids)
}

// accounts are one user per role, two workers in 新港街道 and a second
// township, so that scopes can be seen to differ.
func accounts() []account {
	return []account{
		{Login: Login{"admin", "demo-admin-2026", "admin", "全部 (everything)"}, DisplayName: "系统管理员"},
		{Login: Login{"city", "demo-city-2026", "city", "汕尾市 441500000000"},
			DisplayName: "汕尾市应急管理局", Areas: []string{"441500000000"}},
		{Login: Login{"haifeng", "demo-haifeng-2026", "county", "海丰县 441521000000"},
			DisplayName: "海丰县应急管理局", Areas: []string{"441521000000"}},
		{Login: Login{"xingang", "demo-xingang-2026", "township", "城区 新港街道 441502001000"},
			DisplayName: "新港街道应急办", Areas: []string{"441502001000"}},
		{Login: Login{"jieshi", "demo-jieshi-2026", "township", "陆丰市 碣石镇 441581102000"},
			DisplayName: "碣石镇应急办", Areas: []string{"441581102000"}},
		{Login: Login{"worker1", "demo-worker1-2026", "worker", "新港街道 立新社区的网格 441502001001xxx"},
			DisplayName: "陈晓东", Phone: "13726081001", GridVillage: "441502001001"},
		{Login: Login{"worker2", "demo-worker2-2026", "worker", "新港街道 海港社区的网格 441502001002xxx"},
			DisplayName: "林秀娟", Phone: "13726081002", GridVillage: "441502001002"},
		{Login: Login{"planner", "demo-planner-2026", "planner", "汕尾市 441500000000"},
			DisplayName: "市应急局规划科", Areas: []string{"441500000000"}},
	}
}

// Logins lists the demo accounts and their passwords.
func Logins() []Login {
	acc := accounts()
	out := make([]Login, len(acc))
	for i, a := range acc {
		out[i] = a.Login
	}
	return out
}
