package geo

import (
	"math"
	"testing"
)

// haversineMetres is the great-circle distance on a sphere of the mean Earth
// radius; plenty for sub-metre error checks.
func haversineMetres(lon1, lat1, lon2, lat2 float64) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Published WGS-84 -> GCJ-02 pairs from the test suite of
// github.com/googollee/eviltransform (go/transform_test.go and
// javascript/test.js), which compare to 1e-6 degrees.
func TestWGS84ToGCJ02MatchesPublishedVectors(t *testing.T) {
	tests := []struct {
		name                   string
		wgsLon, wgsLat         float64
		wantGCJLon, wantGCJLat float64
	}{
		{"shanghai", 121.5272106, 31.1774276, 121.531541859215, 31.17530398364597},
		{"shenzhen", 113.912316, 22.543847, 113.9171764808363, 22.540796131694766},
		{"beijing", 116.377817, 39.911954, 116.38404722455657, 39.91334545536069},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lon, lat := WGS84ToGCJ02(tt.wgsLon, tt.wgsLat)
			if math.Abs(lon-tt.wantGCJLon) > 1e-6 || math.Abs(lat-tt.wantGCJLat) > 1e-6 {
				t.Errorf("WGS84ToGCJ02 = %.9f, %.9f; want %.9f, %.9f", lon, lat, tt.wantGCJLon, tt.wantGCJLat)
			}
			wLon, wLat := GCJ02ToWGS84(tt.wantGCJLon, tt.wantGCJLat)
			if d := haversineMetres(wLon, wLat, tt.wgsLon, tt.wgsLat); d > 0.5 {
				t.Errorf("GCJ02ToWGS84 of the published value is %.3f m off", d)
			}
		})
	}
}

// guangdongGrid visits a 0.02 degree grid over Shanwei, the area the service
// covers, plus a coarser one over the rest of Guangdong.
func guangdongGrid(visit func(lon, lat float64)) {
	for lon := 114.9; lon <= 116.2; lon += 0.02 {
		for lat := 22.6; lat <= 23.4; lat += 0.02 {
			visit(lon, lat)
		}
	}
	for lon := 110.0; lon <= 117.0; lon += 0.25 {
		for lat := 21.5; lat <= 25.0; lat += 0.25 {
			if InChina(lon, lat) {
				visit(lon, lat)
			}
		}
	}
}

func TestGCJ02RoundTripIsWithinHalfAMetre(t *testing.T) {
	worst := 0.0
	guangdongGrid(func(lon, lat float64) {
		gLon, gLat := WGS84ToGCJ02(lon, lat)
		// The offset is a few hundred metres; a zero shift would mean the
		// point was wrongly treated as outside China.
		if shift := haversineMetres(lon, lat, gLon, gLat); shift < 100 || shift > 1000 {
			t.Fatalf("GCJ-02 shift at %v, %v is %.1f m, want a few hundred", lon, lat, shift)
		}
		wLon, wLat := GCJ02ToWGS84(gLon, gLat)
		worst = max(worst, haversineMetres(lon, lat, wLon, wLat))
	})
	if worst >= 0.5 {
		t.Fatalf("worst WGS84->GCJ02->WGS84 error %.4f m, want < 0.5 m", worst)
	}
	t.Logf("worst round-trip error %.2g m", worst)
}

func TestBD09RoundTripsAreWithinHalfAMetre(t *testing.T) {
	worstGCJ, worstWGS := 0.0, 0.0
	guangdongGrid(func(lon, lat float64) {
		bLon, bLat := GCJ02ToBD09(lon, lat)
		gLon, gLat := BD09ToGCJ02(bLon, bLat)
		worstGCJ = max(worstGCJ, haversineMetres(lon, lat, gLon, gLat))

		bLon, bLat = WGS84ToBD09(lon, lat)
		wLon, wLat := BD09ToWGS84(bLon, bLat)
		worstWGS = max(worstWGS, haversineMetres(lon, lat, wLon, wLat))
	})
	if worstGCJ >= 0.5 || worstWGS >= 0.5 {
		t.Fatalf("worst BD-09 round-trip errors: via GCJ-02 %.4f m, via WGS-84 %.4f m", worstGCJ, worstWGS)
	}
}

func TestBD09AddsBaiduOffsetOnTopOfGCJ02(t *testing.T) {
	// Baidu's offset is roughly +0.0065 lon, +0.006 lat; anything else means
	// the formula was mistyped.
	for _, p := range [][2]float64{{115.37, 22.78}, {116.39, 39.91}, {139.69, 35.69}} {
		bLon, bLat := GCJ02ToBD09(p[0], p[1])
		if dLon, dLat := bLon-p[0], bLat-p[1]; math.Abs(dLon-0.0065) > 0.0015 || math.Abs(dLat-0.006) > 0.0015 {
			t.Errorf("GCJ02ToBD09(%v) shifts by %.5f, %.5f", p, dLon, dLat)
		}
	}
}

func TestConversionsAreIdentityOutsideChina(t *testing.T) {
	tests := []struct {
		name     string
		lon, lat float64
	}{
		{"tokyo", 139.6917, 35.6895},
		{"singapore", 103.8198, 1.3521},
		{"hong kong", 114.1694, 22.3193},
		{"taipei", 121.5654, 25.0330},
		{"seoul", 126.9780, 37.5665},
		{"hanoi", 105.8342, 21.0278},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if lon, lat := WGS84ToGCJ02(tt.lon, tt.lat); lon != tt.lon || lat != tt.lat {
				t.Errorf("WGS84ToGCJ02 = %v, %v; want unchanged", lon, lat)
			}
			if lon, lat := GCJ02ToWGS84(tt.lon, tt.lat); lon != tt.lon || lat != tt.lat {
				t.Errorf("GCJ02ToWGS84 = %v, %v; want unchanged", lon, lat)
			}
			// BD-09 keeps only Baidu's own offset here.
			bLon, bLat := WGS84ToBD09(tt.lon, tt.lat)
			if wantLon, wantLat := GCJ02ToBD09(tt.lon, tt.lat); bLon != wantLon || bLat != wantLat {
				t.Errorf("WGS84ToBD09 = %v, %v; want GCJ02ToBD09 of the same point %v, %v", bLon, bLat, wantLon, wantLat)
			}
		})
	}
}

// A WGS-84 point just inside the outline can be shifted out of it; its
// inverse must still undo the shift rather than treat it as foreign. (The
// sample grid is offset so that no point lies within ~1e-9 degrees of an
// outline edge, where the inverse is legitimately ambiguous.)
func TestGCJ02ToWGS84InvertsPointsShiftedAcrossTheOutline(t *testing.T) {
	found := 0
	for lon := 113.80037; lon <= 114.55; lon += 0.00101 {
		for lat := 22.40023; lat <= 22.60; lat += 0.00097 {
			if !InChina(lon, lat) {
				continue
			}
			gLon, gLat := WGS84ToGCJ02(lon, lat)
			if InChina(gLon, gLat) {
				continue
			}
			found++
			wLon, wLat := GCJ02ToWGS84(gLon, gLat)
			if d := haversineMetres(lon, lat, wLon, wLat); d > 0.5 {
				t.Fatalf("point %v, %v shifted out of the outline comes back %.1f m off", lon, lat, d)
			}
		}
	}
	if found == 0 {
		t.Fatal("no point near the Hong Kong border was shifted out of the outline; test is vacuous")
	}
}

func TestConversionsPassNaNThrough(t *testing.T) {
	for name, f := range map[string]func(float64, float64) (float64, float64){
		"WGS84ToGCJ02": WGS84ToGCJ02, "GCJ02ToWGS84": GCJ02ToWGS84,
		"GCJ02ToBD09": GCJ02ToBD09, "BD09ToGCJ02": BD09ToGCJ02,
		"WGS84ToBD09": WGS84ToBD09, "BD09ToWGS84": BD09ToWGS84,
	} {
		if lon, lat := f(math.NaN(), 22.8); !math.IsNaN(lon) {
			t.Errorf("%s(NaN, 22.8) = %v, %v; want a NaN longitude", name, lon, lat)
		}
	}
}
