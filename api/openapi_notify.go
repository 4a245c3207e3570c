package api

import "riskmap/notify"

// notificationOperations documents the inbox, the robots and the rules
// (docs/notifications.md).
func notificationOperations() []operation {
	anyValue := obj{} // a value of any type
	links := arrayOf(object(obj{"href": str, "rel": str, "type": str}))
	channelOut := object(obj{"id": integer, "area": str, "kind": str, "name": str, "url": str, "kinds": arrayOf(str),
		"digest_at": str, "enabled": boolean, "version": integer})
	delivery := object(obj{"id": integer, "state": str, "attempts": integer, "error": anyValue})
	rule := object(obj{"kind": str, "label": str, "audiences": arrayOf(str), "defined_at": anyValue})
	ok := func(desc string, schema obj) obj { return obj{"200": reply(desc, "application/json", schema)} }
	channel := obj{"type": "object", "properties": obj{
		"id":        obj{"type": "integer", "description": "on PATCH of the collection: the channel changed"},
		"area":      obj{"type": "string", "description": "12-digit code of a township, county or the city"},
		"kind":      obj{"type": "string", "enum": notify.ChannelKinds()},
		"name":      str,
		"url":       obj{"type": "string", "description": "the robot's webhook address (its key, for 企业微信 and 钉钉, in the query)"},
		"secret":    obj{"type": "string", "description": "钉钉's 加签 secret, or the generic webhook's signing secret (≥ 16 characters); never returned"},
		"kinds":     obj{"type": "array", "items": obj{"type": "string", "enum": notify.KindNames()}, "description": "empty: every kind its office hears of"},
		"digest_at": obj{"type": "string", "description": "HH:MM (Asia/Shanghai) of the daily digest; empty: none"},
		"enabled":   boolean}}
	id := params("id")
	return []operation{
		{method: "GET", path: "/api/v1/notifications", tag: "notifications", summary: "the user's inbox, newest first, with the unread count",
			params: []obj{param("unread", "query", "true: unread only", boolean, false), param("limit", "query", "1 to 500 (default 50)", integer, false), sharedParams["cursor"]},
			replies: ok(`{"notifications":[{"id","kind","label","case_id","ref_type","ref_id","title","body","link","created_at","read_at"}],"unread","numberReturned","links"}`,
				object(obj{"notifications": arrayOf(object(obj{"id": integer, "kind": str, "label": str, "case_id": anyValue, "ref_type": anyValue, "ref_id": anyValue,
					"title": str, "body": str, "link": anyValue, "created_at": str, "read_at": anyValue})), "unread": integer, "numberReturned": integer, "links": links}))},
		{method: "POST", path: "/api/v1/notifications/read", tag: "notifications", summary: `mark notifications read: {"ids":[...]} or {"all":true}; an id not the user's is refused and nothing is marked`,
			body:    jsonBody(obj{"type": "object", "properties": obj{"ids": obj{"type": "array", "items": integer}, "all": boolean}}),
			replies: ok(`{"read","unread"}`, object(obj{"read": integer, "unread": integer}))},
		{method: "GET", path: "/api/v1/notification-channels", tag: "notifications", summary: "the robots of the user's areas (offices and the admin), secrets never shown, with their delivery figures and last error",
			replies: ok(`{"channels":[...]}`, object(obj{"channels": arrayOf(channelOut)}))},
		{method: "POST", path: "/api/v1/notification-channels", tag: "notifications", summary: "add a robot (企业微信, 钉钉 or a signed generic webhook) for an area the user manages",
			body: jsonBody(channel), replies: obj{"201": reply("the channel (no secret)", "application/json", channelOut)}},
		{method: "PATCH", path: "/api/v1/notification-channels", tag: "notifications", summary: "change the channel named by the body's id", params: params("ifMatch"),
			body: jsonBody(channel), replies: ok("the channel", channelOut)},
		{method: "DELETE", path: "/api/v1/notification-channels", tag: "notifications", summary: "remove the channel ?id= and its undelivered messages",
			params: []obj{param("id", "query", "the channel", integer, true), sharedParams["ifMatch"]}, replies: obj{"204": reply("removed", "", nil)}},
		{method: "GET", path: "/api/v1/notification-channels/{id}", tag: "notifications", summary: "one channel", params: id, replies: ok("the channel", channelOut)},
		{method: "PATCH", path: "/api/v1/notification-channels/{id}", tag: "notifications", summary: "change a channel (kind fixed; an empty secret clears it)",
			params: append(params("id"), sharedParams["ifMatch"]), body: jsonBody(channel), replies: ok("the channel", channelOut)},
		{method: "DELETE", path: "/api/v1/notification-channels/{id}", tag: "notifications", summary: "remove a channel and its undelivered messages",
			params: append(params("id"), sharedParams["ifMatch"]), replies: obj{"204": reply("removed", "", nil)}},
		{method: "POST", path: "/api/v1/notification-channels/{id}/test", tag: "notifications", summary: "send a test message now and tell whether the robot took it",
			params: id, replies: ok(`{"at","ok","error"}`, object(obj{"at": str, "ok": boolean, "error": anyValue}))},
		{method: "GET", path: "/api/v1/notification-channels/{id}/deliveries", tag: "notifications", summary: "the channel's messages: pending, delivered, dead (with attempts and the last error)",
			params: append(params("id"), param("state", "query", "pending, delivered or dead", obj{"type": "string", "enum": notify.DeliveryStates()}, false),
				param("limit", "query", "1 to 500 (default 50)", integer, false), sharedParams["cursor"]),
			replies: ok(`{"deliveries":[...],"links"}`, object(obj{"deliveries": arrayOf(delivery), "links": links}))},
		{method: "POST", path: "/api/v1/notification-channels/{id}/deliveries/{delivery}/retry", tag: "notifications", summary: "put a dead message back in the outbox",
			params:  append(params("id"), param("delivery", "path", "the message", integer, true)),
			replies: obj{"200": reply("the message", "application/json", delivery), "409": obj{"$ref": "#/components/responses/Error"}}},
		{method: "GET", path: "/api/v1/notification-rules", tag: "notifications", summary: "who receives each kind of notification in an area, and where that rule is defined",
			params: []obj{param("area", "query", "12-digit area code; empty: the defaults", str, false)}, replies: ok(`{"area","rules":[{"kind","label","audiences","defined_at"}],"audiences"}`,
				object(obj{"area": str, "rules": arrayOf(rule), "audiences": arrayOf(str)}))},
		{method: "PUT", path: "/api/v1/notification-rules", tag: "notifications", summary: "set who receives a kind in an area (the admin; the county and city offices in their areas)",
			body: jsonBody(obj{"type": "object", "required": []string{"kind", "audiences"}, "properties": obj{"kind": obj{"type": "string", "enum": notify.KindNames()},
				"area": str, "audiences": obj{"type": "array", "items": obj{"type": "string", "enum": notify.Audiences()}}}}),
			replies: ok("the rule", rule)},
		{method: "DELETE", path: "/api/v1/notification-rules", tag: "notifications", summary: "remove an area's own rule of a kind: the area above's applies again",
			params: []obj{param("kind", "query", "the kind", str, true), param("area", "query", "12-digit area code", str, true)}, replies: obj{"204": reply("removed", "", nil)}},
	}
}
