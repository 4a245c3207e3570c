package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/importers"
)

// Imports (admin only, docs/domain.md): a multipart upload becomes a job that
// the receiving replica runs in the background; any replica answers for
// its progress, report and rejected rows (they live in the database).
//
//	POST /api/v1/imports               multipart: file and the options (importers.OptionNames: layer, [crs], [encoding], [skip_invalid], [bulk], [format], [map]..., [table], [batch]) → 202 job
//	GET  /api/v1/imports               the latest jobs
//	GET  /api/v1/imports/:id           one job: status, counts, progress
//	GET  /api/v1/imports/:id/report    the report: rows, problems (row, external id, field, reason), warnings
//	GET  /api/v1/imports/:id/rejects   the rejected rows in the input's format (--skip-invalid imports)
const importsRoute = "/api/v1/imports"

// DefaultMaxImport is the largest upload POST /api/v1/imports takes.
const DefaultMaxImport = 1 << 30

// importStale is how long a running import may go without a heartbeat
// before it counts as interrupted (its process died).
const importStale = time.Minute

// importBodyLimit lets uploads be larger than MaxBody.
func (s *Server) importBodyLimit(c *gin.Context) int64 {
	if s.Imports != nil && c.FullPath() == importsRoute && c.Request.Method == http.MethodPost {
		if s.MaxImport > 0 {
			return s.MaxImport
		}
		return DefaultMaxImport
	}
	return 0
}

func (s *Server) importRoutes(authed *gin.RouterGroup) {
	g := authed.Group("", s.requireRole(riskmap.RoleAdmin))
	g.POST("/imports", s.startImport)
	g.GET("/imports", s.listImports)
	g.GET("/imports/:id", s.getImport)
	g.GET("/imports/:id/report", s.importReport)
	g.GET("/imports/:id/rejects", s.importRejects)
}

func (s *Server) startImport(c *gin.Context) {
	mr, err := c.Request.MultipartReader()
	if err != nil {
		s.fail(c, riskmap.Errorf(riskmap.EINVALID, "want a multipart/form-data upload with a file field and a layer field: %v", err))
		return
	}
	raw := map[string][]string{} // every field but the file, as sent
	var tmp, filename string
	defer func() {
		if tmp != "" {
			os.Remove(tmp)
		}
	}()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.fail(c, riskmap.Errorf(riskmap.EINVALID, "bad multipart body: %v", err))
			return
		}
		name := part.FormName()
		if name == "file" {
			if tmp != "" {
				s.fail(c, badParam("file", "send one file per import"))
				return
			}
			filename = filepath.Base(part.FileName())
			f, err := os.CreateTemp("", "riskmap-import-*"+safeExt(filename))
			if err != nil {
				s.fail(c, err)
				return
			}
			tmp = f.Name()
			_, err = io.Copy(f, part)
			f.Close()
			if err != nil {
				s.fail(c, err)
				return
			}
			continue
		}
		b, err := formField(part, 64<<10)
		if err != nil {
			s.fail(c, err)
			return
		}
		raw[name] = append(raw[name], string(b))
	}
	if tmp == "" {
		s.fail(c, badParam("file", "required: the file to import"))
		return
	}
	opts, err := importers.ParseOptions(raw)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if _, err := s.Imports.Reap(ctx, importStale); err != nil {
		s.Logger.Warn("reap interrupted imports", "err", err)
	}
	u := currentUser(c)
	id, err := s.Imports.Create(ctx, u, filename, opts)
	if err != nil {
		s.fail(c, err)
		return
	}
	path := tmp
	tmp = "" // the job owns the file now
	s.Imports.Start(u, id, path, filename, opts, func() { os.Remove(path) })
	job, err := s.Imports.Get(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", importsRoute+"/"+strconv.FormatInt(id, 10))
	c.JSON(http.StatusAccepted, job)
}

func safeExt(name string) string {
	ext := strings.ToLower(filepath.Ext(name))
	for _, ok := range []string{".geojson", ".json", ".geojsonl", ".geojsons", ".ndjson", ".jsonl", ".csv", ".txt", ".tsv", ".zip", ".gpkg", ".xlsx"} {
		if ext == ok {
			return ext
		}
	}
	return ""
}

func (s *Server) listImports(c *gin.Context) {
	jobs, err := s.Imports.List(c.Request.Context(), 100)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"imports": jobs})
}

func (s *Server) getImport(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	job, err := s.Imports.Get(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, job)
}

func (s *Server) importReport(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.Imports.Report(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", rep)
}

func (s *Server) importRejects(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := s.Imports.Rejects(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	c.Data(http.StatusOK, f.ContentType, f.Data)
}
