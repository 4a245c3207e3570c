package demo

import "testing"

// The demo city: every street and town of the four counties except the four
// run by 深汕 (50), plus 华侨管理区: 51 townships.
func TestReadAdminUnitsKeepsTheDemoTownships(t *testing.T) {
	u, err := readAdminUnits()
	if err != nil {
		t.Fatal(err)
	}
	if u.CityName != "汕尾市" || len(u.Counties) != 4 || len(u.Townships) != 51 || len(u.Villages) != 848 {
		t.Fatalf("got %s, %d counties, %d townships, %d villages; want 汕尾市, 4, %d, %d",
			u.CityName, len(u.Counties), len(u.Townships), len(u.Villages), 51, 848)
	}
	byCode := map[string]township{}
	for _, tw := range u.Townships {
		byCode[tw.Code] = tw
	}
	for _, c := range []struct {
		code string
		in   bool
	}{
		{"441502001000", true},  // 新港街道
		{"441521115000", true},  // 海城镇
		{"441581400000", true},  // 华侨管理区
		{"441581451000", false}, // 星都经济开发试验区
		{"441521103000", false}, // 鹅埠镇, run by 深汕
		{"441521105000", false}, // 鮜门镇, run by 深汕
		{"441581450000", false}, // 铜锣湖农场
	} {
		if _, ok := byCode[c.code]; ok != c.in {
			t.Errorf("township %s in demo: %v, want %v", c.code, ok, c.in)
		}
	}
	for _, g := range readinessGaps() {
		if _, ok := byCode[g.Township]; !ok {
			t.Errorf("readiness gap in township %s, which is not in the demo", g.Township)
		}
	}
	for _, l := range countyLayouts() {
		if l.SeatTown != "" {
			if _, ok := byCode[l.SeatTown]; !ok {
				t.Errorf("county %s: seat town %s is not in the demo", l.Code, l.SeatTown)
			}
		}
	}
}

func TestVillageShortDropsTheCommitteeSuffix(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"新港村委会", "新港村"},
		{"立新社区居委会", "立新社区"},
		{"新楼社区居民委员会", "新楼社区"},
		{"盐町头社区居委", "盐町头社区"},
		{"汕尾市华侨管理区侨兴街道第五村民委员会", "侨兴第五村"},
		{"汕尾市华侨管理区侨兴街道第一社区居民委员会", "侨兴第一社区"},
		{"场部社区", "场部社区"},
	} {
		if got := villageShort(c.name); got != c.want {
			t.Errorf("villageShort(%s) = %s, want %s", c.name, got, c.want)
		}
	}
}

func TestTownshipShortAndGovernment(t *testing.T) {
	for _, c := range []struct{ name, kind, short, gov string }{
		{"新港街道", "街道", "新港", "新港街道办事处"},
		{"河田镇", "镇", "河田", "河田镇人民政府"},
		{"星都经济开发试验区", "other(场/区)", "星都", "星都经济开发试验区管理委员会"},
	} {
		if s, g := townshipShort(c.name), townshipGovernment(c.name, c.kind); s != c.short || g != c.gov {
			t.Errorf("%s: %s %s, want %s %s", c.name, s, g, c.short, c.gov)
		}
	}
}

func TestLoginsHaveEveryRoleAndUsablePasswords(t *testing.T) {
	roles := map[string]bool{}
	seen := map[string]bool{}
	for _, l := range Logins() {
		roles[l.Role] = true
		if seen[l.Username] {
			t.Errorf("username %s twice", l.Username)
		}
		seen[l.Username] = true
		if len(l.Password) < 8 {
			t.Errorf("%s: password shorter than 8 characters", l.Username)
		}
	}
	for _, r := range []string{"admin", "city", "county", "township", "worker", "planner"} {
		if !roles[r] {
			t.Errorf("no demo login with role %s", r)
		}
	}
}
