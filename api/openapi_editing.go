package api

import "riskmap/features"

// asOfParam asks for a layer as it stood at a time, from the audit log.
var asOfParam = param("as_of", "query", "RFC 3339 time: the layer as it stood then, from the audit log (422 before its history begins)",
	obj{"type": "string", "format": "date-time"}, false)

// editingOperations documents the routes of keeping the map current
// (docs/editing.md): feature history, proposals, stock movements, printing.
func editingOperations(layers features.Registry) []operation {
	proposal := object(obj{"id": str, "client_id": str, "layer": str, "kind": str, "target_id": obj{"type": "integer", "nullable": true},
		"base_version": obj{"type": "integer", "nullable": true}, "feature": ref("Feature"), "reason": str, "state": str, "version": integer,
		"proposed_by": integer, "proposed_by_name": str, "proposed_at": dateTime, "decided_by": obj{"type": "integer", "nullable": true},
		"decided_by_name": str, "decided_at": obj{"type": "string", "format": "date-time", "nullable": true}, "decision_note": str,
		"applied_id": obj{"type": "integer", "nullable": true}, "applied_version": obj{"type": "integer", "nullable": true},
		"grid_code": str, "township_code": str, "target": ref("Feature"), "target_version": obj{"type": "integer", "nullable": true}, "stale": boolean,
		"photos": arrayOf(object(obj{"id": str, "url": str, "content_type": str, "size": integer, "sha256": str}))})
	stockLine := object(obj{"item": str, "unit": str, "batch": str, "expires_on": obj{"type": "string", "format": "date", "nullable": true},
		"quantity": number, "updated_at": dateTime, "expired": boolean, "expiring": boolean, "below_norm": boolean})
	stockMove := object(obj{"id": integer, "depot_id": integer, "item": str, "unit": str, "batch": str, "kind": str, "quantity": number,
		"balance": number, "reason": str, "ref": str, "counterpart_depot": obj{"type": "integer", "nullable": true}, "actor": str, "at": dateTime})
	stock := object(obj{"depot": obj{"type": "object", "additionalProperties": obj{}}, "lines": arrayOf(stockLine), "movements": arrayOf(stockMove)})
	ok := func(desc string, schema obj) obj { return obj{"200": reply(desc, "application/json", schema)} }
	ops := []operation{}
	for _, name := range layers.Names() {
		ops = append(ops, operation{method: "GET", path: "/api/v1/" + name + "/{id}/history", tag: "history",
			summary: "every logged version of the feature: who, when, how (api, app, proposal, import job, sql), the fields changed, the geometry before and after",
			params:  params("id"),
			replies: obj{"200": reply("{layer, id, versions: [...], history_since}", "application/json", object(obj{"layer": str, "id": integer,
				"versions": arrayOf(obj{"type": "object", "additionalProperties": obj{}}), "history_since": obj{"type": "string", "format": "date-time", "nullable": true}}))}})
	}
	movement := obj{"type": "object", "required": []string{"item", "unit", "kind"}, "properties": obj{
		"item": str, "unit": str, "batch": str, "expires_on": obj{"type": "string", "format": "date"},
		"kind":     obj{"type": "string", "enum": []string{"in", "out", "transfer", "count"}},
		"quantity": obj{"type": "number", "description": "the signed change: an out of 40 is -40"},
		"counted":  obj{"type": "number", "description": "for a count instead of quantity: the quantity found"},
		"to_depot": integer, "reason": str, "ref": str}}
	ops = append(ops,
		operation{method: "POST", path: "/api/v1/depots/{id}/stock-movements", tag: "stock",
			summary: "record a stock movement (a transfer writes both depots' halves); 409 when it would leave less than nothing",
			params:  params("id"), body: jsonBody(movement),
			replies: obj{"201": reply("{movements, lines}", "application/json", stock), "200": reply("a count that found what was on hand: nothing moved", "application/json", stock),
				"409": obj{"$ref": "#/components/responses/Error"}}},
		operation{method: "GET", path: "/api/v1/depots/{id}/stock-movements", tag: "stock",
			summary: "a depot's stock lines (with expiry and norm flags) and its ledger, newest first; format=xlsx for the ledger workbook",
			params: append(params("id"), param("item", "query", "one item only", str, false), param("limit", "query", "1 to 100000 (default 1000)", integer, false),
				param("format", "query", "json or xlsx", obj{"type": "string", "enum": []string{"json", "xlsx"}}, false)),
			replies: obj{"200": obj{"description": "{depot, lines, movements}", "content": obj{"application/json": obj{"schema": stock},
				"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{}}}}})
	prop := obj{"type": "object", "required": []string{"layer", "reason"}, "properties": obj{
		"id": obj{"type": "string", "format": "uuid", "description": "made on the phone: sending again creates nothing"}, "layer": obj{"type": "string", "enum": []string{"risk_points"}},
		"kind":      obj{"type": "string", "enum": []string{"create", "update", "retire"}, "description": "default: create without target_id, retire with it and no feature, else update"},
		"target_id": integer, "feature": ref("Feature"), "reason": str}}
	ops = append(ops,
		operation{method: "POST", path: "/api/v1/proposals", tag: "proposals", summary: "a grid worker proposes a new, moved, changed or retired risk point (JSON, or multipart: field proposal then photos in field file)",
			params: params("crs"),
			body: obj{"required": true, "content": obj{"application/json": obj{"schema": prop}, "multipart/form-data": obj{"schema": obj{"type": "object",
				"properties": obj{"proposal": prop, "file": obj{"type": "array", "items": obj{"type": "string", "format": "binary"}}}}}}},
			replies: obj{"201": reply("the proposal", "application/json", proposal), "200": reply("the proposal sent before with this id", "application/json", proposal)}},
		operation{method: "GET", path: "/api/v1/proposals", tag: "proposals", summary: "proposals: a worker's own, an office's in its area; with the feature as it stands and stale when it changed since",
			params: []obj{param("state", "query", "pending, approved, rejected or withdrawn", obj{"type": "string", "enum": []string{"pending", "approved", "rejected", "withdrawn"}}, false),
				param("area", "query", "12-digit area or 15-digit grid code", str, false)},
			replies: ok("{proposals: [...]}", object(obj{"proposals": arrayOf(proposal)}))},
		operation{method: "GET", path: "/api/v1/proposals/{id}", tag: "proposals", summary: "one proposal", params: params("id"), replies: ok("the proposal", proposal)},
		operation{method: "POST", path: "/api/v1/proposals/{id}/actions", tag: "proposals",
			summary: "approve (applied in the same transaction), reject (reason required) or withdraw (its author); 409 on a stale version or a feature changed since without target_version",
			params:  params("id"),
			body: jsonBody(obj{"type": "object", "required": []string{"action", "version"}, "properties": obj{
				"action": obj{"type": "string", "enum": []string{"approve", "reject", "withdraw"}}, "version": integer, "note": str, "reason": str, "target_version": integer}}),
			replies: obj{"200": reply("the proposal after it", "application/json", proposal), "409": obj{"$ref": "#/components/responses/Error"}}},
		operation{method: "GET", path: "/api/v1/proposals/{id}/photos/{photo}", tag: "proposals", summary: "a photo of a proposal",
			params:  append(params("id"), param("photo", "path", "photo id", str, true)),
			replies: obj{"200": reply("the photo", "application/octet-stream", nil)}})
	ops = append(ops, operation{method: "GET", path: "/api/v1/stats/risk-areas", tag: "statistics",
		summary: "the four-colour map of areas: townships, villages or grids in scope with their active risk points by level, the gravest level and the risk index",
		params: []obj{param("area", "query", "12-digit area code", str, false),
			param("group_by", "query", "township (default), village or grid", obj{"type": "string", "enum": []string{"township", "village", "grid"}}, false),
			param("format", "query", "json or xlsx", obj{"type": "string", "enum": []string{"json", "xlsx"}}, false)},
		replies: obj{"200": obj{"description": "{areas: [{code, name, level, n1, n2, n3, n4, total, max_level, risk_index, index_level}]}",
			"content": obj{"application/json": obj{"schema": object(obj{"areas": arrayOf(object(obj{"code": str, "name": str, "level": str,
				"n1": integer, "n2": integer, "n3": integer, "n4": integer, "total": integer,
				"max_level": obj{"type": "integer", "nullable": true}, "risk_index": number, "index_level": obj{"type": "integer", "nullable": true}}))})}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{}}}}})
	ops = append(ops, operation{method: "GET", path: "/api/v1/print", tag: "print",
		summary: "the map of an area or grid in scope as a vector PDF: title, legend (图例), scale bar, north arrow, date, who printed it",
		params: []obj{param("area", "query", "12-digit area or 15-digit grid code", str, true),
			param("size", "query", "A4 (default) or A3", obj{"type": "string", "enum": []string{"A4", "A3"}}, false),
			param("orientation", "query", "landscape (default) or portrait", obj{"type": "string", "enum": []string{"landscape", "portrait"}}, false),
			param("layers", "query", "comma-separated: risk_areas, grids, hazard_sources, stations, depots, risk_points (default all)", str, false)},
		replies: obj{"200": reply("the PDF", "application/pdf", nil), "503": obj{"$ref": "#/components/responses/Error"}}})
	field := obj{"type": "object", "required": []string{"name", "type", "required"}, "properties": obj{
		"name": str, "type": obj{"type": "string", "enum": []string{"text", "integer", "number", "date", "boolean", "enum", "int_enum", "code12", "code15"}},
		"required": obj{"type": "boolean"}, "values": obj{"type": "array", "items": str}, "ints": obj{"type": "array", "items": integer},
		"min": obj{"type": "number"}, "max": obj{"type": "number"}, "max_length": integer}}
	layer := obj{"type": "object", "required": []string{"name", "geometry", "writable", "fields", "derived"}, "properties": obj{
		"name": str, "geometry": obj{"type": "string", "enum": []string{"Point", "MultiPolygon"}},
		"writable": obj{"type": "boolean", "description": "whether the user's role may change the layer (where is checked per feature)"},
		"fields":   obj{"type": "array", "items": field}, "derived": obj{"type": "array", "items": str}}}
	ops = append(ops, operation{method: "GET", path: "/api/v1/layers", tag: "features",
		summary: "the feature layers' writable fields (types, allowed values, limits) and whether the user may change each: what the app's edit forms are built from",
		replies: ok("{layers: [...]}", obj{"type": "object", "required": []string{"layers"}, "properties": obj{"layers": obj{"type": "array", "items": layer}}})})
	return ops
}
