package api_test

import "fmt"

// notificationRoutes: everyone has an inbox; offices (and the admin)
// manage the robots of their areas; the admin, the county and the city set
// who is told what.
func notificationRoutes() []routeSpec {
	manager := func(u string) bool { return office(u) || roleOf[u] == "admin" }
	channel := func(method, suffix, body string, allowed int) routeSpec {
		return routeSpec{method: method, pattern: "/api/v1/notification-channels/:id" + suffix,
			build: func(s seeded, user string, in bool) (request, bool) {
				p, ok := placeOf(user, in)
				return request{method, fmt.Sprintf("/api/v1/notification-channels/%d%s", s.channels[p], suffix), body}, ok
			},
			want: func(u string, in bool) int {
				switch {
				case !manager(u):
					return 403
				case !in:
					return 404 // not in your areas
				}
				return allowed
			}}
	}
	area := func(method, pattern string, path func(area string) string, body func(area string) string, allowed func(string) bool, ok int) routeSpec {
		return routeSpec{method: method, pattern: pattern,
			build: func(s seeded, user string, in bool) (request, bool) {
				p, ok := placeOf(user, in)
				return request{method, path(areaOfPlace[p]), body(areaOfPlace[p])}, ok
			},
			want: func(u string, in bool) int {
				if in && allowed(u) {
					return ok
				}
				return 403
			}}
	}
	none := func(string) string { return "" }
	ruler := func(u string) bool { r := roleOf[u]; return r == "admin" || r == "city" || r == "county" }
	return []routeSpec{
		{method: "GET", pattern: "/api/v1/notifications",
			build: func(s seeded, user string, in bool) (request, bool) {
				return request{"GET", "/api/v1/notifications?unread=true", ""}, in
			},
			want: func(string, bool) int { return 200 }},
		{method: "POST", pattern: "/api/v1/notifications/read",
			build: func(s seeded, user string, in bool) (request, bool) {
				return request{"POST", "/api/v1/notifications/read", `{"all":true}`}, in
			},
			want: func(string, bool) int { return 200 }},
		{method: "GET", pattern: "/api/v1/notification-channels",
			build: func(s seeded, user string, in bool) (request, bool) {
				return request{"GET", "/api/v1/notification-channels", ""}, in
			},
			want: func(u string, in bool) int { return map[bool]int{true: 200, false: 403}[manager(u)] }},
		// a body refused after every permission check: 422 where allowed
		area("POST", "/api/v1/notification-channels", func(string) string { return "/api/v1/notification-channels" },
			func(a string) string { return fmt.Sprintf(`{"area":%q,"kind":"wecom","url":"ftp://robot"}`, a) }, manager, 422),
		// writes carry a stale If-Match (the matrix adds it): 412 where allowed
		{method: "PATCH", pattern: "/api/v1/notification-channels",
			build: func(s seeded, user string, in bool) (request, bool) {
				p, ok := placeOf(user, in)
				return request{"PATCH", "/api/v1/notification-channels", fmt.Sprintf(`{"id":%d,"name":"矩阵"}`, s.channels[p])}, ok
			},
			want: channel("", "", "", 412).want},
		{method: "DELETE", pattern: "/api/v1/notification-channels",
			build: func(s seeded, user string, in bool) (request, bool) {
				p, ok := placeOf(user, in)
				return request{"DELETE", fmt.Sprintf("/api/v1/notification-channels?id=%d", s.channels[p]), ""}, ok
			},
			want: channel("", "", "", 412).want},
		channel("GET", "", "", 200),
		channel("PATCH", "", `{"name":"矩阵"}`, 412),
		channel("DELETE", "", "", 412),
		// the robot's address answers nothing: the test reports it, 200
		channel("POST", "/test", "", 200),
		channel("GET", "/deliveries", "", 200),
		{method: "POST", pattern: "/api/v1/notification-channels/:id/deliveries/:delivery/retry",
			build: func(s seeded, user string, in bool) (request, bool) {
				p, ok := placeOf(user, in)
				return request{"POST", fmt.Sprintf("/api/v1/notification-channels/%d/deliveries/999999/retry", s.channels[p]), ""}, ok
			},
			want: channel("", "", "", 404).want},
		area("GET", "/api/v1/notification-rules", func(a string) string { return "/api/v1/notification-rules?area=" + a }, none, manager, 200),
		// an audience that is none: 422 once allowed
		area("PUT", "/api/v1/notification-rules", func(string) string { return "/api/v1/notification-rules" },
			func(a string) string { return fmt.Sprintf(`{"kind":"reported","area":%q,"audiences":["nobody"]}`, a) }, ruler, 422),
		// no rule of the area's own: 404 once allowed
		area("DELETE", "/api/v1/notification-rules", func(a string) string { return "/api/v1/notification-rules?kind=reported&area=" + a },
			none, ruler, 404),
	}
}
