package api_test

import "fmt"

// dataRoutes are the security matrix rows of data in and out: imports
// (admin only), exports and OGC API - Features (everyone, in scope), and
// the OGC API's queryables (everyone with a token). The OpenAPI
// descriptions are public (publicRoutes).
func dataRoutes() []routeSpec {
	rs := []routeSpec{}
	add := func(method, pattern, path, body string, want func(user string) int) {
		rs = append(rs, routeSpec{method: method, pattern: pattern,
			build: func(s seeded, user string, in bool) (request, bool) { return request{method, path, body}, in },
			want:  func(user string, in bool) int { return want(user) }})
	}
	all := func(status int) func(string) int { return func(string) int { return status } }
	admin := func(status int) func(string) int {
		return func(u string) int {
			if roleOf[u] == "admin" {
				return status
			}
			return 403
		}
	}
	// a body that is no multipart upload: refused once the role is allowed
	add("POST", "/api/v1/imports", "/api/v1/imports", `{"layer":"risk_points"}`, admin(400))
	add("GET", "/api/v1/imports", "/api/v1/imports", "", admin(200))
	add("GET", "/api/v1/imports/:id", "/api/v1/imports/999999", "", admin(404))
	add("GET", "/api/v1/imports/:id/report", "/api/v1/imports/999999/report", "", admin(404))
	add("GET", "/api/v1/imports/:id/rejects", "/api/v1/imports/999999/rejects", "", admin(404))
	for _, layer := range []string{"areas", "grids", "risk_points", "hazard_sources", "stations", "depots"} {
		add("GET", "/api/v1/"+layer+"/export", "/api/v1/"+layer+"/export?format=csv", "", all(200))
		add("GET", "/ogc/collections/:layer", "/ogc/collections/"+layer, "", all(200))
	}
	// the cases collection: the case list in scope
	add("GET", "/ogc/collections/:layer/items", "/ogc/collections/cases/items?limit=5", "", all(200))
	add("GET", "/ogc", "/ogc", "", all(200))
	add("GET", "/ogc/conformance", "/ogc/conformance", "", all(200))
	add("GET", "/ogc/collections", "/ogc/collections", "", all(200))
	add("GET", "/ogc/collections/:layer/items", "/ogc/collections/risk_points/items?limit=5", "", all(200))
	add("GET", "/ogc/collections/:layer/queryables", "/ogc/collections/risk_points/queryables", "", all(200))
	// one OGC item: in scope 200, out of scope it does not exist
	rs = append(rs, routeSpec{method: "GET", pattern: "/ogc/collections/:layer/items/:id",
		build: func(s seeded, user string, in bool) (request, bool) {
			p, ok := placeOf(user, in)
			return request{"GET", fmt.Sprintf("/ogc/collections/risk_points/items/%d", s.ids[p]), ""}, ok
		},
		want: func(user string, in bool) int { return map[bool]int{true: 200, false: 404}[in] }})
	return rs
}
