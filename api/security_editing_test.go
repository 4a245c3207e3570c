package api_test

import "fmt"

// editingRoutes are the security matrix rows of keeping the map current
// (docs/editing.md): feature history, proposals, stock movements, the
// print-out. Reading follows the feature's scope: in scope 200, outside it
// the feature does not exist (404).
func editingRoutes() []routeSpec {
	rs := []routeSpec{}
	rs = append(rs, routeSpec{method: "GET", pattern: "/api/v1/risk_points/:id/history",
		build: func(s seeded, user string, in bool) (request, bool) {
			p, ok := placeOf(user, in)
			return request{"GET", fmt.Sprintf("/api/v1/risk_points/%d/history", s.ids[p]), ""}, ok
		},
		want: func(user string, in bool) int { return map[bool]int{true: 200, false: 404}[in] }})
	for _, layer := range []string{"areas", "grids", "hazard_sources", "stations", "depots"} {
		l := layer
		rs = append(rs, routeSpec{method: "GET", pattern: "/api/v1/" + l + "/:id/history",
			build: func(s seeded, user string, in bool) (request, bool) {
				return request{"GET", "/api/v1/" + l + "/999999/history", ""}, in
			},
			want: func(user string, in bool) int { return 404 }})
	}
	return rs
}
