package coverage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// The parts of a township's 四个一, in the order "missing" lists them.
var readinessParts = []string{"office", "rescue_team", "platform", "depot"}

// Readiness is the 四个一 check of the townships in scope.
type Readiness struct {
	Area       *string             `json:"area"`
	Townships  []TownshipReadiness `json:"townships"`
	Total      int                 `json:"total"`
	Complete   int                 `json:"complete"`
	Incomplete int                 `json:"incomplete"`
}

// TownshipReadiness says which of an office, a rescue team, a command
// platform and a depot lie inside the township (active ones, placed by
// where they are: a station of the township that stands across its border
// counts for the township it stands in).
type TownshipReadiness struct {
	Code       string         `json:"code"`
	Name       string         `json:"name"`
	CountyCode string         `json:"county_code"`
	Complete   bool           `json:"complete"`
	Missing    []string       `json:"missing"`
	Counts     map[string]int `json:"counts"`
	// The depot part's stock (docs/editing.md, "Stock"): the normed items
	// the township's depots hold less of than the norms per 1,000
	// residents (expired stock not counted), and those expiring soon. A
	// township with a depot but short stock is complete and flagged.
	StockSufficient bool     `json:"stock_sufficient"`
	StockShort      []string `json:"stock_short"`
	StockExpiring   []string `json:"stock_expiring"`
}

// Readiness checks every township in the user's scope (and area); with
// incompleteOnly, only the incomplete ones are listed (the counts still
// cover all).
func (s *Service) Readiness(ctx context.Context, u *riskmap.User, areaCode string, incompleteOnly bool) (*Readiness, error) {
	if err := allowed(u); err != nil {
		return nil, err
	}
	var out *Readiness
	err := s.snapshot(ctx, func(tx pgx.Tx) (err error) {
		out, err = s.readiness(ctx, tx, u, areaCode, incompleteOnly)
		return err
	})
	return out, err
}

func (s *Service) readiness(ctx context.Context, tx pgx.Tx, u *riskmap.User, areaCode string, incompleteOnly bool) (*Readiness, error) {
	a, err := s.resolveArea(ctx, tx, u, areaCode)
	if err != nil {
		return nil, err
	}
	// stock first: the query below keeps the connection busy until read
	suff, err := s.sufficiency(ctx, tx, u, areaCode)
	if err != nil {
		return nil, err
	}
	stock := map[string]*TownshipSufficiency{}
	for i := range suff.Townships {
		stock[suff.Townships[i].Code] = &suff.Townships[i]
	}
	cond, args := u.Scope().AreaSQL("t.code", 2)
	sql := `SELECT t.code, t.name, t.parent_code,
	       (SELECT count(*) FROM stations s WHERE s.township_code = t.code AND s.status = 'active' AND s.kind = 'office'),
	       (SELECT count(*) FROM stations s WHERE s.township_code = t.code AND s.status = 'active' AND s.kind = 'rescue_team'),
	       (SELECT count(*) FROM stations s WHERE s.township_code = t.code AND s.status = 'active' AND s.kind = 'platform'),
	       (SELECT count(*) FROM depots d WHERE d.township_code = t.code AND d.status = 'active')
	  FROM areas t
	 WHERE t.level = 'township' AND t.code LIKE $1 AND ` + cond + `
	 ORDER BY t.code`
	rows, err := tx.Query(ctx, sql, append([]any{a.prefix}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("coverage: readiness: %w", err)
	}
	defer rows.Close()
	out := &Readiness{Townships: []TownshipReadiness{}}
	if a.code != "" {
		out.Area = &a.code
	}
	for rows.Next() {
		var t TownshipReadiness
		n := make([]int, 4)
		if err := rows.Scan(&t.Code, &t.Name, &t.CountyCode, &n[0], &n[1], &n[2], &n[3]); err != nil {
			return nil, fmt.Errorf("coverage: readiness: %w", err)
		}
		t.Missing = []string{}
		t.Counts = map[string]int{}
		for i, part := range readinessParts {
			t.Counts[part] = n[i]
			if n[i] == 0 {
				t.Missing = append(t.Missing, part)
			}
		}
		t.Complete = len(t.Missing) == 0
		t.StockShort, t.StockExpiring = []string{}, []string{}
		if st := stock[t.Code]; st != nil {
			t.StockShort, t.StockExpiring, t.StockSufficient = st.Short, st.Expiring, st.Sufficient
		}
		out.Total++
		if t.Complete {
			out.Complete++
		} else {
			out.Incomplete++
		}
		if !incompleteOnly || !t.Complete {
			out.Townships = append(out.Townships, t)
		}
	}
	return out, rows.Err()
}
