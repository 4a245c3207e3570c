package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"riskmap/features"
)

// The OpenAPI 3.0 description of every route, served at /openapi.json.
// It is built here, from the layer registry for the feature layers and
// from the table below for the rest; TestOpenAPIDocumentsEveryRoute fails
// when a route registered in Engine is missing, so whoever adds a route
// adds its entry to apiOperations.

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonBody(schema obj) obj {
	return obj{"required": true, "content": obj{"application/json": obj{"schema": schema}}}
}

func reply(desc, ctype string, schema obj) obj {
	r := obj{"description": desc}
	if ctype != "" {
		c := obj{}
		if schema != nil {
			c["schema"] = schema
		}
		r["content"] = obj{ctype: c}
	}
	return r
}

func param(name, in, desc string, schema obj, required bool) obj {
	return obj{"name": name, "in": in, "description": desc, "schema": schema, "required": required || in == "path"}
}

var (
	str      = obj{"type": "string"}
	strs     = obj{"type": "array", "items": obj{"type": "string"}}
	integer  = obj{"type": "integer"}
	number   = obj{"type": "number"}
	boolean  = obj{"type": "boolean"}
	dateTime = obj{"type": "string", "format": "date-time"}
)

func object(props obj) obj  { return obj{"type": "object", "properties": props} }
func arrayOf(items obj) obj { return obj{"type": "array", "items": items} }
func nullableNumber() obj   { return obj{"type": "number", "nullable": true} }

var sharedParams = map[string]obj{
	"id":      param("id", "path", "the feature's (or record's) id", obj{"type": "integer", "minimum": 1}, true),
	"uuid":    param("id", "path", "the case's UUID", obj{"type": "string", "format": "uuid"}, true),
	"bbox":    param("bbox", "query", "minLon,minLat,maxLon,maxLat (WGS84)", str, false),
	"limit":   param("limit", "query", "page size, 1 to 10,000 (default 100)", obj{"type": "integer", "minimum": 1, "maximum": 10000}, false),
	"cursor":  param("cursor", "query", "the cursor of a next link", str, false),
	"crs":     param("crs", "query", "coordinate system of the input: wgs84, cgcs2000, gcj02, bd09", obj{"type": "string", "enum": []string{"wgs84", "cgcs2000", "gcj02", "bd09"}}, false),
	"area":    param("area", "query", "12-digit area code (or 15-digit grid code where said)", str, false),
	"ifMatch": param("If-Match", "header", "the version (ETag) the change applies to; 412 when stale", str, false),
	"layer":   param("layer", "path", "collection id: a layer name", obj{"type": "string", "enum": features.NewRegistry().Names()}, true),
	"outCrs": param("crs", "query", "coordinate system of the answer: wgs84 (default), cgcs2000 (the same numbers), gcj02 (AMap, Tencent, WeChat) or bd09 (Baidu); a converted answer says so in coordinate_system and X-Coordinate-System",
		obj{"type": "string", "enum": []string{"wgs84", "cgcs2000", "gcj02", "bd09"}}, false),
	"collection": param("layer", "path", "collection id: a layer name, or cases", obj{"type": "string", "enum": append(features.NewRegistry().Names(), "cases")}, true),
	"featureId":  param("id", "path", "the feature's id (a case's UUID)", str, true),
	"ogcCrs": param("crs", "query", "coordinates of the answer: CRS84 (lon/lat, the default) or CGCS2000 (EPSG:4490, lat/lon); Content-Crs names it",
		obj{"type": "string", "format": "uri", "enum": []string{crs84, crs4490}, "default": crs84}, false),
}

func params(names ...string) []obj {
	out := make([]obj, 0, len(names))
	for _, n := range names {
		out = append(out, sharedParams[n])
	}
	return out
}

func errorReplies(codes ...string) obj {
	r := obj{}
	for _, c := range codes {
		r[c] = obj{"$ref": "#/components/responses/Error"}
	}
	return r
}

// operation is one documented route.
type operation struct {
	method, path, tag, summary string
	// id is the operationId (default: from the method and path)
	params  []obj
	body    obj
	replies obj
	public  bool
	id      string
}

// operationID names an operation from its method and path, e.g. GET
// /api/v1/risk_points/{id} is getRiskPointsById.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(strings.Trim(strings.TrimPrefix(path, "/api/v1"), "/"), "/") {
		if seg == "" {
			continue
		}
		by := strings.HasPrefix(seg, "{")
		seg = strings.Trim(seg, "{}")
		if by {
			b.WriteString("By")
		}
		for _, w := range strings.FieldsFunc(seg, func(r rune) bool { return r == '_' || r == '.' || r == '-' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

func (o operation) spec() obj {
	rs := errorReplies("400", "401", "403", "404", "422")
	if o.public {
		rs = errorReplies("400", "422")
	}
	for k, v := range o.replies {
		rs[k] = v
	}
	id := o.id
	if id == "" {
		id = operationID(o.method, o.path)
	}
	op := obj{"tags": []string{o.tag}, "summary": o.summary, "responses": rs, "operationId": id}
	if len(o.params) > 0 {
		op["parameters"] = o.params
	}
	if o.body != nil {
		op["requestBody"] = o.body
	}
	if o.public {
		op["security"] = []obj{}
	}
	return op
}

// apiOperations documents every route but the feature layers'.
func apiOperations() []operation {
	ok := func(desc string, schema obj) obj { return obj{"200": reply(desc, "application/json", schema)} }
	geo := func(desc string) obj {
		return obj{"200": reply(desc, "application/geo+json", ref("FeatureCollection"))}
	}
	anyObj := obj{"type": "object"}
	return []operation{
		{method: "GET", path: "/healthz", tag: "health", summary: "200 when the database answers, 503 otherwise", public: true,
			replies: obj{"200": reply("healthy", "application/json", object(obj{"status": str})), "503": reply("the database does not answer", "application/json", ref("Error"))}},
		{method: "GET", path: "/metrics", tag: "health", summary: "Prometheus metrics (no token needed)", public: true,
			replies: obj{"200": reply("metrics in the Prometheus text format", "text/plain", nil)}},
		{method: "GET", path: "/openapi.json", tag: "health", summary: "this description (no token needed)", public: true,
			replies: ok("OpenAPI 3.0", obj{"type": "object", "required": []string{"openapi", "paths"}, "properties": obj{"openapi": str, "paths": obj{"type": "object"}}})},
		{method: "POST", path: "/api/v1/auth/login", tag: "auth", summary: "log in", public: true,
			body:    jsonBody(obj{"type": "object", "required": []string{"username", "password"}, "properties": obj{"username": str, "password": str}}),
			replies: obj{"200": reply("a bearer token", "application/json", ref("Login")), "401": obj{"$ref": "#/components/responses/Error"}, "429": obj{"$ref": "#/components/responses/Error"}}},
		{method: "POST", path: "/api/v1/auth/logout", tag: "auth", summary: "revoke the token sent", public: true, replies: obj{"204": reply("logged out", "", nil)}},
		{method: "GET", path: "/api/v1/auth/me", tag: "auth", summary: "the user of the token", replies: ok("the user", ref("User"))},
		{method: "POST", path: "/api/v1/auth/password", tag: "auth", summary: "change one's password (revokes one's tokens)",
			body:    jsonBody(obj{"type": "object", "required": []string{"old_password", "new_password"}, "properties": obj{"old_password": str, "new_password": str}}),
			replies: obj{"204": reply("changed", "", nil)}},
		{method: "POST", path: "/api/v1/tokens", tag: "auth", summary: "make a personal access token (for QGIS, GDAL, scripts): its secret is in this answer only; not with an access token",
			body: jsonBody(obj{"type": "object", "required": []string{"name"}, "properties": obj{"name": obj{"type": "string", "maxLength": 100},
				"expires_at": obj{"type": "string", "format": "date-time", "description": "default 90 days from now, at most a year"}, "read_only": boolean}}),
			replies: obj{"201": reply("the token with its secret", "application/json", obj{"allOf": []obj{ref("AccessToken"), obj{"type": "object", "properties": obj{"token": str}}}})}},
		{method: "GET", path: "/api/v1/tokens", tag: "auth", summary: "one's personal access tokens (never their secrets)",
			replies: ok("tokens", obj{"type": "object", "properties": obj{"tokens": obj{"type": "array", "items": ref("AccessToken")}}})},
		{method: "DELETE", path: "/api/v1/tokens/{id}", tag: "auth", summary: "revoke one of one's access tokens, at once on every replica", params: params("id"),
			replies: obj{"204": reply("revoked", "", nil)}},
		{method: "GET", path: "/api/v1/users", tag: "users", summary: "list accounts (admin)", replies: ok("accounts", obj{"type": "object", "properties": obj{"users": obj{"type": "array", "items": ref("Account")}}})},
		{method: "POST", path: "/api/v1/users", tag: "users", summary: "create an account (admin)", body: jsonBody(ref("UserSpec")),
			replies: obj{"201": reply("created", "application/json", ref("Account")), "409": obj{"$ref": "#/components/responses/Error"}}},
		{method: "GET", path: "/api/v1/users/{id}", tag: "users", summary: "one account (admin)", params: params("id"), replies: ok("the account", ref("Account"))},
		{method: "PATCH", path: "/api/v1/users/{id}", tag: "users", summary: "change an account: role, scope, password, disabled (admin)", params: params("id"),
			body: jsonBody(anyObj), replies: ok("the account", ref("Account"))},
		{method: "GET", path: "/api/v1/config", tag: "web", summary: "what the web app needs to know about this deployment (the basemap, or null)",
			replies: ok("{basemap}", object(obj{"basemap": obj{"type": "object", "nullable": true, "properties": obj{"tiles": strs, "labels": strs, "attribution": str}}}))},
		{method: "GET", path: "/api/v1/audit", tag: "audit", summary: "the audit log, newest first (admin, city)",
			params: []obj{param("table", "query", "a layer or account table", str, false), param("row_id", "query", "a row id or case UUID", str, false),
				param("actor_id", "query", "the acting user's id", integer, false), param("before", "query", "entries older than this id", integer, false),
				param("limit", "query", "1 to 1000 (default 100)", integer, false)},
			replies: ok("entries: who, when, table, row, before and after", object(obj{"entries": arrayOf(object(obj{"id": integer, "at": dateTime, "actor_id": integer, "actor": str, "table": str, "row_id": str, "action": str, "before": obj{"type": "object", "nullable": true}, "after": obj{"type": "object", "nullable": true}})), "next_before": integer}))},
		{method: "GET", path: "/api/v1/locate", tag: "features", summary: "the grid, township and county containing a point",
			params:  []obj{param("lon", "query", "longitude", obj{"type": "number"}, true), param("lat", "query", "latitude", obj{"type": "number"}, true), sharedParams["crs"]},
			replies: ok("{grid:{code,name,worker}, township:{code,name}, county:{code,name}}", object(obj{"grid": object(obj{"code": str, "name": str, "worker": obj{"type": "string", "nullable": true}}), "township": ref("AreaRef"), "county": ref("AreaRef")}))},
		{method: "GET", path: "/api/v1/search", tag: "features", summary: "find features and cases in scope by name, address, code, credit code, grid worker or case number",
			params: []obj{param("q", "query", "what to look for (1 to 100 characters)", str, true),
				param("layers", "query", "comma-separated: risk_points, hazard_sources, stations, depots, grids, areas, cases (default all)", str, false),
				param("limit", "query", "1 to 100 (default 20)", integer, false)},
			replies: ok("{query, results: [{layer, id, name, detail, match, center, bbox}]}, best matches first", object(obj{"query": str,
				"results": arrayOf(object(obj{"layer": str, "id": obj{"oneOf": []obj{integer, str}}, "name": str, "detail": str, "match": str, "center": arrayOf(number), "bbox": arrayOf(number)}))}))},
		{method: "GET", path: "/api/v1/grids/integrity", tag: "features", summary: "gaps and overlaps among the grids of each township", params: params("area"),
			replies: ok("per township, its gaps and overlaps", object(obj{"townships_checked": integer,
				"gaps":     arrayOf(object(obj{"township_code": str, "township_name": str, "area_m2": number, "geometry": ref("Geometry")})),
				"overlaps": arrayOf(object(obj{"township_code": str, "grid_a": str, "grid_b": str, "area_m2": number, "geometry": ref("Geometry")}))}))},
		{method: "POST", path: "/api/v1/cases", tag: "cases", summary: "report a hidden hazard (idempotent on a client-made UUID id)", params: params("crs"),
			body:    obj{"required": true, "content": obj{"application/geo+json": obj{"schema": ref("Feature")}, "application/json": obj{"schema": ref("Feature")}}},
			replies: obj{"201": reply("the case", "application/geo+json", ref("Feature")), "200": reply("the case, reported before with this id", "application/geo+json", ref("Feature"))}},
		{method: "GET", path: "/api/v1/cases", tag: "cases", summary: "cases in scope",
			params: append(params("bbox", "limit", "cursor", "outCrs"), param("state", "query", "comma-separated states", str, false),
				param("overdue", "query", "only overdue cases", boolean, false), param("escalated", "query", "only escalated cases", boolean, false),
				param("area", "query", "12-digit area or 15-digit grid code", str, false), param("grade", "query", "general or major", str, false),
				param("category", "query", "risk point category", str, false), param("assignee", "query", "a user id or me", str, false)),
			replies: geo("a page of cases")},
		{method: "GET", path: "/api/v1/cases/export", tag: "cases", summary: "the case ledger (台账): every case the list's filters select, one row a case with its grid, township, grade, category, dates, deadline, state, assignee, overdue days and the history's key dates",
			params: append(params("bbox"), param("format", "query", "xlsx (default: a workbook for people, Chinese headings) or csv (for machines: field names, codes)", obj{"type": "string", "enum": []string{"xlsx", "csv"}}, false),
				param("state", "query", "comma-separated states", str, false), param("overdue", "query", "only overdue cases", boolean, false),
				param("escalated", "query", "only escalated cases", boolean, false), param("area", "query", "12-digit area or 15-digit grid code", str, false),
				param("grade", "query", "general or major", str, false), param("category", "query", "risk point category", str, false),
				param("assignee", "query", "a user id or me", str, false)),
			replies: obj{"200": obj{"description": "the ledger, as an attachment", "content": obj{xlsxType: obj{}, "text/csv": obj{}}}}},
		{method: "GET", path: "/api/v1/cases/{id}", tag: "cases", summary: "a case with its event history", params: params("uuid", "outCrs"), replies: obj{"200": reply("the case", "application/geo+json", ref("Feature"))}},
		{method: "POST", path: "/api/v1/cases/{id}/actions", tag: "cases", summary: "move a case along the closed loop (409 on an illegal move or stale version)", params: params("uuid"),
			body:    jsonBody(obj{"type": "object", "required": []string{"action", "version"}, "properties": obj{"action": str, "version": integer, "assignee": integer, "deadline": obj{"type": "string", "format": "date-time"}, "note": str, "reason": str, "duplicate_of": str, "attachments": obj{"type": "array", "items": str}, "client_id": obj{"type": "string", "format": "uuid", "description": "makes the action idempotent: the same id again answers the first reply"}}}),
			replies: obj{"200": reply("the case after the action", "application/geo+json", ref("Feature")), "409": obj{"$ref": "#/components/responses/Error"}}},
		{method: "POST", path: "/api/v1/cases/{id}/attachments", tag: "cases", summary: "upload evidence (multipart, field file, optionally after a field client_id that makes it idempotent)", params: params("uuid"),
			body:    obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{"type": "object", "properties": obj{"client_id": obj{"type": "string", "format": "uuid"}, "file": obj{"type": "string", "format": "binary"}}}}}},
			replies: obj{"201": reply("{id, url, sha256, content_type, size}", "application/json", object(obj{"id": str, "url": str, "sha256": str, "content_type": str, "size": integer, "filename": str})), "413": obj{"$ref": "#/components/responses/Error"}, "507": obj{"$ref": "#/components/responses/Error"}}},
		{method: "GET", path: "/api/v1/cases/{id}/assignees", tag: "cases", summary: "who the case may be assigned to (the assign form's choices): the township's grid workers, the case's own grid worker first, then the township office", params: params("uuid"),
			replies: ok("{assignees: [...]}", object(obj{"assignees": arrayOf(object(obj{"id": integer, "username": str, "display_name": str, "role": str}))}))},
		{method: "GET", path: "/api/v1/attachments/{id}", tag: "cases", summary: "an attachment's content", params: []obj{param("id", "path", "attachment id", str, true)},
			replies: obj{"200": reply("the file", "application/octet-stream", nil)}},
		{method: "GET", path: "/api/v1/stats/rectification", tag: "statistics", summary: "rectification statistics of an area and period (docs/domain.md)",
			params: []obj{param("area", "query", "12-digit area code", str, true), param("from", "query", "YYYY-MM-DD", obj{"type": "string", "format": "date"}, true),
				param("to", "query", "YYYY-MM-DD", obj{"type": "string", "format": "date"}, true),
				param("group_by", "query", "county, township or grid", obj{"type": "string", "enum": []string{"county", "township", "grid"}}, false),
				param("format", "query", "json, csv (UTF-8 with BOM) or xlsx", obj{"type": "string", "enum": []string{"json", "csv", "xlsx"}}, false)},
			replies: obj{"200": obj{"description": "rows, total and the report sentence", "content": obj{"application/json": obj{"schema": ref("Statistics")}, "text/csv": obj{}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{}}}}},
		{method: "GET", path: "/api/v1/coverage", tag: "coverage", summary: "coverage of grids, risk points, hazard sources and people by stations or depots, by distance or road travel time (not for grid workers)",
			params: append(coverageParams(), param("limit", "query", "uncovered risk points and hazard sources listed, gravest first (default 1000)", integer, false),
				param("format", "query", "json, geojson (grids and uncovered points) or csv (UTF-8 with BOM)", obj{"type": "string", "enum": []string{"json", "geojson", "csv"}}, false)),
			replies: obj{"200": obj{"description": "shares, totals, townships, uncovered grids and points", "content": obj{"application/json": obj{"schema": ref("Coverage")}, "application/geo+json": obj{}, "text/csv": obj{}}}}},
		{method: "GET", path: "/api/v1/coverage/siting", tag: "coverage", summary: "k new sites by greedy maximal covering of risk-weighted population, existing facilities kept (cached until the data changes)",
			params: append(coverageParams(), param("k", "query", "new sites, 1 to 50 (default 3)", integer, false),
				param("candidates", "query", "grids (default), villages or points", obj{"type": "string", "enum": []string{"grids", "villages", "points"}}, false),
				param("points", "query", "with candidates=points: lon,lat;lon,lat (WGS84, up to 500)", str, false)),
			replies: ok("before, the sites with their gains, after", object(obj{"facility": str, "k": integer, "candidates": str, "candidate_count": integer, "demand": str,
				"before": ref("SitingTotals"), "after": ref("SitingTotals"), "data_version": str, "cached": boolean,
				"sites": arrayOf(object(obj{"rank": integer, "lon": number, "lat": number, "grid_code": str, "grid_name": str, "township_code": str, "gain": number, "new_grids": integer}))}))},
		{method: "GET", path: "/api/v1/readiness", tag: "coverage", summary: "四个一 per township: office, rescue team, platform and depot inside it (not for grid workers)",
			params: append(params("area"), param("incomplete", "query", "list only the incomplete townships", boolean, false)),
			replies: ok("{townships: [{code, name, complete, missing}], total, complete, incomplete}", object(obj{"total": integer, "complete": integer, "incomplete": integer,
				"townships": arrayOf(object(obj{"code": str, "name": str, "complete": boolean, "missing": strs}))}))},
		{method: "GET", path: "/api/v1/depots/sufficiency", tag: "coverage", summary: "depot stock per township against the norms per 1,000 residents (not for grid workers)",
			params: params("area"), replies: ok("norms and, per township, each item's required stock, stock and shortfall", object(obj{
				"norms":     obj{"type": "object", "additionalProperties": number},
				"townships": arrayOf(object(obj{"code": str, "name": str, "population": integer, "items": arrayOf(obj{"type": "object", "additionalProperties": obj{}})}))}))},
		{method: "GET", path: "/api/v1/events", tag: "cases",
			summary: "live feed (Server-Sent Events): case changes in scope (event case), the user's new notifications (notification) and unread count (inbox); every event has a numbered id, and Last-Event-ID replays what was missed from the stored feed, else event resync",
			params: []obj{param("Last-Event-ID", "header", "the id of the last event received: the events after it are sent first", str, false),
				param("last_event_id", "query", "as the header, for clients that cannot set it", str, false)},
			replies: obj{"200": reply("an event stream", "text/event-stream", nil)}},
		{method: "GET", path: "/tiles/{layer}/{z}/{x}/{y}.mvt", tag: "tiles", summary: "a Mapbox Vector Tile (2.1) of a layer in scope (all: every layer but coverage), gzipped when asked; the layer coverage takes the parameters of /api/v1/coverage (facility and max_distance_m or max_minutes, kind, area) and is not for grid workers",
			params: append([]obj{param("layer", "path", "a tile layer, all, or coverage", str, true), param("z", "path", "zoom", obj{"type": "integer", "minimum": 0, "maximum": 22}, true),
				param("x", "path", "column", obj{"type": "integer", "minimum": 0}, true), param("y", "path", "row", obj{"type": "integer", "minimum": 0}, true)}, coverageParams()...),
			replies: obj{"200": obj{"description": "the tile", "content": obj{"application/vnd.mapbox-vector-tile": obj{}}}, "204": reply("no feature in the tile", "", nil), "304": reply("not modified", "", nil)}},
		{method: "GET", path: "/tiles/{layer}.json", tag: "tiles", summary: "a tile layer's TileJSON 3.0.0",
			params:  append([]obj{param("layer", "path", "a tile layer, all, or coverage", str, true)}, coverageParams()...),
			replies: ok("TileJSON 3.0.0", object(obj{"tilejson": str, "tiles": strs, "minzoom": integer, "maxzoom": integer, "bounds": arrayOf(number), "vector_layers": arrayOf(obj{"type": "object", "additionalProperties": obj{}})}))},
		{method: "GET", path: "/styles/riskmap.json", tag: "tiles", summary: "the MapLibre style of the four-colour risk map", replies: ok("a MapLibre style", object(obj{"version": integer, "name": str, "glyphs": str, "sources": obj{"type": "object", "additionalProperties": obj{"type": "object"}}, "layers": arrayOf(obj{"type": "object", "additionalProperties": obj{}})}))},
		{method: "POST", path: "/api/v1/imports", tag: "imports", summary: "import a file into a layer as a background job (admin)",
			body: obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{"type": "object", "required": []string{"file", "layer"}, "properties": obj{
				"file":         obj{"type": "string", "format": "binary", "description": "GeoJSON (collection or newline-delimited), CSV, zipped Shapefile or GeoPackage"},
				"layer":        obj{"type": "string", "enum": features.NewRegistry().Names()},
				"crs":          obj{"type": "string", "description": "wgs84, cgcs2000, gcj02, bd09, webmercator or EPSG:4491–4554 (default: the file's own, else wgs84)"},
				"encoding":     obj{"type": "string", "enum": []string{"utf-8", "gbk"}},
				"skip_invalid": obj{"type": "boolean", "description": "load the valid rows; the rejected ones go to /rejects"},
				"bulk":         obj{"type": "string", "enum": []string{"auto", "on", "off"}, "description": "point layers: load in one transaction, the layer locked and its secondary indexes built again at the end (auto: from 100,000 rows, when the file brings more rows than the layer holds)"},
				"format":       obj{"type": "string", "enum": []string{"geojson", "csv", "xlsx", "shapefile", "gpkg"}},
				"map":          obj{"type": "array", "items": str, "description": "COLUMN=FIELD"},
				"ignore":       obj{"type": "array", "items": str, "description": "file columns to leave out; any other column that maps to no field refuses the file"},
				"table":        obj{"type": "string", "description": "GeoPackage table"},
			}}}}},
			replies: obj{"202": reply("the job; follow Location for its progress", "application/json", ref("ImportJob")), "413": obj{"$ref": "#/components/responses/Error"}}},
		{method: "GET", path: "/api/v1/imports", tag: "imports", summary: "the latest imports (admin)", replies: ok("jobs", obj{"type": "object", "properties": obj{"imports": obj{"type": "array", "items": ref("ImportJob")}}})},
		{method: "GET", path: "/api/v1/imports/{id}", tag: "imports", summary: "an import's status, counts and progress (admin)", params: params("id"), replies: ok("the job", ref("ImportJob"))},
		{method: "GET", path: "/api/v1/imports/{id}/report", tag: "imports", summary: "an import's report: rows, problems (row, external id, field, reason) (admin)", params: params("id"),
			replies: obj{"200": reply("the report", "application/json", ref("ImportReport")), "409": obj{"$ref": "#/components/responses/Error"}}},
		{method: "GET", path: "/api/v1/imports/{id}/rejects", tag: "imports", summary: "the rejected rows, in the input's format (admin)", params: params("id"),
			replies: obj{"200": reply("the file", "application/octet-stream", nil)}},
		{method: "GET", path: "/ogc", tag: "ogc", summary: "OGC API - Features landing page", replies: ok("links to the API definition, conformance and collections", ref("OGCLanding"))},
		{method: "GET", path: "/ogc/api", tag: "ogc", summary: "the OpenAPI description of the OGC API alone, relative to /ogc (its service-desc; no token needed)", public: true,
			replies: obj{"200": reply("OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0", obj{"type": "object", "required": []string{"openapi", "paths"}, "properties": obj{"openapi": str, "paths": obj{"type": "object"}}})}},
		{method: "GET", path: "/ogc/conformance", tag: "ogc", summary: "conformance classes: Part 1 core, GeoJSON, OpenAPI 3.0; Part 2 CRS; Part 3 queryables, property filters, filter with Basic CQL2 text",
			replies: ok("conformsTo", obj{"type": "object", "required": []string{"conformsTo"}, "properties": obj{"conformsTo": obj{"type": "array", "items": str}}})},
		{method: "GET", path: "/ogc/collections", tag: "ogc", summary: "the layers (and cases) with their extents in scope",
			replies: ok("collections", obj{"type": "object", "properties": obj{"collections": obj{"type": "array", "items": ref("OGCCollection")}, "links": ref("Links")}})},
		{method: "GET", path: "/ogc/collections/{layer}", tag: "ogc", summary: "one collection", params: params("collection"), replies: ok("the collection", ref("OGCCollection"))},
		{method: "GET", path: "/ogc/collections/{layer}/queryables", tag: "ogc", summary: "what items' filters may name (JSON Schema)", params: params("collection"),
			replies: obj{"200": reply("the queryables", "application/schema+json", obj{"type": "object", "properties": obj{"properties": obj{"type": "object"}}})}},
		{method: "GET", path: "/ogc/collections/{layer}/items", tag: "ogc", summary: "features of a collection in scope (each collection has its own path below, with its queryables)",
			params: append(params("collection"), ogcItemsParams()...), replies: geo("a page with numberMatched, numberReturned and next links")},
		{method: "GET", path: "/ogc/collections/{layer}/items/{id}", tag: "ogc", summary: "one feature (a case: its UUID)", params: append(params("collection", "featureId"), sharedParams["ogcCrs"]),
			replies: obj{"200": reply("the feature, with links", "application/geo+json", ref("Feature"))}},
	}
}

// withStyle has an array parameter sent comma-separated (bbox=1,2,3,4).
func withStyle(p obj) obj {
	p["style"], p["explode"] = "form", false
	return p
}

// ogcItemsParams are the parameters every items path takes.
func ogcItemsParams() []obj {
	return []obj{
		param("limit", "query", "page size: 1 to 10,000 (a larger one is served as 10,000), default 1,000; next links ask for at least 5,000",
			obj{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": ogcDefaultLimit}, false),
		sharedParams["cursor"],
		withStyle(param("bbox", "query", "minLon,minLat,maxLon,maxLat in bbox-crs; features that intersect it (exactly)", obj{"type": "array", "items": obj{"type": "number"}, "minItems": 4, "maxItems": 4}, false)),
		param("bbox-crs", "query", "the bbox's CRS: CRS84 (default) or EPSG:4490 (lat/lon)", obj{"type": "string", "format": "uri", "enum": []string{crs84, crs4490}}, false),
		param("datetime", "query", "updated_at at an instant (a date: that day, China time) or in an interval start/end (.. for an open end)", str, false),
		param("filter", "query", "a Basic CQL2 text expression on the queryables, e.g. risk_level <= 2 AND category = 'flood'", str, false),
		param("filter-lang", "query", "cql2-text (the only one)", obj{"type": "string", "enum": []string{"cql2-text"}, "default": "cql2-text"}, false),
		param("filter-crs", "query", "CRS84 (no spatial filter uses it)", obj{"type": "string", "format": "uri", "enum": []string{crs84}}, false),
		sharedParams["ogcCrs"],
		param("f", "query", "json (GeoJSON, the only encoding)", obj{"type": "string", "enum": []string{"json"}}, false),
	}
}

// ogcCollectionOperations document each collection's items at its own
// path, with its queryables as parameters: GDAL's OAPIF driver (QGIS)
// looks a collection's path up to know which of a -where's equalities the
// server answers.
func ogcCollectionOperations(layers features.Registry, withCases bool) []operation {
	var ops []operation
	geo := obj{"200": reply("a page with numberMatched, numberReturned and next links", "application/geo+json", ref("FeatureCollection"))}
	for _, name := range layers.Names() {
		l := layers[name]
		ps := ogcItemsParams()
		for _, q := range l.Queryables() {
			if !q.Time {
				sch := obj{}
				for k, v := range queryableSchema(l, q) {
					sch[k] = v
				}
				ps = append(ps, param(q.Name, "query", l.Label(q.Name)+": equal to", sch, false))
			}
		}
		ops = append(ops, operation{method: "GET", path: "/ogc/collections/" + name + "/items", tag: "ogc", summary: "features of " + name + " in scope",
			params: ps, replies: geo, id: "getOgcItems_" + name})
	}
	if withCases {
		ps := []obj{param("limit", "query", "page size: 1 to 10,000, default 1,000", obj{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": ogcDefaultLimit}, false),
			sharedParams["cursor"], sharedParams["bbox"]}
		for _, name := range []string{"state", "grade", "category"} {
			ps = append(ps, param(name, "query", "equal to", obj{"type": "string", "enum": casesQueryables[name]["enum"]}, false))
		}
		ops = append(ops, operation{method: "GET", path: "/ogc/collections/cases/items", tag: "ogc", summary: "the cases you may see, newest first",
			params: ps, replies: geo, id: "getOgcItems_cases"})
	}
	return ops
}

// coverageParams are the parameters coverage and siting share.
func coverageParams() []obj {
	return []obj{
		param("facility", "query", "stations (default) or depots", obj{"type": "string", "enum": []string{"stations", "depots"}}, false),
		param("kind", "query", "stations of one kind only", obj{"type": "string", "enum": []string{"office", "rescue_team", "platform"}}, false),
		param("max_distance_m", "query", "reach in metres, straight line (inclusive); this or max_minutes", obj{"type": "number"}, false),
		param("max_minutes", "query", "reach in minutes of road travel (inclusive)", obj{"type": "number"}, false),
		sharedParams["area"],
	}
}

// layerOperations documents the routes every feature layer has.
func layerOperations(l *features.Layer) []operation {
	props := ref(l.Name + "_properties")
	feature := obj{"allOf": []obj{ref("Feature"), obj{"type": "object", "properties": obj{"properties": props}}}}
	geoBody := obj{"required": true, "content": obj{"application/geo+json": obj{"schema": feature}, "application/json": obj{"schema": feature}}}
	fc := obj{"200": reply("a page of features with numberReturned and a next link", "application/geo+json", ref("FeatureCollection"))}
	one := obj{"200": reply("the feature; ETag is its version", "application/geo+json", feature)}
	p := "/api/v1/" + l.Name
	var filters []obj
	for _, f := range l.Fields {
		filters = append(filters, param(f.Name, "query", "equal to", str, false))
	}
	for _, d := range []string{"grid_code", "township_code", "county_code", "village_code"} {
		if l.Filterable(d) {
			filters = append(filters, param(d, "query", "equal to", str, false))
		}
	}
	return []operation{
		{method: "GET", path: p, tag: l.Name, summary: "features of " + l.Name + " in scope", params: append(params("bbox", "limit", "cursor", "outCrs"), param("area", "query", "only what lies in this 12-digit area or 15-digit grid", str, false), asOfParam), replies: fc},
		{method: "POST", path: p, tag: l.Name, summary: "create a feature", params: params("crs"), body: geoBody,
			replies: obj{"201": reply("the stored feature", "application/geo+json", feature)}},
		{method: "PATCH", path: p, tag: l.Name, summary: "change several features in one transaction (properties.version as each one's If-Match)", params: params("crs"),
			body: obj{"required": true, "content": obj{"application/geo+json": obj{"schema": ref("FeatureCollection")}}}, replies: fc},
		{method: "GET", path: p + "/{id}", tag: l.Name, summary: "one feature", params: params("id", "outCrs"), replies: one},
		{method: "PATCH", path: p + "/{id}", tag: l.Name, summary: "change a feature (partial Feature)", params: params("id", "ifMatch", "crs"), body: geoBody,
			replies: obj{"200": one["200"], "412": obj{"$ref": "#/components/responses/Error"}}},
		{method: "DELETE", path: p + "/{id}", tag: l.Name, summary: "delete a feature", params: params("id", "ifMatch"),
			replies: obj{"204": reply("deleted", "", nil), "412": obj{"$ref": "#/components/responses/Error"}}},
		{method: "GET", path: p + "/export", tag: l.Name, summary: "export " + l.Name + " in scope: GeoJSON and CSV (UTF-8 with BOM, formula-like cells neutralised) streamed, GeoPackage, or an Excel workbook for people (Chinese headings, codes as text)",
			params:  append(append(params("bbox", "outCrs"), param("format", "query", "geojson (default), csv, gpkg or xlsx", obj{"type": "string", "enum": []string{"geojson", "csv", "gpkg", "xlsx"}}, false)), filters...),
			replies: obj{"200": obj{"description": "the file, as an attachment", "content": obj{"application/geo+json": obj{}, "text/csv": obj{}, "application/geopackage+sqlite3": obj{}, xlsxType: obj{}}}}},
	}
}

func propertySchema(l *features.Layer) obj {
	props := obj{}
	var required []string
	for _, f := range l.Fields {
		var s obj
		switch f.Kind {
		case features.Int:
			s = obj{"type": "integer", "minimum": f.Min, "maximum": f.Max}
		case features.Numeric:
			s = obj{"type": "number", "minimum": f.Min, "maximum": f.Max}
		case features.IntEnum:
			s = obj{"type": "integer", "enum": f.Ints}
		case features.Enum:
			s = obj{"type": "string", "enum": f.Values}
		case features.Date:
			s = obj{"type": "string", "format": "date"}
		case features.Bool:
			s = obj{"type": "boolean"}
		case features.Code12:
			s = obj{"type": "string", "pattern": "^[0-9]{12}$"}
		case features.Code15:
			s = obj{"type": "string", "pattern": "^[0-9]{15}$"}
		default:
			s = obj{"type": "string"}
			if f.MaxLen > 0 {
				s["maxLength"] = f.MaxLen
			}
		}
		s["nullable"] = !f.Required
		props[f.Name] = s
		if f.Required {
			required = append(required, f.Name)
		}
	}
	for _, d := range l.Derived {
		props[d] = obj{"readOnly": true, "description": "derived by the server"}
	}
	s := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// OpenAPI returns the OpenAPI 3.0 document of the server's routes.
func (s *Server) OpenAPI() obj {
	paths := obj{}
	ops := apiOperations()
	for _, name := range s.Features.Layers.Names() {
		ops = append(ops, layerOperations(s.Features.Layers[name])...)
	}
	ops = append(ops, editingOperations(s.Features.Layers)...)
	ops = append(ops, notificationOperations()...)
	ops = append(ops, routineOperations()...)
	ops = append(ops, ogcCollectionOperations(s.Features.Layers, s.Cases != nil)...)
	for _, o := range ops {
		item, _ := paths[o.path].(obj)
		if item == nil {
			item = obj{}
			paths[o.path] = item
		}
		item[strings.ToLower(o.method)] = o.spec()
	}
	schemas := obj{
		"Error": obj{"type": "object", "properties": obj{"error": obj{"type": "object", "properties": obj{
			"code": str, "message": str, "details": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
				"field": str, "row": integer, "value": obj{}, "message": str}}}}}}},
		"Geometry": obj{"type": "object", "required": []string{"type"}, "properties": obj{"type": str, "coordinates": obj{"type": "array", "items": obj{}}}},
		"Feature": obj{"type": "object", "required": []string{"type"}, "properties": obj{"type": obj{"type": "string", "enum": []string{"Feature"}},
			"id": obj{"oneOf": []obj{integer, str}}, "geometry": ref("Geometry"), "properties": obj{"type": "object"}}},
		"FeatureCollection": obj{"type": "object", "properties": obj{"type": obj{"type": "string", "enum": []string{"FeatureCollection"}},
			"features": obj{"type": "array", "items": ref("Feature")}, "numberReturned": integer, "numberMatched": integer,
			"links": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"rel": str, "type": str, "href": str}}}}},
		"AreaRef": object(obj{"code": str, "name": str}),
		"StatsRow": object(obj{"area_code": str, "area_name": str, "found": integer, "to_rectify": integer, "rectified": integer, "rate": nullableNumber(),
			"overdue": integer, "on_time": integer, "on_time_rate": nullableNumber(), "major_found": integer, "major_rectified": integer}),
		"Statistics": object(obj{"area": str, "area_name": str, "from": str, "to": str, "group_by": str, "rows": arrayOf(ref("StatsRow")), "total": ref("StatsRow"), "sentence": str}),
		"Share": object(obj{"grids": nullableNumber(), "area": nullableNumber(), "population": nullableNumber(), "risk_weighted": nullableNumber(),
			"risk_points": nullableNumber(), "hazard_sources": nullableNumber()}),
		"SitingTotals": object(obj{"demand": number, "covered_demand": number, "share": nullableNumber(), "population": integer, "covered_population": integer, "grids": integer, "covered_grids": integer}),
		"Coverage": object(obj{"facility": str, "max_distance_m": nullableNumber(), "max_minutes": nullableNumber(), "facilities": integer,
			"share": ref("Share"), "totals": obj{"type": "object", "additionalProperties": number},
			"townships":                   arrayOf(object(obj{"code": str, "name": str, "share": ref("Share")})),
			"uncovered_grids":             arrayOf(object(obj{"code": str, "name": str, "township_code": str, "population": integer, "nearest_facility_id": integer, "nearest_facility_name": str, "distance_m": nullableNumber(), "minutes": nullableNumber()})),
			"uncovered_risk_points":       arrayOf(object(obj{"id": integer, "name": str, "grid_code": str, "township_code": str, "lon": number, "lat": number, "distance_m": nullableNumber()})),
			"uncovered_risk_points_total": integer, "uncovered_hazard_sources_total": integer, "truncated": boolean, "data_version": str, "cached": boolean}),
		"AccessToken": obj{"type": "object", "properties": obj{"id": integer, "name": str, "read_only": boolean,
			"created_at": obj{"type": "string", "format": "date-time"}, "expires_at": obj{"type": "string", "format": "date-time"},
			"last_used_at": obj{"type": "string", "format": "date-time", "nullable": true}, "revoked_at": obj{"type": "string", "format": "date-time", "nullable": true}}},
		"Links":      obj{"type": "array", "items": obj{"type": "object", "required": []string{"href", "rel"}, "properties": obj{"href": str, "rel": str, "type": str, "title": str}}},
		"OGCLanding": obj{"type": "object", "required": []string{"links"}, "properties": obj{"title": str, "description": str, "links": ref("Links")}},
		"OGCCollection": obj{"type": "object", "required": []string{"id", "links"}, "properties": obj{"id": str, "title": str, "description": str, "itemType": str,
			"crs": obj{"type": "array", "items": str}, "storageCrs": str, "links": ref("Links"),
			"extent": obj{"type": "object", "properties": obj{"spatial": obj{"type": "object", "properties": obj{
				"bbox": obj{"type": "array", "items": obj{"type": "array", "items": obj{"type": "number"}}}, "crs": str}}}}}},
		"User": obj{"type": "object", "properties": obj{"id": integer, "username": str, "display_name": str,
			"role":  obj{"type": "string", "enum": []string{"admin", "city", "county", "township", "worker", "planner"}},
			"areas": obj{"type": "array", "items": str}, "grids": obj{"type": "array", "items": str}}},
		"Account": obj{"allOf": []obj{ref("User"), obj{"type": "object", "properties": obj{"phone": str, "disabled": boolean, "version": integer,
			"created_at": obj{"type": "string", "format": "date-time"}, "updated_at": obj{"type": "string", "format": "date-time"}}}}},
		"UserSpec": obj{"type": "object", "required": []string{"username", "role", "password"}, "properties": obj{"username": str, "display_name": str,
			"role": str, "password": str, "phone": str, "areas": obj{"type": "array", "items": str}, "grids": obj{"type": "array", "items": str}}},
		"Login": obj{"type": "object", "properties": obj{"token": str, "expires_at": obj{"type": "string", "format": "date-time"}, "user": ref("User")}},
		"ImportJob": obj{"type": "object", "properties": obj{"id": integer, "layer": str, "format": str, "filename": str,
			"status": obj{"type": "string", "enum": []string{"queued", "reading", "checking", "loading", "done", "rejected", "failed", "interrupted"}},
			"phase":  str, "actor": str, "rows": integer, "valid": integer, "rejected": integer, "applied": integer, "inserted": integer,
			"updated": integer, "progress": obj{"type": "number"}, "error": obj{"type": "string", "nullable": true}, "has_rejects": boolean,
			"sha256":       obj{"type": "string", "nullable": true, "description": "SHA-256 of the file imported"},
			"audit":        obj{"type": "string", "enum": []string{"row", "job"}, "description": "row: an audit line per feature; job: a bulk load, the job is the record and each feature names it in import_job_id"},
			"has_original": obj{"type": "boolean", "description": "the file is kept as it came"},
			"created_at":   obj{"type": "string", "format": "date-time"}, "started_at": obj{"type": "string", "format": "date-time", "nullable": true},
			"finished_at": obj{"type": "string", "format": "date-time", "nullable": true}}},
		"ImportReport": obj{"type": "object", "properties": obj{"job_id": integer, "layer": str, "file": str, "format": str, "crs": str, "encoding": str,
			"rows": integer, "valid": integer, "rejected": integer, "inserted": integer, "updated": integer, "unchanged": integer, "applied": boolean,
			"problems":           obj{"type": "array", "items": obj{"type": "object", "properties": obj{"row": integer, "external_id": str, "field": str, "reason": str}}},
			"problems_truncated": boolean, "warnings": obj{"type": "array", "items": str}, "error": str, "seconds": obj{"type": "number"}}},
	}
	for _, name := range s.Features.Layers.Names() {
		schemas[name+"_properties"] = propertySchema(s.Features.Layers[name])
	}
	tags := []obj{}
	seen := map[string]bool{}
	for _, o := range ops {
		if !seen[o.tag] {
			seen[o.tag] = true
			tags = append(tags, obj{"name": o.tag})
		}
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i]["name"].(string) < tags[j]["name"].(string) })
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": "riskmap 应急风险一张图", "version": "1",
			"description": "The emergency layer of Shanwei's community risk map. Coordinates are WGS84 lon/lat unless a crs parameter says otherwise. Errors are {\"error\":{\"code\",\"message\",\"details\"}}."},
		"servers":    []obj{{"url": "/"}},
		"security":   []obj{{"bearer": []string{}}, {"basic": []string{}}},
		"tags":       tags,
		"paths":      paths,
		"components": obj{"schemas": schemas, "securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}, "basic": obj{"type": "http", "scheme": "basic", "description": "a personal access token as the password (any username)"}}, "responses": obj{"Error": reply("an error naming what was wrong", "application/json", ref("Error"))}},
	}
}

// OGCOpenAPI is the OpenAPI description of the OGC API alone, as its
// landing page's service-desc: the /ogc paths relative to a server at
// base/ogc, as OGC clients (GDAL's OAPIF driver) look paths up.
func (s *Server) OGCOpenAPI(base string) obj {
	doc := s.OpenAPI()
	paths := obj{}
	for p, item := range doc["paths"].(obj) {
		if rest, ok := strings.CutPrefix(p, "/ogc"); ok && (rest == "" || rest[0] == '/') {
			if rest == "" {
				rest = "/"
			}
			paths[rest] = item
		}
	}
	doc["paths"] = paths
	doc["servers"] = []obj{{"url": base + "/ogc"}}
	doc["tags"] = []obj{{"name": "ogc"}}
	info := doc["info"].(obj)
	doc["info"] = obj{"title": info["title"].(string) + " — OGC API - Features", "version": info["version"], "description": info["description"]}
	return doc
}

func (s *Server) ogcOpenAPI(c *gin.Context) {
	c.Header("Content-Type", "application/vnd.oai.openapi+json;version=3.0")
	body, _ := json.Marshal(s.OGCOpenAPI(s.baseURL(c.Request)))
	c.Data(http.StatusOK, "application/vnd.oai.openapi+json;version=3.0", body)
}

func (s *Server) openAPI(c *gin.Context) {
	c.JSON(http.StatusOK, s.OpenAPI())
}
