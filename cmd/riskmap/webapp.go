package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"riskmap/api"
	"riskmap/web"
)

// webFlags configure the web app: where it is served from, and an optional
// raster basemap.
type webFlags struct {
	dir         string
	basemap     string
	labels      string
	attribution string
	maxZoom     int
}

func (f *webFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "web-dir", os.Getenv("RISKMAP_WEB_DIR"), "serve the web app from this directory (the output of web/build.mjs) instead of the copy built into the binary: front-end work without rebuilding the binary (env RISKMAP_WEB_DIR)")
	fs.StringVar(&f.basemap, "basemap", os.Getenv("RISKMAP_BASEMAP"), "raster basemap for the web app: XYZ URL template(s), comma-separated, e.g. 天地图 img_w (env RISKMAP_BASEMAP; default none: the server's own roads and place names are the base map)")
	fs.StringVar(&f.labels, "basemap-labels", os.Getenv("RISKMAP_BASEMAP_LABELS"), "raster label layer drawn over the basemap, e.g. 天地图 cia_w (env RISKMAP_BASEMAP_LABELS)")
	fs.StringVar(&f.attribution, "basemap-attribution", os.Getenv("RISKMAP_BASEMAP_ATTRIBUTION"), "attribution shown for the basemap (env RISKMAP_BASEMAP_ATTRIBUTION)")
	fs.IntVar(&f.maxZoom, "basemap-max-zoom", 18, "highest zoom the basemap has tiles for")
}

// wire gives the server the basemap and tells whether the binary carries
// the built app.
func (f *webFlags) wire(logger *slog.Logger, srv *api.Server) error {
	if f.dir != "" {
		if _, err := os.Stat(filepath.Join(f.dir, "index.html")); err != nil {
			return fmt.Errorf("--web-dir %s: no built web app there (%v): run node build.mjs in web/", f.dir, err)
		}
		srv.Web = os.DirFS(f.dir)
		logger.Info("web app served from a directory", "dir", f.dir)
	} else if !web.Built() {
		logger.Warn("web app not built into this binary: / shows a placeholder (run `make build` with Node.js 20 and npm)")
	}
	tiles, err := api.ParseBasemapURLs("--basemap", f.basemap)
	if err != nil {
		return err
	}
	labels, err := api.ParseBasemapURLs("--basemap-labels", f.labels)
	if err != nil {
		return err
	}
	if len(tiles) == 0 {
		return nil
	}
	srv.Basemap = &api.Basemap{Tiles: tiles, Labels: labels, Attribution: f.attribution, MaxZoom: f.maxZoom}
	logger.Info("web app basemap", "tiles", len(tiles), "labels", len(labels))
	return nil
}
