package geo

import (
	"math"
	"testing"
)

func TestParseCRSAcceptsNamesAndEPSGCodes(t *testing.T) {
	tests := []struct {
		in      string
		want    CRS
		wantErr bool
	}{
		{"wgs84", CRSWGS84, false},
		{"WGS84", CRSWGS84, false},
		{"EPSG:4326", CRSWGS84, false},
		{"epsg:4326", CRSWGS84, false},
		{"CGCS2000", CRSCGCS2000, false},
		{"EPSG:4490", CRSCGCS2000, false},
		{"GCJ02", CRSGCJ02, false},
		{"gcj02", CRSGCJ02, false},
		{"Bd09", CRSBD09, false},
		{" bd09 ", CRSBD09, false},
		{"", "", true},
		{"EPSG:3857", "", true},
		{"gcj-02", "", true},
		{"mars", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCRS(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseCRS(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestToWGS84ConvertsEachCRS(t *testing.T) {
	const lon, lat = 115.37, 22.78 // Shanwei
	gLon, gLat := WGS84ToGCJ02(lon, lat)
	bLon, bLat := WGS84ToBD09(lon, lat)
	tests := []struct {
		name     string
		crs      CRS
		lon, lat float64
	}{
		{"wgs84 is the identity", CRSWGS84, lon, lat},
		{"cgcs2000 is the identity", CRSCGCS2000, lon, lat},
		{"gcj02 is inverted", CRSGCJ02, gLon, gLat},
		{"bd09 is inverted", CRSBD09, bLon, bLat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotLon, gotLat := ToWGS84(tt.crs, tt.lon, tt.lat)
			if d := haversineMetres(gotLon, gotLat, lon, lat); d > 0.01 {
				t.Errorf("ToWGS84(%s, %v, %v) = %v, %v: %.3f m from %v, %v", tt.crs, tt.lon, tt.lat, gotLon, gotLat, d, lon, lat)
			}
		})
	}
}

func TestToWGS84GivesNaNForUnknownCRS(t *testing.T) {
	lon, lat := ToWGS84(CRS("EPSG:3857"), 115.37, 22.78)
	if !math.IsNaN(lon) || !math.IsNaN(lat) {
		t.Fatalf("ToWGS84(unknown) = %v, %v; want NaN, NaN", lon, lat)
	}
}
