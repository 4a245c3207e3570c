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
	// proposals: a worker proposes in own grids (201), nobody else (403);
	// no proposal at 999999: an office decides nothing outside its area
	// (403), admin finds nothing (404), workers and planners never decide
	rs = append(rs, routeSpec{method: "POST", pattern: "/api/v1/proposals",
		build: func(s seeded, user string, in bool) (request, bool) {
			p, ok := placeOf(user, in)
			c := placeCoords[p]
			return request{"POST", "/api/v1/proposals", fmt.Sprintf(`{"layer":"risk_points","reason":"矩阵","feature":{"type":"Feature",
				"geometry":{"type":"Point","coordinates":[%v,%v]},"properties":{"name":"矩阵","category":"fire","risk_level":3}}}`, c[0]+0.01, c[1])}, ok
		},
		want: func(user string, in bool) int {
			if in && roleOf[user] == "worker" {
				return 201
			}
			return 403
		}})
	static := func(method, pattern, path, body string, want func(user string) int) {
		rs = append(rs, routeSpec{method: method, pattern: pattern,
			build: func(s seeded, user string, in bool) (request, bool) { return request{method, path, body}, in },
			want:  func(user string, in bool) int { return want(user) }})
	}
	static("GET", "/api/v1/proposals", "/api/v1/proposals?state=pending", "", func(string) int { return 200 })
	// the layers' form schema: every role reads it (writable differs)
	static("GET", "/api/v1/layers", "/api/v1/layers", "", func(string) int { return 200 })
	// a printed map of the grid of the place: in scope 200, else not found
	gridOf := map[string]string{"g001": "441502001001001", "g002": "441502001001002", "xiangzhou": "441502002001001", "haifeng": "441521101001001"}
	rs = append(rs, routeSpec{method: "GET", pattern: "/api/v1/print",
		build: func(s seeded, user string, in bool) (request, bool) {
			p, ok := placeOf(user, in)
			return request{"GET", "/api/v1/print?area=" + gridOf[p], ""}, ok
		},
		want: func(user string, in bool) int { return map[bool]int{true: 200, false: 404}[in] }})
	// the areas of the four-colour map, in the user's scope
	static("GET", "/api/v1/stats/risk-areas", "/api/v1/stats/risk-areas?group_by=grid", "", func(string) int { return 200 })
	static("GET", "/api/v1/proposals/:id", "/api/v1/proposals/999999", "", func(string) int { return 404 })
	static("GET", "/api/v1/proposals/:id/photos/:photo", "/api/v1/proposals/999999/photos/00000000-0000-0000-0000-000000000000", "", func(string) int { return 404 })
	static("POST", "/api/v1/proposals/:id/actions", "/api/v1/proposals/999999/actions", `{"action":"approve","version":1}`, func(u string) int {
		if roleOf[u] == "admin" {
			return 404
		}
		return 403
	})
	return rs
}
