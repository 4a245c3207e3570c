package dbtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// tinyCitySQL is a city whose numbers are easy to check by hand (lon
// 115.0–117.0, lat 22.5–23.5): county 城区 (115.0–116.5) with township 新港
// (115.0–116.0, one village split into grids 001 west and 002 east along
// lon 115.5) and township 香洲 (116.0–116.5, one grid); county 海丰
// (116.5–117.0) with township 梅陇 (one grid). Each grid has a worker, its
// households and its population.
const tinyCitySQL = `
INSERT INTO areas (code, name, level, parent_code, geom) VALUES
 ('441500000000', '汕尾市', 'city', NULL, ST_Multi(ST_MakeEnvelope(115.0, 22.5, 117.0, 23.5, 4326))),
 ('441502000000', '城区', 'county', '441500000000', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 116.5, 23.5, 4326))),
 ('441521000000', '海丰县', 'county', '441500000000', ST_Multi(ST_MakeEnvelope(116.5, 22.5, 117.0, 23.5, 4326))),
 ('441502001000', '新港街道', 'township', '441502000000', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 116.0, 23.5, 4326))),
 ('441502002000', '香洲街道', 'township', '441502000000', ST_Multi(ST_MakeEnvelope(116.0, 22.5, 116.5, 23.5, 4326))),
 ('441521101000', '梅陇镇', 'township', '441521000000', ST_Multi(ST_MakeEnvelope(116.5, 22.5, 117.0, 23.5, 4326))),
 ('441502001001', '立新社区', 'village', '441502001000', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 116.0, 23.5, 4326))),
 ('441502002001', '香洲社区', 'village', '441502002000', ST_Multi(ST_MakeEnvelope(116.0, 22.5, 116.5, 23.5, 4326))),
 ('441521101001', '梅陇村', 'village', '441521101000', ST_Multi(ST_MakeEnvelope(116.5, 22.5, 117.0, 23.5, 4326)));
INSERT INTO grids (code, name, worker, households, population, geom) VALUES
 ('441502001001001', '立新第1网格', '张伟', 300, 1000, ST_Multi(ST_MakeEnvelope(115.0, 22.5, 115.5, 23.5, 4326))),
 ('441502001001002', '立新第2网格', '李娜', 200, 700, ST_Multi(ST_MakeEnvelope(115.5, 22.5, 116.0, 23.5, 4326))),
 ('441502002001001', '香洲第1网格', '王芳', 100, 350, ST_Multi(ST_MakeEnvelope(116.0, 22.5, 116.5, 23.5, 4326))),
 ('441521101001001', '梅陇第1网格', '陈杰', 150, 500, ST_Multi(ST_MakeEnvelope(116.5, 22.5, 117.0, 23.5, 4326)));
`

// tileCitySQL is a smaller city for tile tests (lat 22.5–23.5): township
// 新港 (115.0–115.5) with grids 001 west and 002 east of 115.25, and
// township 香洲 (115.5–116.0) with one grid.
const tileCitySQL = `
INSERT INTO areas (code, name, level, parent_code, geom) VALUES
 ('441500000000', '汕尾市', 'city', NULL, ST_Multi(ST_MakeEnvelope(115.0, 22.5, 116.0, 23.5, 4326))),
 ('441502000000', '城区', 'county', '441500000000', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 116.0, 23.5, 4326))),
 ('441502001000', '新港街道', 'township', '441502000000', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 115.5, 23.5, 4326))),
 ('441502002000', '香洲街道', 'township', '441502000000', ST_Multi(ST_MakeEnvelope(115.5, 22.5, 116.0, 23.5, 4326))),
 ('441502001001', '立新社区', 'village', '441502001000', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 115.5, 23.5, 4326))),
 ('441502002001', '香洲社区', 'village', '441502002000', ST_Multi(ST_MakeEnvelope(115.5, 22.5, 116.0, 23.5, 4326)));
INSERT INTO grids (code, name, worker, geom) VALUES
 ('441502001001001', '立新第1网格', '张伟', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 115.25, 23.5, 4326))),
 ('441502001001002', '立新第2网格', '李娜', ST_Multi(ST_MakeEnvelope(115.25, 22.5, 115.5, 23.5, 4326))),
 ('441502002001001', '香洲第1网格', '王芳', ST_Multi(ST_MakeEnvelope(115.5, 22.5, 116.0, 23.5, 4326)));
`

// TinyCity returns a pool on a new migrated database holding the tiny city
// of tinyCitySQL: two counties, three townships, four grids.
func TinyCity(t testing.TB) *pgxpool.Pool { return withCity(t, tinyCitySQL) }

// TileCity returns a pool on a new migrated database holding the tile
// tests' city of tileCitySQL: two townships, three grids.
func TileCity(t testing.TB) *pgxpool.Pool { return withCity(t, tileCitySQL) }

func withCity(t testing.TB, sql string) *pgxpool.Pool {
	t.Helper()
	pool := New(t, Empty)
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("dbtest: city: %v", err)
	}
	return pool
}
