package coverage

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// Norm is the stock of one item a township's depots should hold per 1,000
// residents.
type Norm struct {
	Item    string  `json:"item"`
	Name    string  `json:"name"` // for people: 帐篷
	Unit    string  `json:"unit"` // the unit stock must be counted in
	Per1000 float64 `json:"per_1000"`
}

// DefaultNorms are docs/domain.md's norms per 1,000 residents.
func DefaultNorms() []Norm {
	return []Norm{
		{"tents", "帐篷", "顶", 2},
		{"quilts", "棉被", "床", 20},
		{"life_jackets", "救生衣", "件", 10},
		{"rubber_boats", "橡皮艇", "艘", 0.2},
		{"generators", "发电机", "台", 0.5},
		{"pumps", "水泵", "台", 0.5},
		{"sandbags", "沙袋", "袋", 200},
		{"drinking_water", "饮用水", "升", 300},
	}
}

var normPattern = regexp.MustCompile(`^([a-z][a-z0-9_]{0,39})=([0-9]+(?:\.[0-9]+)?)(?::(.+))?$`)

// ParseNorms changes the defaults by a list like "tents=3,sandbags=250" or,
// for an item the defaults lack, "helmets=5:顶" (per 1,000 residents, and
// the unit its stock is counted in).
func ParseNorms(s string) ([]Norm, error) {
	norms := DefaultNorms()
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		m := normPattern.FindStringSubmatch(part)
		if m == nil {
			return nil, riskmap.Errorf(riskmap.EINVALID, "depot norm %q: want ITEM=PER_1000 or ITEM=PER_1000:UNIT, e.g. tents=2", part)
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		found := false
		for i := range norms {
			if norms[i].Item == m[1] {
				norms[i].Per1000 = v
				if m[3] != "" {
					norms[i].Unit = m[3]
				}
				found = true
			}
		}
		if !found {
			if m[3] == "" {
				return nil, riskmap.Errorf(riskmap.EINVALID, "depot norm %q: %s is a new item: give its unit, e.g. %s=%s:件", part, m[1], m[1], m[2])
			}
			norms = append(norms, Norm{Item: m[1], Name: m[1], Unit: m[3], Per1000: v})
		}
	}
	return norms, nil
}

// Sufficiency is the stock of each township's depots against the norms.
type Sufficiency struct {
	Area       *string               `json:"area"`
	Norms      []Norm                `json:"norms"`
	Townships  []TownshipSufficiency `json:"townships"`
	Total      int                   `json:"total"`
	Sufficient int                   `json:"sufficient"`
}

// TownshipSufficiency is one township: its residents (the sum of its grids'
// population), its active depots and, per normed item, the stock they hold.
type TownshipSufficiency struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Population int64    `json:"population"`
	Depots     int      `json:"depots"`
	Sufficient bool     `json:"sufficient"`
	Short      []string `json:"short"` // the items below their norm
	// Expiring lists the normed items of which some stock expires within
	// the warning days (still counted until it has expired).
	Expiring []string    `json:"expiring"`
	Items    []ItemStock `json:"items"`
	// Unnormed is stock of items no norm names (shown, not judged).
	Unnormed []Stock `json:"unnormed"`
}

// ItemStock compares one item's stock with its norm. Sufficient is stock
// ≥ required (inclusive). Stock counted in another unit than the norm's
// is not added up but listed in OtherUnits, so nothing is converted by
// guess.
type ItemStock struct {
	Item         string   `json:"item"`
	Name         string   `json:"name"`
	Unit         string   `json:"unit"`
	Per1000      float64  `json:"norm_per_1000"`
	Required     float64  `json:"required"`
	Stock        float64  `json:"stock"`
	StockPer1000 *float64 `json:"stock_per_1000"`
	Ratio        *float64 `json:"ratio"`
	Shortfall    float64  `json:"shortfall"`
	Sufficient   bool     `json:"sufficient"`
	// Expired stock (past its date) is not counted in Stock; Expiring is
	// the part of Stock that expires within the warning days.
	Expired    float64 `json:"expired"`
	Expiring   float64 `json:"expiring"`
	OtherUnits []Stock `json:"other_units,omitempty"`
}

// Stock is a quantity of an item in a unit.
type Stock struct {
	Item     string  `json:"item"`
	Unit     string  `json:"unit"`
	Quantity float64 `json:"quantity"`
	// usable stock above; what has expired, and what expires soon
	expired, expiring float64
}

// Sufficiency compares the stock of the townships in scope (and area) with
// the norms per 1,000 residents.
func (s *Service) Sufficiency(ctx context.Context, u *riskmap.User, areaCode string) (*Sufficiency, error) {
	if err := allowed(u); err != nil {
		return nil, err
	}
	var out *Sufficiency
	err := s.snapshot(ctx, func(tx pgx.Tx) (err error) {
		out, err = s.sufficiency(ctx, tx, u, areaCode)
		return err
	})
	return out, err
}

func (s *Service) sufficiency(ctx context.Context, tx pgx.Tx, u *riskmap.User, areaCode string) (*Sufficiency, error) {
	a, err := s.resolveArea(ctx, tx, u, areaCode)
	if err != nil {
		return nil, err
	}
	cond, args := u.Scope().AreaSQL("t.code", 2)
	sql := `SELECT t.code, t.name,
	       (SELECT coalesce(sum(g.population), 0) FROM grids g WHERE g.township_code = t.code),
	       (SELECT count(*) FROM depots d WHERE d.township_code = t.code AND d.status = 'active')
	  FROM areas t
	 WHERE t.level = 'township' AND t.code LIKE $1 AND ` + cond + `
	 ORDER BY t.code`
	rows, err := tx.Query(ctx, sql, append([]any{a.prefix}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("coverage: sufficiency: %w", err)
	}
	out := &Sufficiency{Norms: s.cfg.Norms, Townships: []TownshipSufficiency{}}
	if a.code != "" {
		out.Area = &a.code
	}
	var codes []string
	for rows.Next() {
		var t TownshipSufficiency
		if err := rows.Scan(&t.Code, &t.Name, &t.Population, &t.Depots); err != nil {
			rows.Close()
			return nil, fmt.Errorf("coverage: sufficiency: %w", err)
		}
		out.Townships = append(out.Townships, t)
		codes = append(codes, t.Code)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("coverage: sufficiency: %w", err)
	}
	stock := map[string][]Stock{} // township → lines summed per item and unit
	// days as in Asia/Shanghai: a line expires at the end of its date
	rows, err = tx.Query(ctx, `SELECT d.township_code, i.item, i.unit,
	       coalesce(sum(i.quantity) FILTER (WHERE NOT coalesce(i.expires_on < x.today, false)), 0)::float8,
	       coalesce(sum(i.quantity) FILTER (WHERE i.expires_on < x.today), 0)::float8,
	       coalesce(sum(i.quantity) FILTER (WHERE i.expires_on >= x.today AND i.expires_on < x.today + $2::integer), 0)::float8
	    FROM depot_items i JOIN depots d ON d.id = i.depot_id
	   CROSS JOIN (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS today) x
	   WHERE d.status = 'active' AND d.township_code = ANY($1) AND i.quantity > 0
	   GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, codes, s.cfg.ExpiryWarningDays)
	if err != nil {
		return nil, fmt.Errorf("coverage: sufficiency: stock: %w", err)
	}
	for rows.Next() {
		var twp string
		var st Stock
		if err := rows.Scan(&twp, &st.Item, &st.Unit, &st.Quantity, &st.expired, &st.expiring); err != nil {
			rows.Close()
			return nil, fmt.Errorf("coverage: sufficiency: stock: %w", err)
		}
		stock[twp] = append(stock[twp], st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("coverage: sufficiency: stock: %w", err)
	}
	for k := range out.Townships {
		t := &out.Townships[k]
		t.judge(s.cfg.Norms, stock[t.Code])
		out.Total++
		if t.Sufficient {
			out.Sufficient++
		}
	}
	return out, nil
}

func (t *TownshipSufficiency) judge(norms []Norm, lines []Stock) {
	t.Short, t.Expiring, t.Items, t.Unnormed = []string{}, []string{}, []ItemStock{}, []Stock{}
	normed := map[string]bool{}
	for _, n := range norms {
		normed[n.Item] = true
		req := n.Per1000 * float64(t.Population) / 1000
		it := ItemStock{Item: n.Item, Name: n.Name, Unit: n.Unit, Per1000: n.Per1000, Required: round(req, 2)}
		for _, l := range lines {
			if l.Item != n.Item {
				continue
			}
			if l.Unit == n.Unit {
				it.Stock += l.Quantity
				it.Expired += l.expired
				it.Expiring += l.expiring
			} else {
				it.OtherUnits = append(it.OtherUnits, l)
			}
		}
		if t.Population > 0 {
			v := round(it.Stock/float64(t.Population)*1000, 3)
			it.StockPer1000 = &v
		}
		it.Ratio = fraction(it.Stock, req)
		if it.Ratio != nil {
			*it.Ratio = round(*it.Ratio, 4)
		}
		it.Sufficient = it.Stock >= req*(1-1e-12)
		if !it.Sufficient {
			it.Shortfall = round(req-it.Stock, 2)
			t.Short = append(t.Short, n.Item)
		}
		if it.Expiring > 0 {
			t.Expiring = append(t.Expiring, n.Item)
		}
		t.Items = append(t.Items, it)
	}
	for _, l := range lines {
		if !normed[l.Item] {
			t.Unnormed = append(t.Unnormed, l)
		}
	}
	sort.SliceStable(t.Unnormed, func(i, j int) bool { return t.Unnormed[i].Item < t.Unnormed[j].Item })
	t.Sufficient = len(t.Short) == 0
}
