package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"riskmap/features"
)

// search: GET /api/v1/search?q=&layers=&limit=, the map's search box: the
// features and cases in the user's scope whose name, address, code, credit
// code, grid worker or case number holds q, best matches first.
func (s *Server) search(c *gin.Context) {
	q, err := features.SearchText(c.Query("q"))
	if err != nil {
		s.fail(c, err)
		return
	}
	limit := 20
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			s.fail(c, badParam("limit", "want a whole number from 1 to %d, got %q", 100, v))
			return
		}
		limit = n
	}
	all := features.SearchLayers()
	if s.Cases != nil {
		all = append(all, "cases")
	}
	layers := all
	if v := c.Query("layers"); v != "" {
		layers = nil
		for _, l := range strings.Split(v, ",") {
			if l = strings.TrimSpace(l); !slices.Contains(all, l) {
				s.fail(c, badParam("layers", "unknown layer %q; allowed: %s", l, strings.Join(all, ", ")))
				return
			}
			layers = append(layers, l)
		}
	}
	u := currentUser(c)
	var hits []features.Hit
	if fl := slices.DeleteFunc(slices.Clone(layers), func(l string) bool { return l == "cases" }); len(fl) > 0 {
		if hits, err = s.Features.Search(c.Request.Context(), u.Scope(), q, fl, limit); err != nil {
			s.fail(c, err)
			return
		}
	}
	if slices.Contains(layers, "cases") {
		ch, err := s.Cases.Search(c.Request.Context(), u, q, limit)
		if err != nil {
			s.fail(c, err)
			return
		}
		hits = append(hits, ch...)
	}
	hits = features.SortHits(hits, limit)
	if hits == nil {
		hits = []features.Hit{}
	}
	c.JSON(http.StatusOK, gin.H{"query": q, "results": hits})
}
