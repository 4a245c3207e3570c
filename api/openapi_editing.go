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
	return ops
}
