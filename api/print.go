package api

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap/printing"
)

// printMap answers GET /api/v1/print?area=CODE&size=A4|A3&orientation=landscape|portrait[&layers=a,b]:
// the map of an area (or grid) in scope as a vector PDF drawn on the server.
func (s *Server) printMap(c *gin.Context) {
	area := c.Query("area")
	if !code12or15.MatchString(area) {
		s.fail(c, badParam("area", "want a 12-digit area or 15-digit grid code, got %q", area))
		return
	}
	size := c.DefaultQuery("size", "A4")
	if size != "A4" && size != "A3" {
		s.fail(c, badParam("size", "want A4 or A3, got %q", size))
		return
	}
	orient := c.DefaultQuery("orientation", "landscape")
	if orient != "landscape" && orient != "portrait" {
		s.fail(c, badParam("orientation", "want landscape or portrait, got %q", orient))
		return
	}
	var layers []string
	if v := c.Query("layers"); v != "" {
		layers = strings.Split(v, ",")
		if err := printing.CheckLayers(layers); err != nil {
			s.fail(c, err)
			return
		}
	}
	u := currentUser(c)
	who := u.DisplayName
	if who == "" {
		who = u.Username
	}
	var buf bytes.Buffer
	err := s.Printer.Print(c.Request.Context(), u.Scope(), printing.Request{Area: area, Size: size, Orientation: orient,
		Layers: layers, PrintedBy: who, At: time.Now()}, &buf)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `inline; filename="riskmap-`+area+`.pdf"; filename*=UTF-8''`+url.PathEscape("风险图-"+area+".pdf"))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}
