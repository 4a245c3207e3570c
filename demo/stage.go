package demo

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// stage copies the fixed inputs into temp tables (dropped at commit) for
// the generation scripts to read: codes and names, the outline, the county
// layouts, the worker overrides and the readiness gaps.
func stage(ctx context.Context, tx pgx.Tx, u adminUnits, accs []account) error {
	if err := checkLayouts(u.Counties); err != nil {
		return err
	}
	steps := []stageStep{
		{"city", `CREATE TEMP TABLE demo_city ON COMMIT DROP AS
			SELECT $1::text AS code, $2::text AS name,
			       ST_GeomFromText($3, 4326) AS outline, ST_GeomFromText($4, 4326) AS coast`,
			[]any{cityCode, u.CityName, outlineWKT(), coastWKT()}},
		countyStep(u.Counties),
		countySeedStep(),
		townshipStep(u.Townships),
		villageStep(u.Villages),
		workerStep(accs),
		gapStep(),
	}
	for _, s := range steps {
		if _, err := tx.Exec(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("demo: stage %s: %w", s.what, err)
		}
	}
	return nil
}

type stageStep struct {
	what string
	sql  string
	args []any
}

// checkLayouts makes sure every county of the code list has a hand-placed
// layout: without one its townships would silently have no land.
func checkLayouts(cs []county) error {
	have := map[string]bool{}
	for _, l := range countyLayouts() {
		have[l.Code] = true
	}
	for _, c := range cs {
		if !have[c.Code] {
			return fmt.Errorf("demo: county %s %s has no layout", c.Code, c.Name)
		}
	}
	return nil
}

func countyStep(cs []county) stageStep {
	layout := map[string]countyLayout{}
	for _, l := range countyLayouts() {
		layout[l.Code] = l
	}
	var code, name []string
	var lon, lat, radius []float64
	for _, c := range cs {
		l := layout[c.Code]
		code, name = append(code, c.Code), append(name, c.Name)
		lon, lat, radius = append(lon, l.Seat.Lon), append(lat, l.Seat.Lat), append(radius, l.Radius)
	}
	return stageStep{"counties", `CREATE TEMP TABLE demo_county ON COMMIT DROP AS
		SELECT code, name, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS seat, radius
		  FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::float8[]) AS t(code, name, lon, lat, radius)`,
		[]any{code, name, lon, lat, radius}}
}

func countySeedStep() stageStep {
	var code []string
	var lon, lat []float64
	for _, l := range countyLayouts() {
		for _, s := range l.Seeds {
			code, lon, lat = append(code, l.Code), append(lon, s.Lon), append(lat, s.Lat)
		}
	}
	return stageStep{"county seeds", `CREATE TEMP TABLE demo_county_seed ON COMMIT DROP AS
		SELECT code AS county_code, k, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom
		  FROM unnest($1::text[], $2::float8[], $3::float8[]) WITH ORDINALITY AS t(code, lon, lat, k)`,
		[]any{code, lon, lat}}
}

func townshipStep(ts []township) stageStep {
	seatTown := map[string]bool{}
	for _, l := range countyLayouts() {
		seatTown[l.SeatTown] = true
	}
	var code, name, short, kind, gov, county []string
	var central []bool
	for _, t := range ts {
		code, name, short = append(code, t.Code), append(name, t.Name), append(short, t.Short)
		kind, gov, county = append(kind, t.Kind), append(gov, t.Government), append(county, t.CountyCode)
		// streets and the seat town are seeded around the county seat
		central = append(central, t.Kind == "街道" || seatTown[t.Code])
	}
	return stageStep{"townships", `CREATE TEMP TABLE demo_township ON COMMIT DROP AS
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[])
		    AS t(code, name, short, kind, government, county_code, central)`,
		[]any{code, name, short, kind, gov, county, central}}
}

func villageStep(vs []village) stageStep {
	var code, name, short, twp []string
	for _, v := range vs {
		code, name, short, twp = append(code, v.Code), append(name, v.Name), append(short, v.Short), append(twp, v.TownshipCode)
	}
	return stageStep{"villages", `CREATE TEMP TABLE demo_village ON COMMIT DROP AS
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(code, name, short, township_code)`,
		[]any{code, name, short, twp}}
}

// workerStep names the demo workers as the workers of their grids.
func workerStep(accs []account) stageStep {
	var village, name, phone []string
	for _, a := range accs {
		if a.GridVillage != "" {
			village, name, phone = append(village, a.GridVillage), append(name, a.DisplayName), append(phone, a.Phone)
		}
	}
	return stageStep{"workers", `CREATE TEMP TABLE demo_worker ON COMMIT DROP AS
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS t(village_code, name, phone)`,
		[]any{village, name, phone}}
}

func gapStep() stageStep {
	var twp, missing []string
	for _, g := range readinessGaps() {
		twp, missing = append(twp, g.Township), append(missing, g.Missing)
	}
	return stageStep{"readiness gaps", `CREATE TEMP TABLE demo_gap ON COMMIT DROP AS
		SELECT * FROM unnest($1::text[], $2::text[]) AS t(township_code, missing)`,
		[]any{twp, missing}}
}
