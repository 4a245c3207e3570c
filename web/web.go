// Package web embeds the built web app (web/dist) so the binary serves it
// with no files beside it. `make web` rebuilds dist from the sources; a
// committed build keeps `go build` working on machines without Node.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Files returns the built app, rooted at its index.html.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist exists
	}
	return sub
}
