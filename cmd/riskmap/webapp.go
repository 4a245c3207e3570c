package main

import (
	"flag"
	"log/slog"
	"os"

	"riskmap/api"
	"riskmap/web"
)

// webFlags configure the web app: an optional raster basemap.
type webFlags struct {
	basemap     string
	labels      string
	attribution string
	maxZoom     int
}

func (f *webFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.basemap, "basemap", os.Getenv("RISKMAP_BASEMAP"), "raster basemap for the web app: XYZ URL template(s), comma-separated, e.g. 天地图 img_w (env RISKMAP_BASEMAP; default none: the administrative areas are the base map)")
	fs.StringVar(&f.labels, "basemap-labels", os.Getenv("RISKMAP_BASEMAP_LABELS"), "raster label layer drawn over the basemap, e.g. 天地图 cia_w (env RISKMAP_BASEMAP_LABELS)")
	fs.StringVar(&f.attribution, "basemap-attribution", os.Getenv("RISKMAP_BASEMAP_ATTRIBUTION"), "attribution shown for the basemap (env RISKMAP_BASEMAP_ATTRIBUTION)")
	fs.IntVar(&f.maxZoom, "basemap-max-zoom", 18, "highest zoom the basemap has tiles for")
}

// wire gives the server the basemap and tells whether the binary carries
// the built app.
func (f *webFlags) wire(logger *slog.Logger, srv *api.Server) error {
	if !web.Built() {
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
