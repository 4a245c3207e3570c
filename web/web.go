// Package web embeds the built web app (web/dist) so the binary serves it
// with no files beside it. `make web` builds dist from the sources (Node.js
// and npm); the build output is not committed. Without it, dist holds only
// the committed placeholder.html, which is then served as the index page and
// says how to build the app, so `go build` works on machines without Node.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Files returns the built app, rooted at its index.html (the placeholder
// when the app has not been built).
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist exists
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return placeholder{sub}
	}
	return sub
}

// Built reports whether the embedded app is the real build.
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// placeholder answers index.html with placeholder.html.
type placeholder struct{ fs.FS }

func (p placeholder) Open(name string) (fs.File, error) {
	if name == "index.html" {
		name = "placeholder.html"
	}
	return p.FS.Open(name)
}
