package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestInChinaSeparatesMainlandFromNeighbours(t *testing.T) {
	tests := []struct {
		name     string
		lon, lat float64
		want     bool
	}{
		// Shanwei and its neighbours, including coastal waters and islands.
		{"shanwei city", 115.3648, 22.7787, true},
		{"shanwei haifeng", 115.3237, 22.9665, true},
		{"shanwei lufeng", 115.6522, 22.9190, true},
		{"shanwei honghai bay waters", 115.55, 22.62, true},
		{"shanwei extent south-west corner", 114.9, 22.6, true},
		{"shanwei extent north-east corner", 116.2, 23.4, true},
		{"shantou", 116.6820, 23.3540, true},
		{"guangzhou", 113.2644, 23.1291, true},
		{"shenzhen futian", 114.0579, 22.5431, true},
		{"shenzhen luohu", 114.1310, 22.5480, true},
		{"shenzhen shekou", 113.9200, 22.4900, true},
		{"shenzhen airport", 113.8106, 22.6397, true},
		{"zhuhai xiangzhou", 113.5767, 22.2707, true},
		{"xiamen", 118.0894, 24.4798, true},
		{"fuzhou", 119.2965, 26.0745, true},
		{"shanghai", 121.4737, 31.2304, true},
		{"beijing", 116.4074, 39.9042, true},
		{"dalian", 121.6147, 38.9140, true},
		{"harbin", 126.5350, 45.8038, true},
		{"hailar", 119.7657, 49.2116, true},
		{"haikou", 110.3312, 20.0311, true},
		{"sanya", 109.5119, 18.2528, true},
		{"kunming", 102.8329, 24.8801, true},
		{"lhasa", 91.1409, 29.6456, true},
		{"urumqi", 87.6168, 43.8256, true},
		{"kashgar", 75.9898, 39.4677, true},
		{"hunchun", 130.3656, 42.8628, true},

		{"hong kong kowloon", 114.1694, 22.3193, false},
		{"hong kong sheung shui", 114.1280, 22.5015, false},
		{"hong kong lau fau shan", 113.9830, 22.4690, false},
		{"hong kong airport", 113.9185, 22.3080, false},
		{"macau peninsula", 113.5439, 22.1987, false},
		{"macau taipa", 113.5580, 22.1570, false},
		{"taipei", 121.5654, 25.0330, false},
		{"kaohsiung", 120.3014, 22.6273, false},
		{"penghu magong", 119.5664, 23.5655, false},
		{"seoul", 126.9780, 37.5665, false},
		{"pyongyang", 125.7625, 39.0392, false},
		{"tokyo", 139.6917, 35.6895, false},
		{"okinawa naha", 127.6809, 26.2124, false},
		{"hanoi", 105.8342, 21.0278, false},
		{"haiphong", 106.6881, 20.8449, false},
		{"lang son", 106.7615, 21.8537, false},
		{"cao bang", 106.2522, 22.6657, false},
		{"ulaanbaatar", 106.9057, 47.8864, false},
		{"vladivostok", 131.8869, 43.1155, false},
		{"almaty", 76.8860, 43.2389, false},
		{"kathmandu", 85.3240, 27.7172, false},
		{"thimphu", 89.6386, 27.4728, false},
		{"manila", 120.9842, 14.5995, false},
		{"singapore", 103.8198, 1.3521, false},
		{"NaN", math.NaN(), 22.8, false},
		{"infinite", math.Inf(1), 22.8, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := InChina(tt.lon, tt.lat); got != tt.want {
				t.Errorf("InChina(%v, %v) = %v, want %v", tt.lon, tt.lat, got, tt.want)
			}
		})
	}
}

// A self-intersecting outline would make InChina's winding test
// meaningless, so check the hand-written vertices.
func TestMainlandChinaOutlineIsASimpleClosedRing(t *testing.T) {
	outline := mainlandChina()
	ring := orb.Ring(outline[:])
	n := len(ring)
	if ring[0] != ring[n-1] {
		t.Fatalf("outline not closed: %v != %v", ring[0], ring[n-1])
	}
	if b := ring.Bound(); b != mainlandChinaBound() {
		t.Fatalf("mainlandChinaBound() = %v, outline's bound is %v", mainlandChinaBound(), b)
	}
	segs := n - 1
	for i := 0; i < segs; i++ {
		for j := i + 1; j < segs; j++ {
			adjacent := j == i+1 || (i == 0 && j == segs-1)
			if adjacent {
				continue
			}
			if segmentsIntersect(ring[i], ring[i+1], ring[j], ring[j+1]) {
				t.Errorf("edge %d %v-%v crosses edge %d %v-%v", i, ring[i], ring[i+1], j, ring[j], ring[j+1])
			}
		}
	}
}

// segmentsIntersect reports whether closed segments pq and rs share a point.
func segmentsIntersect(p, q, r, s orb.Point) bool {
	d1, d2 := orientation(p, q, r), orientation(p, q, s)
	d3, d4 := orientation(r, s, p), orientation(r, s, q)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	within := func(a, b, c orb.Point) bool { // c on segment ab, given collinear
		return min(a[0], b[0]) <= c[0] && c[0] <= max(a[0], b[0]) &&
			min(a[1], b[1]) <= c[1] && c[1] <= max(a[1], b[1])
	}
	return (d1 == 0 && within(p, q, r)) || (d2 == 0 && within(p, q, s)) ||
		(d3 == 0 && within(r, s, p)) || (d4 == 0 && within(r, s, q))
}
