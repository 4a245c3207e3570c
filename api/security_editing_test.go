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
	// stock: no depot at that id; a role that keeps depots is refused
	// before the lookup (403 for a depot not in its area, 404 for admin),
	// other roles at once
	rs = append(rs, routeSpec{method: "POST", pattern: "/api/v1/depots/:id/stock-movements",
		build: func(s seeded, user string, in bool) (request, bool) {
			return request{"POST", "/api/v1/depots/999999/stock-movements", `{"item":"tents","unit":"顶","quantity":1,"kind":"in"}`}, in
		},
		want: func(user string, in bool) int {
			if roleOf[user] == "admin" {
				return 404
			}
			return 403
		}})
	rs = append(rs, routeSpec{method: "GET", pattern: "/api/v1/depots/:id/stock-movements",
		build: func(s seeded, user string, in bool) (request, bool) {
			return request{"GET", "/api/v1/depots/999999/stock-movements", ""}, in
		},
		want: func(user string, in bool) int { return 404 }})
	return rs
}
