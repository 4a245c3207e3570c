package demo

import (
	"fmt"
	"strings"
)

// cityCode is the demo city's area code; its presence means "loaded".
const cityCode = "441500000000"

// lonLat is a position in degrees (EPSG:4326).
type lonLat struct{ Lon, Lat float64 }

// coast is Shanwei's coastline from the 深汕 border in the west to the
// 揭阳 (惠来) border in the east: 汕尾港, the 红海湾 peninsula ending at
// 遮浪, the 碣石湾 bay, 碣石 and 甲子. Hand-drawn, a few km accurate.
func coast() []lonLat {
	return []lonLat{
		{115.17, 22.80}, {115.20, 22.78}, {115.26, 22.75}, {115.30, 22.73}, {115.34, 22.74}, {115.37, 22.76},
		{115.40, 22.74}, {115.44, 22.72}, {115.47, 22.70}, {115.52, 22.67}, {115.56, 22.64}, {115.58, 22.68},
		{115.60, 22.73}, {115.63, 22.79}, {115.67, 22.82}, {115.72, 22.81}, {115.76, 22.78}, {115.79, 22.75},
		{115.82, 22.72}, {115.87, 22.75}, {115.92, 22.76}, {115.98, 22.78}, {116.03, 22.79}, {116.07, 22.81},
		{116.11, 22.84}, {116.15, 22.88},
	}
}

// landBorder continues the outline from the coast's eastern end: north
// along 揭阳, west along 梅州 and 河源, and south along 惠州 and the 深汕
// 特别合作区 (whose four towns the demo leaves out) back to the coast.
func landBorder() []lonLat {
	return []lonLat{
		{116.17, 22.93}, {116.12, 22.99}, {116.10, 23.05}, {116.06, 23.10}, {116.03, 23.16}, {115.98, 23.20},
		{115.96, 23.26}, {115.92, 23.31}, {115.86, 23.35}, {115.80, 23.40}, {115.74, 23.44}, {115.68, 23.46},
		{115.62, 23.43}, {115.56, 23.41}, {115.50, 23.37}, {115.46, 23.32}, {115.40, 23.29}, {115.34, 23.27},
		{115.28, 23.24}, {115.23, 23.20}, {115.20, 23.14}, {115.17, 23.08}, {115.15, 23.02}, {115.16, 22.95},
		{115.14, 22.88},
	}
}

// outlineWKT is the city polygon: the coast, then the land border, closed.
func outlineWKT() string {
	ring := append(coast(), landBorder()...)
	ring = append(ring, ring[0])
	return "POLYGON((" + coords(ring) + "))"
}

func coastWKT() string { return "LINESTRING(" + coords(coast()) + ")" }

func coords(pts []lonLat) string {
	s := make([]string, len(pts))
	for i, p := range pts {
		s[i] = fmt.Sprintf("%.4f %.4f", p.Lon, p.Lat)
	}
	return strings.Join(s, ", ")
}

// countyLayout places a county: its seat, the radius (degrees) around the
// seat where its streets (or seat town) are seeded, and the seeds whose
// Voronoi cells, united, make the county. Several seeds per county give
// shapes closer to the real map than one seed each would.
type countyLayout struct {
	Code     string
	Seat     lonLat
	Radius   float64
	SeatTown string // 12-digit code of a town seeded at the seat ("" if the county has streets)
	Seeds    []lonLat
}

func countyLayouts() []countyLayout {
	return []countyLayout{
		{Code: "441502000000", Seat: lonLat{115.37, 22.785}, Radius: 0.06, // 城区: the coast around 汕尾港 and 红海湾
			Seeds: []lonLat{{115.37, 22.78}, {115.50, 22.70}}},
		{Code: "441521000000", Seat: lonLat{115.32, 22.97}, Radius: 0.03, SeatTown: "441521115000", // 海丰县, seat 海城镇
			Seeds: []lonLat{{115.32, 22.97}, {115.22, 22.84}, {115.25, 23.12}, {115.40, 23.13}}},
		{Code: "441523000000", Seat: lonLat{115.65, 23.30}, Radius: 0.03, SeatTown: "441523100000", // 陆河县, seat 河田镇
			Seeds: []lonLat{{115.65, 23.30}, {115.78, 23.37}, {115.54, 23.33}}},
		{Code: "441581000000", Seat: lonLat{115.65, 22.95}, Radius: 0.04, // 陆丰市: the east
			Seeds: []lonLat{{115.65, 22.95}, {115.85, 22.95}, {116.05, 22.93}, {115.93, 23.17}, {115.80, 22.78}, {115.60, 22.80}}},
	}
}
