package demo

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"strings"
)

// The real codes and names, shipped with the binary so the demo needs no
// files at run time.
//
//go:embed data/shanwei_townships_2023.csv data/shanwei_villages_2023.csv
var adminCSV embed.FS

type county struct {
	Code string // 12 digits
	Name string
}

type township struct {
	Code       string // 12 digits
	Name       string
	Short      string // name without 街道/镇, for names like 河田石门水库
	Kind       string // 街道, 镇 or other(场/区)
	Government string // the responsible body: 街道办事处, 镇人民政府, 管理委员会
	CountyCode string
}

type village struct {
	Code         string
	Name         string // the official name, e.g. 新港村委会
	Short        string // e.g. 新港村, for grid and risk point names
	TownshipCode string
}

// adminUnits is the part of the code lists the demo city is made of.
type adminUnits struct {
	CityName  string
	Counties  []county
	Townships []township
	Villages  []village
}

// readAdminUnits parses the embedded CSVs and keeps the units inDemo.
func readAdminUnits() (adminUnits, error) {
	var u adminUnits
	towns, err := readCSV("data/shanwei_townships_2023.csv",
		"town_code", "town_name", "county_code", "county_name", "city_name", "kind")
	if err != nil {
		return u, err
	}
	seenCounty := map[string]bool{}
	kept := map[string]bool{}
	for _, r := range towns {
		code, name, kind := r["town_code"]+"000", r["town_name"], r["kind"]
		if !inDemo(code, kind) {
			continue
		}
		cc := r["county_code"] + "000000"
		if !seenCounty[cc] {
			seenCounty[cc] = true
			u.Counties = append(u.Counties, county{Code: cc, Name: r["county_name"]})
		}
		u.CityName = r["city_name"]
		kept[code] = true
		u.Townships = append(u.Townships, township{Code: code, Name: name, Short: townshipShort(name), Kind: kind,
			Government: townshipGovernment(name, kind), CountyCode: cc})
	}
	villages, err := readCSV("data/shanwei_villages_2023.csv", "village_code", "village_name", "town_code")
	if err != nil {
		return u, err
	}
	for _, r := range villages {
		tc := r["town_code"] + "000"
		if !kept[tc] {
			continue
		}
		u.Villages = append(u.Villages, village{Code: r["village_code"], Name: r["village_name"],
			Short: villageShort(r["village_name"]), TownshipCode: tc})
	}
	return u, nil
}

// readCSV returns the rows of an embedded CSV as maps over the wanted
// columns, found by header name so a reordered file still reads right.
func readCSV(name string, want ...string) ([]map[string]string, error) {
	b, err := adminCSV.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("parse %s: empty file", name)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, w := range want {
		if _, ok := col[w]; !ok {
			return nil, fmt.Errorf("parse %s: no column %q", name, w)
		}
	}
	rows := make([]map[string]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		row := make(map[string]string, len(want))
		for _, w := range want {
			row[w] = strings.TrimSpace(rec[col[w]])
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// inDemo says whether a township-level unit belongs to the demo city: every
// street and town except the four run by the 深汕特别合作区 (50), plus
// 华侨管理区, which reports like a township: the 51 towns and streets the
// city's own report counts. Farms, forest farms and the 星都 development
// zone are left out.
func inDemo(code, kind string) bool {
	switch code[:9] {
	case "441521102", "441521103", "441521104", "441521105": // 小漠, 鹅埠, 赤石, 鮜门: run by 深汕
		return false
	case "441581400": // 华侨管理区
		return true
	}
	return kind == "街道" || kind == "镇"
}

func townshipShort(name string) string {
	switch name {
	case "华侨管理区":
		return "华侨"
	case "星都经济开发试验区":
		return "星都"
	}
	for _, suffix := range []string{"街道", "镇"} {
		if s, ok := strings.CutSuffix(name, suffix); ok {
			return s
		}
	}
	return name
}

func townshipGovernment(name, kind string) string {
	switch kind {
	case "街道":
		return name + "办事处"
	case "镇":
		return name + "人民政府"
	}
	return name + "管理委员会"
}

// villageShort turns an official name into the one people use:
// 新港村委会 → 新港村, 立新社区居委会 → 立新社区,
// 汕尾市华侨管理区侨兴街道第五村民委员会 → 侨兴第五村.
func villageShort(name string) string {
	if rest, ok := strings.CutPrefix(name, "汕尾市华侨管理区侨兴街道"); ok {
		name = "侨兴" + rest
	}
	for _, r := range []struct{ suffix, keep string }{
		{"村民委员会", "村"}, {"居民委员会", ""}, {"村委会", "村"}, {"居委会", ""}, {"居委", ""},
	} {
		if s, ok := strings.CutSuffix(name, r.suffix); ok {
			return s + r.keep
		}
	}
	return name
}
