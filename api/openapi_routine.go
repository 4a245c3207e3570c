package api

// routineOperations documents the routine work (docs/patrols.md,
// docs/inspections.md): patrols of risk points, inspections of
// enterprises, 双随机 plans and the inspection statistics.
func routineOperations() []operation {
	anyValue := obj{} // a value of any type
	plan := object(obj{"id": integer, "area": str, "from": str, "to": str, "seed": anyValue, "units": arrayOf(object(obj{"hazard_source_id": integer})),
		"inspectors": arrayOf(anyValue), "progress": anyValue})
	date := obj{"type": "string", "format": "date"}
	uuid := param("id", "path", "the patrol's or inspection's UUID", obj{"type": "string", "format": "uuid"}, true)
	fc := obj{"200": reply("a page with numberReturned and a next link", "application/geo+json", ref("FeatureCollection"))}
	one := obj{"200": reply("the Feature with its cases under cases", "application/geo+json", ref("Feature"))}
	created := obj{"201": reply("the Feature with the cases it opened under cases; the same reply again for a resend", "application/geo+json", ref("Feature")),
		"409": obj{"$ref": "#/components/responses/Error"}}
	statsParams := []obj{param("area", "query", "12-digit area code", str, false), param("from", "query", "YYYY-MM-DD", date, false),
		param("to", "query", "YYYY-MM-DD", date, false),
		param("group_by", "query", "county, township or grid", obj{"type": "string", "enum": []string{"county", "township", "grid"}}, false),
		param("format", "query", "json, csv (UTF-8 with BOM) or xlsx", obj{"type": "string", "enum": []string{"json", "csv", "xlsx"}}, false)}
	return []operation{
		{method: "POST", path: "/api/v1/patrols", tag: "patrols", params: params("crs"),
			summary: "record a patrol: multipart field patrol (a GeoJSON Feature: the phone's UUID as id, its position, properties risk_point_id, device_time, accuracy_m, checklist, result, findings) and one or more photos in fields file; idempotent on the UUID",
			body: obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{"type": "object", "properties": obj{
				"patrol": str, "file": obj{"type": "array", "items": obj{"type": "string", "format": "binary"}}}}}}},
			replies: merge(created, obj{"413": obj{"$ref": "#/components/responses/Error"}, "507": obj{"$ref": "#/components/responses/Error"}})},
		{method: "GET", path: "/api/v1/patrols", tag: "patrols", summary: "patrols in scope, newest first",
			params: append(params("area", "limit", "cursor"), param("risk_point_id", "query", "one risk point's", integer, false),
				param("worker", "query", "a user id, or me", str, false), param("from", "query", "patrol day from", date, false),
				param("to", "query", "patrol day to", date, false), param("off_site", "query", "true: only off-site ones", boolean, false),
				param("result", "query", "normal or problem", str, false)),
			replies: fc},
		{method: "GET", path: "/api/v1/patrols/due", tag: "patrols",
			summary: "the active risk points in scope that are overdue or due within days (default 3), with due_on, last_patrol_at, overdue_days; most overdue first, or nearest first with near",
			params: append(params("area", "limit", "cursor"), param("overdue", "query", "true: only overdue ones", boolean, false),
				param("days", "query", "also those due within this many days", integer, false),
				param("near", "query", "lon,lat: sort by distance from here", str, false)),
			replies: fc},
		{method: "GET", path: "/api/v1/patrols/checklists", tag: "patrols", summary: "every version of every category's checklist, for the phone to keep",
			replies: obj{"200": reply("{checklists: [{category, version, items}], answers}", "application/json",
				object(obj{"checklists": arrayOf(object(obj{"category": str, "version": integer, "items": arrayOf(anyValue)})), "answers": anyValue}))}},
		{method: "GET", path: "/api/v1/patrols/{id}", tag: "patrols", summary: "a patrol with its photos and the cases it opened", params: []obj{uuid}, replies: one},
		{method: "GET", path: "/api/v1/patrols/{id}/photos/{photo}", tag: "patrols", summary: "a patrol's photo",
			params:  []obj{uuid, param("photo", "path", "the photo's id", obj{"type": "string", "format": "uuid"}, true)},
			replies: obj{"200": reply("the photo", "image/jpeg", nil)}},
		{method: "POST", path: "/api/v1/inspections", tag: "inspections", params: params("crs"),
			summary: "record an inspection of an enterprise by at least two officers; findings open cases, in one transaction",
			body: obj{"required": true, "content": obj{"application/json": obj{"schema": obj{"type": "object", "required": []string{"hazard_source_id", "inspected_on", "kind", "inspectors"},
				"properties": obj{"id": obj{"type": "string", "format": "uuid"}, "hazard_source_id": integer, "inspected_on": date,
					"kind":       obj{"type": "string", "enum": []string{"routine", "random", "special", "follow_up"}},
					"inspectors": obj{"type": "array", "minItems": 2, "items": integer},
					"findings":   obj{"type": "array", "items": obj{"type": "object", "properties": obj{"description": str, "grade": str, "category": str, "location": ref("Geometry")}}},
					"penalty":    obj{"type": "object", "properties": obj{"decision_no": str, "amount_yuan": obj{"type": "number"}}},
					"plan_id":    integer, "note": str}}}}},
			replies: created},
		{method: "GET", path: "/api/v1/inspections", tag: "inspections", summary: "inspections in scope, newest first",
			params: append(params("area", "limit", "cursor"), param("hazard_source_id", "query", "one enterprise's", integer, false),
				param("from", "query", "inspected on or after", date, false), param("to", "query", "inspected on or before", date, false),
				param("kind", "query", "routine, random, special or follow_up", str, false), param("level", "query", "township, county or city", str, false),
				param("plan_id", "query", "those carrying out a plan", integer, false)),
			replies: fc},
		{method: "GET", path: "/api/v1/inspections/{id}", tag: "inspections", summary: "an inspection with its inspectors, penalty and the cases it opened",
			params: []obj{uuid}, replies: one},
		{method: "GET", path: "/api/v1/inspection-officers", tag: "inspections", summary: "who may be named inspectors of an inspection of the enterprise (offices only)",
			params: []obj{param("hazard_source_id", "query", "the enterprise", integer, true)},
			replies: obj{"200": reply("{officers: [{id, name, role}]}", "application/json",
				object(obj{"officers": arrayOf(object(obj{"id": integer, "name": str, "role": str}))}))}},
		{method: "POST", path: "/api/v1/inspection-plans", tag: "inspections",
			summary: "a 双随机 draw: units enterprises and inspectors officers at random, from seed (stored; the same seed over the same registry draws the same)",
			body: obj{"required": true, "content": obj{"application/json": obj{"schema": obj{"type": "object", "required": []string{"area", "from", "to", "units", "inspectors"},
				"properties": obj{"area": str, "from": date, "to": date, "units": integer, "inspectors": integer, "category": str, "seed": integer}}}}},
			replies: obj{"201": reply("the plan with its units (hazard_source_id), inspectors and progress", "application/json", plan)}},
		{method: "GET", path: "/api/v1/inspection-plans", tag: "inspections", summary: "the plans in scope, newest first",
			params: params("area", "limit"), replies: obj{"200": reply("{plans: [...]}", "application/json", object(obj{"plans": arrayOf(plan)}))}},
		{method: "GET", path: "/api/v1/inspection-plans/{id}", tag: "inspections", summary: "a plan with its units, inspectors and progress",
			params: params("id"), replies: obj{"200": reply("the plan", "application/json", plan)}},
		{method: "GET", path: "/api/v1/stats/inspections", tag: "statistics",
			summary: "inspection statistics: enterprises, inspections, hazards found, to rectify, rectified, rate, penalties, fines, the own level's share, patrol figures and the annual paragraph",
			params:  statsParams, replies: obj{"200": reply("{rows, total, own_level, sentence}", "application/json",
				object(obj{"rows": arrayOf(obj{"type": "object", "additionalProperties": anyValue}), "total": obj{"type": "object", "additionalProperties": anyValue}, "own_level": anyValue, "sentence": str}))}},
	}
}

func merge(a, b obj) obj {
	out := obj{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
