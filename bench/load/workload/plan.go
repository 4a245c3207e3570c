// Package workload is riskmap's mixed load, as the bureau's users make it
// during a typhoon: map viewers drawing tiles and reading features, grid
// workers reporting hidden hazards and rectifying the cases assigned to
// them (with a photo), township offices registering, assigning and
// approving them. It records every request (route, status, latency) and
// every write the server acknowledged, and checks afterwards that each
// acknowledged write is in the database with its events.
//
// bench/load runs it at scale (200 clients for 60 s) against one server;
// the resilience tests run it while they break things.
package workload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/auth"
)

// Account is a user the workload logs in as.
type Account struct {
	Username, Password string
	ID                 int64
	Token              string
}

// Team is a township office and a grid worker of that township, with
// places inside the worker's grids to report from.
type Team struct {
	Township string
	Office   Account
	Worker   Account
	Points   [][2]float64 // lon, lat inside the worker's grids
}

// Plan is what a run needs from the database: accounts and places.
type Plan struct {
	Teams  []*Team
	Viewer Account      // a city-wide reader (map viewers)
	Risk   []int64      // risk point ids to read one by one
	Places [][2]float64 // where viewers look: points inside grids all over the city
}

// Setup creates (or resets the passwords of) the workload's accounts,
// prefixed load_, in up to teams townships that have grids, and picks the
// places to report from and look at. It writes only users.
func Setup(ctx context.Context, pool *pgxpool.Pool, teams int) (*Plan, error) {
	svc := auth.NewService(pool, 24*time.Hour, auth.NewLimiter(1000, time.Minute))
	// townships with at least one grid, spread over the city
	rows, err := pool.Query(ctx, `
		SELECT township_code, (array_agg(code ORDER BY code))[1:4]
		  FROM grids WHERE township_code IS NOT NULL
		 GROUP BY township_code ORDER BY md5(township_code) LIMIT $1`, teams)
	if err != nil {
		return nil, fmt.Errorf("townships with grids: %w", err)
	}
	type pick struct {
		township string
		grids    []string
	}
	var picks []pick
	for rows.Next() {
		var p pick
		if err := rows.Scan(&p.township, &p.grids); err != nil {
			rows.Close()
			return nil, err
		}
		picks = append(picks, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(picks) == 0 {
		return nil, fmt.Errorf("no township has grids: load a city first")
	}
	plan := &Plan{}
	save := func(spec auth.UserSpec) (Account, error) {
		spec.Password = password()
		u, err := svc.SaveUser(ctx, spec)
		if err != nil {
			return Account{}, fmt.Errorf("account %s: %w", spec.Username, err)
		}
		return Account{Username: spec.Username, Password: spec.Password, ID: u.ID}, nil
	}
	for _, p := range picks {
		t := &Team{Township: p.township}
		if t.Office, err = save(auth.UserSpec{Username: "load_office_" + p.township, Role: riskmap.RoleTownship, Areas: []string{p.township}}); err != nil {
			return nil, err
		}
		if t.Worker, err = save(auth.UserSpec{Username: "load_worker_" + p.township, Role: riskmap.RoleWorker, Grids: p.grids}); err != nil {
			return nil, err
		}
		// points well inside the grids, so that none is placed on a neighbour
		pts, err := pool.Query(ctx, `
			SELECT ST_X(d.geom), ST_Y(d.geom)
			  FROM grids g, ST_Dump(ST_GeneratePoints(ST_Buffer(g.geom::geography, -30)::geometry, 16, $2)) d
			 WHERE g.code = ANY($1)`, p.grids, 1+time.Now().UnixNano()%1000000)
		if err != nil {
			return nil, fmt.Errorf("points in grids of %s: %w", p.township, err)
		}
		for pts.Next() {
			var pt [2]float64
			if err := pts.Scan(&pt[0], &pt[1]); err != nil {
				pts.Close()
				return nil, err
			}
			t.Points = append(t.Points, pt)
		}
		pts.Close()
		if len(t.Points) == 0 {
			return nil, fmt.Errorf("no point could be placed inside the grids %v of %s", p.grids, p.township)
		}
		plan.Teams = append(plan.Teams, t)
	}
	var city string
	if err := pool.QueryRow(ctx, "SELECT code FROM areas WHERE level = 'city' ORDER BY code LIMIT 1").Scan(&city); err != nil {
		return nil, fmt.Errorf("the city: %w", err)
	}
	if plan.Viewer, err = save(auth.UserSpec{Username: "load_viewer", Role: riskmap.RoleCity, Areas: []string{city}}); err != nil {
		return nil, err
	}
	if err := scanInto(ctx, pool, &plan.Risk, "SELECT id FROM risk_points ORDER BY md5(id::text) LIMIT 2000"); err != nil {
		return nil, err
	}
	rows, err = pool.Query(ctx, "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids ORDER BY md5(code) LIMIT 500) g")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var pt [2]float64
		if err := rows.Scan(&pt[0], &pt[1]); err != nil {
			rows.Close()
			return nil, err
		}
		plan.Places = append(plan.Places, pt)
	}
	rows.Close()
	return plan, rows.Err()
}

func scanInto(ctx context.Context, pool *pgxpool.Pool, dst *[]int64, sql string) error {
	rows, err := pool.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return err
		}
		*dst = append(*dst, v)
	}
	return rows.Err()
}

func password() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "load-" + hex.EncodeToString(b)
}

// Accounts lists every account of the plan.
func (p *Plan) Accounts() []*Account {
	out := []*Account{&p.Viewer}
	for _, t := range p.Teams {
		out = append(out, &t.Office, &t.Worker)
	}
	return out
}
