package api

import "riskmap/features"

// asOfParam asks for a layer as it stood at a time, from the audit log.
var asOfParam = param("as_of", "query", "RFC 3339 time: the layer as it stood then, from the audit log (422 before its history begins)",
	obj{"type": "string", "format": "date-time"}, false)

// editingOperations documents the routes of keeping the map current
// (docs/editing.md): feature history, proposals, stock movements, printing.
func editingOperations(layers features.Registry) []operation {
	anyObj := obj{"type": "object"}
	ops := []operation{}
	for _, name := range layers.Names() {
		ops = append(ops, operation{method: "GET", path: "/api/v1/" + name + "/{id}/history", tag: "history",
			summary: "every logged version of the feature: who, when, how (api, app, proposal, import job, sql), the fields changed, the geometry before and after",
			params:  params("id"),
			replies: obj{"200": reply("{layer, id, versions: [...], history_since}", "application/json", anyObj)}})
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
			replies: obj{"201": reply("{movements, lines}", "application/json", anyObj), "200": reply("a count that found what was on hand: nothing moved", "application/json", anyObj),
				"409": obj{"$ref": "#/components/responses/Error"}}},
		operation{method: "GET", path: "/api/v1/depots/{id}/stock-movements", tag: "stock",
			summary: "a depot's stock lines (with expiry and norm flags) and its ledger, newest first; format=xlsx for the ledger workbook",
			params: append(params("id"), param("item", "query", "one item only", str, false), param("limit", "query", "1 to 100000 (default 1000)", integer, false),
				param("format", "query", "json or xlsx", obj{"type": "string", "enum": []string{"json", "xlsx"}}, false)),
			replies: obj{"200": obj{"description": "{depot, lines, movements}", "content": obj{"application/json": obj{"schema": anyObj},
				"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{}}}}})
	return ops
}
