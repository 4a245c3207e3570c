package demo

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/patrols"
)

// patrolsLockKey serialises concurrent loads of the demo patrols ("rmpatrol").
const patrolsLockKey int64 = 0x726d706174726f6c

// The demo's patrols: every active risk point has been patrolled at its
// interval for the last half year (up to three patrols, the answers of its
// category's checklist all ok), the last one a random part of an interval
// ago, so that on the day of the load most points are in order, some are
// due within days and about one in eight is overdue. One patrol in thirty
// was made from more than 200 m away (off-site). The points' last
// inspection is their last patrol's day. The history moves with the load
// date, like the recent cases; the demo patrols carry no photos.

// LoadPatrols adds the demo patrols (Load first). It does nothing and
// returns false if there are patrols already, or no risk points.
func LoadPatrols(ctx context.Context, pool *pgxpool.Pool) (loaded bool, err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("demo patrols: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", patrolsLockKey); err != nil {
		return false, fmt.Errorf("demo patrols: lock: %w", err)
	}
	var present, points bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM patrols), EXISTS (SELECT 1 FROM risk_points WHERE status = 'active')").Scan(&present, &points); err != nil {
		return false, fmt.Errorf("demo patrols: %w", err)
	}
	if present || !points {
		return false, nil
	}
	// a bulk load: what the patrol triggers derive (the due date answered,
	// the distance, the point's last inspection) is set here
	if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
		return false, fmt.Errorf("demo patrols: %w", err)
	}
	var now time.Time
	if err := tx.QueryRow(ctx, "SELECT now()").Scan(&now); err != nil {
		return false, err
	}
	rows, err := tx.Query(ctx, `SELECT r.id, r.risk_level, r.category, r.grid_code, r.township_code, r.county_code, ST_X(r.geom), ST_Y(r.geom),
			i.days, w.id, coalesce(w.name, g.worker, '网格员')
		  FROM risk_points r JOIN patrol_intervals i ON i.risk_level = r.risk_level JOIN grids g ON g.code = r.grid_code
		  LEFT JOIN LATERAL (SELECT u.id, coalesce(nullif(u.display_name, ''), u.username) AS name
		                       FROM users u JOIN user_grids ug ON ug.user_id = u.id
		                      WHERE ug.grid_code = r.grid_code AND u.role = 'worker' AND NOT u.disabled ORDER BY u.id LIMIT 1) w ON true
		 WHERE r.status = 'active' ORDER BY r.id`)
	if err != nil {
		return false, fmt.Errorf("demo patrols: points: %w", err)
	}
	type point struct {
		id                     int64
		level, days            int
		category               string
		grid, township, county string
		lon, lat               float64
		workerID               *int64
		worker                 string
	}
	var pts []point
	for rows.Next() {
		var p point
		if err := rows.Scan(&p.id, &p.level, &p.category, &p.grid, &p.township, &p.county, &p.lon, &p.lat, &p.days, &p.workerID, &p.worker); err != nil {
			rows.Close()
			return false, err
		}
		pts = append(pts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	rng := rand.New(rand.NewPCG(2026, 7))
	var (
		ids, workers, cats, grids, townships, counties, answers []string
		rps                                                     []int64
		wids                                                    []*int64
		times                                                   []time.Time
		lons, lats, dists                                       []float64
		levels                                                  []int
		dues                                                    []string
	)
	const D = 24 * time.Hour
	for _, p := range pts {
		iv := time.Duration(p.days) * D
		// how far into its interval the last patrol lies: past 1, overdue
		f := rng.Float64() * 0.97
		if rng.IntN(8) == 0 {
			f = 1.05 + rng.Float64()*0.8
		}
		list, _ := patrols.CurrentChecklist(p.category)
		ans := map[string]string{}
		for _, it := range list.Items {
			ans[it.Key] = patrols.AnswerOK
		}
		a, _ := json.Marshal(ans)
		// the patrols, newest first, an interval (give or take a few days) apart
		t := now.Add(-time.Duration(f * float64(iv))).Add(-time.Duration(rng.IntN(600)) * time.Minute)
		var chain []time.Time
		for k := 0; k < 3 && now.Sub(t) < 200*D; k++ {
			chain = append(chain, t)
			t = t.Add(-iv - time.Duration(rng.IntN(7)-3)*D)
		}
		for k, at := range chain {
			// the due date it answered: the previous patrol's day plus the
			// interval (the oldest: the one before, not kept here)
			prev := t
			if k+1 < len(chain) {
				prev = chain[k+1]
			}
			d := 5 + rng.Float64()*55
			if rng.IntN(30) == 0 {
				d = 240 + rng.Float64()*400
			}
			bearing := rng.Float64() * 2 * math.Pi
			lat := p.lat + d*math.Cos(bearing)/111320
			lon := p.lon + d*math.Sin(bearing)/(111320*math.Cos(p.lat*math.Pi/180))
			s := md5.Sum([]byte(fmt.Sprintf("riskmap-demo-patrol-%d-%d", p.id, k)))
			h := hex.EncodeToString(s[:])
			ids = append(ids, h[:8]+"-"+h[8:12]+"-4"+h[13:16]+"-8"+h[17:20]+"-"+h[20:])
			rps, wids, workers = append(rps, p.id), append(wids, p.workerID), append(workers, p.worker)
			times, lons, lats, dists = append(times, at), append(lons, lon), append(lats, lat), append(dists, d)
			cats, levels, answers = append(cats, p.category), append(levels, p.level), append(answers, string(a))
			grids, townships, counties = append(grids, p.grid), append(townships, p.township), append(counties, p.county)
			dues = append(dues, dayOf(prev).AddDate(0, 0, p.days).Format("2006-01-02"))
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO patrols (id, risk_point_id, worker_id, worker_name, device_time, received_at, patrolled_at, patrol_day,
			geom, accuracy_m, distance_m, off_site, off_site_limit_m, category, checklist_version, checklist, result, risk_level, due_on,
			grid_code, township_code, county_code)
		SELECT u.id, u.rp, u.wid, u.worker, u.t, u.t, u.t, riskmap_cst_day(u.t),
			ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326), 8, u.d, u.d > 200, 200, u.cat, 1, u.ans::jsonb, 'normal', u.level, u.due::date,
			u.grid, u.township, u.county
		  FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::text[], $5::timestamptz[], $6::float8[], $7::float8[], $8::float8[],
		              $9::text[], $10::int2[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
		    AS u(id, rp, wid, worker, t, lon, lat, d, cat, level, ans, due, grid, township, county)`,
		ids, rps, wids, workers, times, lons, lats, dists, cats, levels, answers, dues, grids, townships, counties)
	if err != nil {
		return false, fmt.Errorf("demo patrols: insert: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE risk_points r SET last_inspection = m.day
		  FROM (SELECT risk_point_id, max(patrol_day) AS day FROM patrols GROUP BY 1) m WHERE r.id = m.risk_point_id`); err != nil {
		return false, fmt.Errorf("demo patrols: last inspections: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("demo patrols: commit: %w", err)
	}
	return true, nil
}
