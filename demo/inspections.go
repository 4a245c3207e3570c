package demo

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap/cases"
)

// The demo's 2021 inspections: the bureau's whole paragraph, drawn so that
// counting the inspection and case rows gives it back exactly. Every hidden
// hazard found in 2021 (the 2,304 cases that make Year2021) is a finding of
// an inspection that day, at its enterprise; the other inspections found
// nothing.
const Year2021Paragraph = "监督检查各类生产经营单位585家，监督检查生产经营单位1698次，发现隐患2304处，应整改隐患2287处，已整改隐患2255处，" +
	"整改率为98.6%，实施行政处罚79次，罚款601.98万元。其中，市局检查各类生产经营单位89家、145次，实施行政处罚32次，罚款421.86万元。"

// The figures the year is drawn to (fines in fen).
const (
	inspections2021     = 1698
	enterprises2021     = 585
	cityInspections2021 = 145
	cityEnterprises2021 = 89
	cityPenalties2021   = 32
	otherPenalties2021  = 79 - cityPenalties2021
	cityFinesFen2021    = 421_860_000
	otherFinesFen2021   = 601_980_000 - cityFinesFen2021
)

// enterprise is a hazard source of the demo registry.
type enterprise struct {
	id       int64
	grid     *demoGrid
	lon, lat float64
	category string
}

// inspection is one drawn inspection.
type inspection struct {
	id         string
	enterprise *enterprise
	on         time.Time
	kind       string
	level      string
	office     string // the inspecting office's area code
	recorder   demoActor
	inspectors [2]demoActor
	penaltyNo  string
	fineFen    int64
	findings   []*demoCase
}

// enterpriseHazards are what inspections find, by the enterprise's category.
var enterpriseHazards = map[string]struct {
	category     string
	descriptions []string
}{
	"hazardous_chemicals": {"fire", []string{"危化品仓库超量储存", "储罐区可燃气体报警器失效", "安全技术说明书和标签缺失", "装卸作业未执行操作规程"}},
	"fireworks":           {"fire", []string{"药物存放超过核定量", "防静电设施失效", "工房人员超员", "库房防雷检测过期"}},
	"non_coal_mine":       {"geological", []string{"边坡台阶超高超陡", "排土场未按设计堆放", "爆破器材管理台账不全", "矿区警示标志缺失"}},
	"gas":                 {"fire", []string{"钢瓶检验过期仍在使用", "供气站泄漏报警装置故障", "瓶库通风不良", "用户端软管老化"}},
	"industrial_trade":    {"construction", []string{"粉尘作业场所清扫不及时", "有限空间作业未审批", "设备防护罩缺失", "叉车司机无证驾驶"}},
	"other":               {"other", []string{"消防通道被占用", "应急照明损坏", "安全培训记录缺失", "电气线路私拉乱接"}},
}

var inspectorNames = []string{"陈建华", "林志强", "黄晓东", "吴丽萍", "郑海波", "刘国栋", "蔡明辉", "许文涛", "彭卫国", "庄少雄",
	"叶秀兰", "杨振宇", "钟伟明", "罗家豪", "曾庆丰", "谢志坚"}

func inspectionID(n int) string {
	s := md5.Sum([]byte(fmt.Sprintf("riskmap-demo-inspection-%d", n)))
	h := hex.EncodeToString(s[:])
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-b" + h[17:20] + "-" + h[20:]
}

// demoEnterprises reads the registry, each enterprise with its grid.
func demoEnterprises(ctx context.Context, tx pgx.Tx, grids []*demoGrid) ([]*enterprise, error) {
	byCode := map[string]*demoGrid{}
	for _, g := range grids {
		byCode[g.code] = g
	}
	rows, err := tx.Query(ctx, `SELECT id, grid_code, ST_X(geom), ST_Y(geom), category FROM hazard_sources WHERE status = 'active' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("demo inspections: enterprises: %w", err)
	}
	defer rows.Close()
	var out []*enterprise
	for rows.Next() {
		e := &enterprise{}
		var grid string
		if err := rows.Scan(&e.id, &grid, &e.lon, &e.lat, &e.category); err != nil {
			return nil, err
		}
		if e.grid = byCode[grid]; e.grid != nil {
			out = append(out, e)
		}
	}
	return out, rows.Err()
}

// inspect2021 draws the year's inspections and makes every case found in
// 2021 a finding of one of them: the cases reported on one day go, two by
// two, to inspections that day; each moves to its enterprise (its place,
// its grid's people) and is reported by the inspecting office. The others
// found nothing. The city bureau's 145 inspections visit 89 enterprises,
// the townships' and counties' 1,553 the other 496; 32 and 47 of them end
// in fines adding up to the report's. city is the city bureau's account.
func inspect2021(cs []*demoCase, ents []*enterprise, city demoActor) ([]*inspection, error) {
	rng := rand.New(rand.NewPCG(2021, 1698))
	if len(ents) < enterprises2021 {
		return nil, fmt.Errorf("demo inspections: %d enterprises in the registry, %d needed", len(ents), enterprises2021)
	}
	y21, y22 := day(2021, 1, 1), day(2022, 1, 1)
	var found []*demoCase
	for _, c := range cs {
		r := c.events[0].at
		if s := c.last().to; !r.Before(y21) && r.Before(y22) && s != cases.Void && s != cases.Duplicate {
			found = append(found, c)
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].events[0].at.Before(found[j].events[0].at) })
	// findings: the day's cases two by two
	var ins []*inspection
	for i := 0; i < len(found); {
		d := dayOf(found[i].events[0].at)
		in := &inspection{on: d}
		for len(in.findings) < 2 && i < len(found) && dayOf(found[i].events[0].at).Equal(d) {
			in.findings = append(in.findings, found[i])
			i++
		}
		ins = append(ins, in)
	}
	if len(ins) > inspections2021 {
		return nil, fmt.Errorf("demo inspections: %d inspections found hazards, more than %d", len(ins), inspections2021)
	}
	for len(ins) < inspections2021 {
		ins = append(ins, &inspection{on: y21.AddDate(0, 0, 3+rng.IntN(358))})
	}
	sort.SliceStable(ins, func(i, j int) bool { return ins[i].on.Before(ins[j].on) })

	order := rng.Perm(len(ents))[:enterprises2021]
	cityEnts, otherEnts := order[:cityEnterprises2021], order[cityEnterprises2021:]
	nc, no := 0, 0
	var cityIns, otherIns []*inspection
	for i, in := range ins {
		in.id = inspectionID(i)
		if nc < cityInspections2021 && i*cityInspections2021/inspections2021 == nc {
			in.enterprise = ents[cityEnts[nc%cityEnterprises2021]]
			in.level, in.office, in.recorder = "city", "441500000000", city
			nc++
			cityIns = append(cityIns, in)
		} else {
			in.enterprise = ents[otherEnts[no%len(otherEnts)]]
			g := in.enterprise.grid
			if no%4 == 3 {
				in.level, in.office, in.recorder = "county", g.county, g.countyOffice
			} else {
				in.level, in.office, in.recorder = "township", g.township, g.office
			}
			no++
			otherIns = append(otherIns, in)
		}
		switch k := rng.IntN(20); {
		case k < 10:
			in.kind = "routine"
		case k < 15:
			in.kind = "random"
		case k < 18:
			in.kind = "special"
		default:
			in.kind = "follow_up"
		}
		// two enforcement officers: the office's account, where the demo
		// has one, and a named colleague
		first := demoActor{name: inspectorNames[rng.IntN(len(inspectorNames))], role: in.level}
		if in.recorder.id != nil {
			first = in.recorder
		}
		second := demoActor{name: inspectorNames[rng.IntN(len(inspectorNames))], role: in.level}
		for second.name == first.name {
			second.name = inspectorNames[rng.IntN(len(inspectorNames))]
		}
		in.inspectors = [2]demoActor{first, second}
		for _, c := range in.findings {
			in.take(c, rng)
		}
	}
	fine(rng, cityIns, cityPenalties2021, cityFinesFen2021, "汕应急罚")
	fine(rng, otherIns, otherPenalties2021, otherFinesFen2021, "应急罚")
	return ins, nil
}

// take makes case c a finding of in: at the enterprise, with the people of
// its grid, reported by the inspecting office.
func (in *inspection) take(c *demoCase, rng *rand.Rand) {
	e := in.enterprise
	from := c.grid
	c.grid, c.lon, c.lat = e.grid, e.lon, e.lat
	h := enterpriseHazards[e.category]
	if h.category == "" {
		h = enterpriseHazards["other"]
	}
	c.category, c.description = h.category, h.descriptions[rng.IntN(len(h.descriptions))]
	c.inspectionID, c.hazardSourceID = in.id, e.id
	swap := func(a demoActor) demoActor {
		switch a {
		case from.worker:
			return e.grid.worker
		case from.office:
			return e.grid.office
		case from.countyOffice:
			return e.grid.countyOffice
		}
		return a
	}
	for i := range c.events {
		ev := &c.events[i]
		ev.actor = swap(ev.actor)
		if ev.assignee != nil {
			a := swap(*ev.assignee)
			ev.assignee = &a
		}
	}
	c.events[0].actor = in.recorder
}

// fine gives n of the inspections penalties adding up to totalFen exactly,
// spread over the year, in whole hundreds of yuan.
func fine(rng *rand.Rand, ins []*inspection, n int, totalFen int64, prefix string) {
	weights := make([]int64, n)
	var sum int64
	for i := range weights {
		weights[i] = 1 + int64(rng.IntN(9))
		sum += weights[i]
	}
	left := totalFen
	for i := range n {
		in := ins[i*len(ins)/n]
		amount := totalFen * weights[i] / sum / 10000 * 10000 // whole hundreds of yuan
		if i == n-1 {
			amount = left
		}
		left -= amount
		in.fineFen = amount
		in.penaltyNo = fmt.Sprintf("%s〔2021〕%d号", prefix, i+1)
	}
}

func dayOf(t time.Time) time.Time {
	l := t.In(cases.Shanghai())
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, cases.Shanghai())
}

// insertInspections writes the inspections and their officers (before the
// cases, which refer to them).
func insertInspections(ctx context.Context, tx pgx.Tx, ins []*inspection) error {
	var (
		ids, kinds, levels, offices, nos, fines, names []string
		ents                                           []int64
		days                                           []time.Time
		recs                                           []*int64
		xid                                            []string
		xpos                                           []int
		xuser                                          []*int64
		xname                                          []string
	)
	for _, in := range ins {
		ids, ents, days = append(ids, in.id), append(ents, in.enterprise.id), append(days, in.on.Add(17*time.Hour))
		kinds, levels, offices = append(kinds, in.kind), append(levels, in.level), append(offices, in.office)
		recs, names = append(recs, in.recorder.id), append(names, in.recorder.name)
		no, f := "", ""
		if in.penaltyNo != "" {
			no, f = in.penaltyNo, fmt.Sprintf("%d.%02d", in.fineFen/100, in.fineFen%100)
		}
		nos, fines = append(nos, no), append(fines, f)
		for p, o := range in.inspectors {
			xid, xpos, xuser, xname = append(xid, in.id), append(xpos, p), append(xuser, o.id), append(xname, o.name)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO inspections (id, hazard_source_id, inspected_on, kind, level, office_code,
			penalty_decision_no, penalty_yuan, recorded_by, recorded_by_name, recorded_at)
		SELECT u.id, u.ent, riskmap_cst_day(u.at), u.kind, u.level, u.office, nullif(u.no, ''), nullif(u.fine, '')::numeric,
			u.rec, u.name, u.at
		  FROM unnest($1::uuid[], $2::int8[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		              $9::int8[], $10::text[]) AS u(id, ent, at, kind, level, office, no, fine, rec, name)`,
		ids, ents, days, kinds, levels, offices, nos, fines, recs, names); err != nil {
		return fmt.Errorf("demo inspections: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO inspection_inspectors (inspection_id, position, user_id, name)
		SELECT * FROM unnest($1::uuid[], $2::int2[], $3::int8[], $4::text[])`, xid, xpos, xuser, xname); err != nil {
		return fmt.Errorf("demo inspections: inspectors: %w", err)
	}
	return nil
}
