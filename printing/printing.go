// Package printing draws the map of an area as a vector PDF on the server
// (docs/editing.md, "Printing"): what an office posts on the wall and
// attaches to a report — the area's features from the same tables, scope
// and colours as the tiles and the style, the title (the area's name), a
// legend headed 图例, a scale bar, a north arrow, the date and who printed
// it, Chinese text in an embedded TrueType font (go-pdf/fpdf subsets it).
package printing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"riskmap"
	"riskmap/features"
	"riskmap/tiles"
)

// DefaultFonts are the TrueType fonts with Chinese glyphs tried in order:
// Droid Sans Fallback (Debian fonts-droid-fallback, installed by
// scripts/deps.sh). Noto Sans CJK, which the browser tests use, ships only
// as CFF-outline collections (.ttc), which fpdf cannot embed and no Go PDF
// library in reach subsets (docs/editing.md).
var DefaultFonts = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttf",
}

// LatinFont draws digits and Latin letters, which Droid Sans Fallback
// leaves to another font (Debian fonts-dejavu-core).
var LatinFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

// Printer draws maps.
type Printer struct {
	pool   *pgxpool.Pool
	layers features.Registry
	fonts  []string

	once  sync.Once
	font  []byte
	latin []byte
	err   error
}

// New returns a printer over pool, embedding the first font of fonts that
// exists (DefaultFonts when empty).
func New(pool *pgxpool.Pool, layers features.Registry, fonts []string) *Printer {
	if len(fonts) == 0 {
		fonts = DefaultFonts
	}
	return &Printer{pool: pool, layers: layers, fonts: fonts}
}

func (p *Printer) loadFont() ([]byte, error) {
	p.once.Do(func() {
		p.latin, _ = os.ReadFile(LatinFont)
		for _, f := range p.fonts {
			if b, err := os.ReadFile(f); err == nil {
				p.font = b
				return
			}
		}
		p.err = &riskmap.Error{Code: riskmap.EUNAVAILABLE, Message: "printing needs a Chinese TrueType font, and none is installed: " +
			"install fonts-droid-fallback (make deps) or name one with --print-font"}
	})
	return p.font, p.err
}

// Request is what to print.
type Request struct {
	Area        string // a 12-digit area or 15-digit grid code
	Size        string // A4 or A3
	Orientation string // landscape or portrait
	Layers      []string
	PrintedBy   string
	At          time.Time
}

// PrintLayers are the layers a print-out can show, bottom first.
var PrintLayers = []string{"risk_areas", "grids", "hazard_sources", "stations", "depots", "risk_points"}

// CheckLayers validates a layers parameter (empty: all).
func CheckLayers(ls []string) error {
	for _, l := range ls {
		ok := false
		for _, k := range PrintLayers {
			ok = ok || k == l
		}
		if !ok {
			e := riskmap.Errorf(riskmap.EINVALID, "parameter layers: %q is not one of %s", l, strings.Join(PrintLayers, ", "))
			return e.WithDetails(riskmap.Detail{Field: "layers", Value: l, Message: "unknown layer"})
		}
	}
	return nil
}

type area struct {
	code, name, level string
	geom              orb.Geometry // EPSG:3857
	bound             orb.Bound
}

type shape struct {
	geom  orb.Geometry
	level int    // risk level (risk points, areas), major-hazard level
	kind  string // stations
	label string
}

// Print writes the PDF of r to w. The area must be in scope (else 404).
func (p *Printer) Print(ctx context.Context, scope riskmap.Scope, r Request, w io.Writer) error {
	font, err := p.loadFont()
	if err != nil {
		return err
	}
	a, err := p.area(ctx, scope, r.Area)
	if err != nil {
		return err
	}
	show := map[string]bool{}
	for _, l := range r.Layers {
		show[l] = true
	}
	if len(r.Layers) == 0 {
		for _, l := range PrintLayers {
			show[l] = true
		}
	}
	pageW, pageH := 297.0, 210.0
	if r.Size == "A3" {
		pageW, pageH = 420, 297
	}
	orient := "L"
	if r.Orientation == "portrait" {
		pageW, pageH = pageH, pageW
		orient = "P"
	}
	// the map frame, the legend column on the right
	const margin, header, footer, legendW = 12.0, 18.0, 12.0, 58.0
	frame := orb.Bound{Min: orb.Point{margin, margin + header}, Max: orb.Point{pageW - margin - legendW - 4, pageH - margin - footer}}
	// metres per mm: fit the area (padded 3 %) into the frame
	b := a.bound.Pad(math.Max(a.bound.Max[0]-a.bound.Min[0], a.bound.Max[1]-a.bound.Min[1]) * 0.03)
	fw, fh := frame.Max[0]-frame.Min[0], frame.Max[1]-frame.Min[1]
	mpmm := math.Max((b.Max[0]-b.Min[0])/fw, (b.Max[1]-b.Min[1])/fh)
	cx, cy := (b.Min[0]+b.Max[0])/2, (b.Min[1]+b.Max[1])/2
	fcx, fcy := (frame.Min[0]+frame.Max[0])/2, (frame.Min[1]+frame.Max[1])/2
	toPage := func(pt orb.Point) (float64, float64) {
		return fcx + (pt[0]-cx)/mpmm, fcy - (pt[1]-cy)/mpmm
	}
	view := orb.Bound{Min: orb.Point{cx - fw/2*mpmm, cy - fh/2*mpmm}, Max: orb.Point{cx + fw/2*mpmm, cy + fh/2*mpmm}}
	data, err := p.load(ctx, scope, a, view, mpmm*0.2, show)
	if err != nil {
		return err
	}

	pdf := fpdf.New(orient, "mm", r.Size, "")
	pdf.SetCreator("riskmap", true)
	pdf.SetTitle(a.name+" 安全风险图", true)
	pdf.SetAuthor(r.PrintedBy, true)
	pdf.AddUTF8FontFromBytes("cjk", "", font)
	latin := "cjk"
	if p.latin != nil {
		pdf.AddUTF8FontFromBytes("latin", "", p.latin)
		latin = "latin"
	}
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	size := 10.0
	setSize := func(pt float64) { size = pt }
	// text in runs: Chinese in the CJK font, ASCII in the Latin one
	runs := func(txt string) [][2]string {
		var out [][2]string
		for _, r := range txt {
			f := "cjk"
			if r < 0x2000 {
				f = latin
			}
			if n := len(out); n > 0 && out[n-1][0] == f {
				out[n-1][1] += string(r)
			} else {
				out = append(out, [2]string{f, string(r)})
			}
		}
		return out
	}
	width := func(txt string) float64 {
		w := 0.0
		for _, r := range runs(txt) {
			pdf.SetFont(r[0], "", size)
			w += pdf.GetStringWidth(r[1])
		}
		return w
	}
	write := func(x, y float64, txt string) {
		for _, r := range runs(txt) {
			pdf.SetFont(r[0], "", size)
			pdf.Text(x, y, r[1])
			x += pdf.GetStringWidth(r[1])
		}
	}
	centred := func(y float64, txt string) { write((pageW-width(txt))/2, y, txt) }

	// the map, clipped to its frame
	pdf.ClipRect(frame.Min[0], frame.Min[1], fw, fh, false)
	rgb := func(hex string) (int, int, int) {
		v, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
		return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
	}
	polygon := func(g orb.Geometry, style string) {
		var polys []orb.Polygon
		switch t := g.(type) {
		case orb.Polygon:
			polys = []orb.Polygon{t}
		case orb.MultiPolygon:
			polys = t
		}
		for _, poly := range polys {
			for _, ring := range poly {
				for i, pt := range ring {
					x, y := toPage(pt)
					if i == 0 {
						pdf.MoveTo(x, y)
					} else {
						pdf.LineTo(x, y)
					}
				}
				pdf.ClosePath()
			}
		}
		pdf.DrawPath(style)
	}
	if show["risk_areas"] {
		pdf.SetAlpha(0.35, "Normal")
		for _, s := range data["risk_areas"] {
			if s.level < 1 || s.level > 4 {
				continue
			}
			pdf.SetFillColor(rgb(tiles.RiskColours[s.level-1]))
			polygon(s.geom, "F*")
		}
		pdf.SetAlpha(1, "Normal")
	}
	if show["grids"] {
		pdf.SetDrawColor(142, 142, 142)
		pdf.SetLineWidth(0.15)
		for _, s := range data["grids"] {
			polygon(s.geom, "D")
		}
	}
	pdf.SetDrawColor(66, 66, 66)
	pdf.SetLineWidth(0.5)
	polygon(a.geom, "D")
	circle := func(s shape, r float64, fill string) {
		pt, ok := s.geom.(orb.Point)
		if !ok {
			return
		}
		x, y := toPage(pt)
		pdf.SetFillColor(rgb(fill))
		pdf.Circle(x, y, r, "FD")
	}
	pdf.SetDrawColor(255, 255, 255)
	pdf.SetLineWidth(0.15)
	hazard := [4]string{"#4A148C", "#7B1FA2", "#AB47BC", "#CE93D8"}
	for _, s := range data["hazard_sources"] {
		c := "#9E9E9E"
		if s.level >= 1 && s.level <= 4 {
			c = hazard[s.level-1]
		}
		circle(s, 0.9, c)
	}
	for _, s := range data["stations"] {
		circle(s, 1.3, "#2E7D32")
	}
	for _, s := range data["depots"] {
		circle(s, 1.3, "#6D4C41")
	}
	for _, s := range data["risk_points"] {
		circle(s, 0.8, tiles.RiskColours[s.level-1])
	}
	pdf.ClipEnd()
	pdf.SetDrawColor(33, 33, 33)
	pdf.SetLineWidth(0.3)
	pdf.Rect(frame.Min[0], frame.Min[1], fw, fh, "D")

	// title, subtitle
	pdf.SetTextColor(33, 33, 33)
	setSize(18)
	centred(margin+7, a.name+" 安全风险分布图")
	setSize(9)
	centred(margin+13, fmt.Sprintf("%s（%s）", a.code, levelName(a.level)))

	// legend
	lx, ly := pageW-margin-legendW, frame.Min[1]
	setSize(12)
	write(lx, ly+5, "图例")
	ly += 10
	setSize(8.5)
	entry := func(draw func(x, y float64), label string) {
		draw(lx+3, ly-1.2)
		write(lx+8, ly, label)
		ly += 5.5
	}
	if show["risk_points"] {
		for i, c := range tiles.RiskColours {
			col := c
			entry(func(x, y float64) {
				pdf.SetFillColor(rgb(col))
				pdf.SetDrawColor(255, 255, 255)
				pdf.Circle(x, y, 1.2, "F")
			},
				"风险点："+tiles.RiskLevelNames[i])
		}
	}
	if show["risk_areas"] {
		for i, c := range tiles.RiskColours {
			col := c
			entry(func(x, y float64) {
				pdf.SetAlpha(0.35, "Normal")
				pdf.SetFillColor(rgb(col))
				pdf.Rect(x-2, y-1.5, 4, 3, "F")
				pdf.SetAlpha(1, "Normal")
			}, tiles.RiskLevelNames[i]+"区域")
		}
	}
	if show["hazard_sources"] {
		entry(func(x, y float64) { pdf.SetFillColor(rgb(hazard[1])); pdf.Circle(x, y, 1, "F") }, "危险源")
	}
	if show["stations"] {
		entry(func(x, y float64) { pdf.SetFillColor(rgb("#2E7D32")); pdf.Circle(x, y, 1.3, "F") }, "应急站点")
	}
	if show["depots"] {
		entry(func(x, y float64) { pdf.SetFillColor(rgb("#6D4C41")); pdf.Circle(x, y, 1.3, "F") }, "物资储备仓库")
	}
	if show["grids"] {
		entry(func(x, y float64) {
			pdf.SetDrawColor(142, 142, 142)
			pdf.SetLineWidth(0.15)
			pdf.Rect(x-2, y-1.5, 4, 3, "D")
		}, "网格")
	}
	entry(func(x, y float64) {
		pdf.SetDrawColor(66, 66, 66)
		pdf.SetLineWidth(0.5)
		pdf.Rect(x-2, y-1.5, 4, 3, "D")
	}, levelName(a.level)+"界线")
	ly += 4
	rp := data["risk_points"]
	write(lx, ly, fmt.Sprintf("风险点 %d 处", len(rp)))
	write(lx, ly+4.5, fmt.Sprintf("重大 %d，较大 %d，一般 %d，低 %d", countLevel(rp, 1), countLevel(rp, 2), countLevel(rp, 3), countLevel(rp, 4)))

	// scale bar: a round length of about a fifth of the frame; Web Mercator
	// metres shrink with latitude, so the bar is true at the map's centre
	lat := 2*math.Atan(math.Exp(cy/6378137)) - math.Pi/2
	ground := mpmm * math.Cos(lat) // true metres per mm at the centre
	barM := niceLength(ground * fw / 5)
	barMM := barM / ground
	sx, sy := frame.Min[0]+5, frame.Max[1]-6
	pdf.SetFillColor(255, 255, 255)
	pdf.Rect(sx-2, sy-6, barMM+18, 9, "F")
	pdf.SetDrawColor(33, 33, 33)
	pdf.SetLineWidth(0.4)
	pdf.Line(sx, sy, sx+barMM, sy)
	pdf.Line(sx, sy-1.5, sx, sy)
	pdf.Line(sx+barMM, sy-1.5, sx+barMM, sy)
	pdf.Line(sx+barMM/2, sy-1, sx+barMM/2, sy)
	setSize(7.5)
	write(sx, sy-2.3, "0")
	write(sx+barMM+1.5, sy+0.8, lengthText(barM))
	write(sx, sy+3, fmt.Sprintf("比例尺 1:%s", strconv.FormatFloat(roundScale(ground*1000), 'f', 0, 64)))

	// north arrow
	nx, ny := frame.Max[0]-10, frame.Min[1]+6
	pdf.SetFillColor(33, 33, 33)
	pdf.Polygon([]fpdf.PointType{{X: nx, Y: ny}, {X: nx + 3, Y: ny + 9}, {X: nx, Y: ny + 7}, {X: nx - 3, Y: ny + 9}}, "FD")
	setSize(9)
	write(nx-1.6, ny-1.5, "北")

	// footer: date and who
	setSize(8.5)
	at := r.At.In(shanghai)
	write(margin, pageH-margin+1, fmt.Sprintf("制图日期：%s    打印人：%s    数据来源：riskmap 应急风险一张图（%s）",
		at.Format("2006年01月02日 15:04"), r.PrintedBy, "WGS84 / CGCS2000，Web 墨卡托投影"))
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("print: %w", err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("print: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

var shanghai = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

func levelName(l string) string {
	return map[string]string{"city": "市", "county": "县区", "township": "镇街", "village": "村社区", "grid": "网格"}[l]
}

func countLevel(ss []shape, l int) int {
	n := 0
	for _, s := range ss {
		if s.level == l {
			n++
		}
	}
	return n
}

// niceLength rounds a length down to 1, 2 or 5 times a power of ten.
func niceLength(m float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(m)))
	for _, f := range []float64{5, 2, 1} {
		if f*p <= m {
			return f * p
		}
	}
	return p
}

func roundScale(s float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(s))-1)
	return math.Round(s/p) * p
}

func lengthText(m float64) string {
	if m >= 1000 {
		return strconv.FormatFloat(m/1000, 'f', -1, 64) + " 千米"
	}
	return strconv.FormatFloat(m, 'f', -1, 64) + " 米"
}

// area finds the area or grid to print, in scope.
func (p *Printer) area(ctx context.Context, scope riskmap.Scope, code string) (*area, error) {
	var a area
	var raw []byte
	var err error
	if len(code) == 15 {
		cond, args := p.layers["grids"].ScopeSQL(scope, 2)
		err = p.pool.QueryRow(ctx, `SELECT t.code, t.name, 'grid', ST_AsBinary(t.geom_3857) FROM grids t WHERE t.code = $1 AND `+cond,
			append([]any{code}, args...)...).Scan(&a.code, &a.name, &a.level, &raw)
	} else {
		cond, args := p.layers["areas"].ScopeSQL(scope, 2)
		err = p.pool.QueryRow(ctx, `SELECT t.code, t.name, t.level, ST_AsBinary(t.geom_3857) FROM areas t WHERE t.code = $1 AND `+cond,
			append([]any{code}, args...)...).Scan(&a.code, &a.name, &a.level, &raw)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "area %s not found", code).WithDetails(riskmap.Detail{Field: "area", Value: code, Message: "not found"})
	}
	if err != nil {
		return nil, fmt.Errorf("print: area %s: %w", code, err)
	}
	if a.geom, err = wkb.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf("print: area %s: %w", code, err)
	}
	a.bound = a.geom.Bound()
	if a.level != "grid" && !scope.Contains(a.code) {
		// an area only partly in scope (a worker's village): print their grids' extent only
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "area %s is larger than your area: print one of your grids", code).
			WithDetails(riskmap.Detail{Field: "area", Value: code, Message: "beyond your area"})
	}
	return &a, nil
}

// load reads the features of the shown layers in the view, in scope,
// simplified to tol metres (a fifth of a millimetre on paper).
func (p *Printer) load(ctx context.Context, scope riskmap.Scope, a *area, view orb.Bound, tol float64, show map[string]bool) (map[string][]shape, error) {
	out := map[string][]shape{}
	env := []any{view.Min[0], view.Min[1], view.Max[0], view.Max[1], tol}
	prefix := riskmap.AreaPrefix(a.code) + "%"
	q := func(name, sql, scopeCol string) error {
		cond, args := scope.SQL(scopeCol, len(env)+2)
		rows, err := p.pool.Query(ctx, strings.ReplaceAll(sql, "SCOPE", cond), append(append(env, prefix), args...)...)
		if err != nil {
			return fmt.Errorf("print: %s: %w", name, err)
		}
		defer rows.Close()
		for rows.Next() {
			var raw []byte
			var s shape
			var level *int
			if err := rows.Scan(&raw, &level, &s.kind); err != nil {
				return fmt.Errorf("print: %s: %w", name, err)
			}
			if level != nil {
				s.level = *level
			}
			if s.geom, err = wkb.Unmarshal(raw); err != nil {
				return fmt.Errorf("print: %s: %w", name, err)
			}
			out[name] = append(out[name], s)
		}
		return rows.Err()
	}
	box := "t.geom_3857 && ST_MakeEnvelope($1, $2, $3, $4, 3857)"
	if show["risk_areas"] {
		// the finest areas of the four-colour map inside: grids
		if err := q("risk_areas", `SELECT ST_AsBinary(ST_Simplify(t.geom_3857, $5)), r.max_level, t.level FROM risk_areas t
			CROSS JOIN LATERAL riskmap_risk_area(t.prefix) r WHERE t.level = 'grid' AND `+box+` AND t.code LIKE $6 AND SCOPE`, "t.scope_code"); err != nil {
			return nil, err
		}
	}
	if show["grids"] {
		if err := q("grids", `SELECT ST_AsBinary(ST_Simplify(t.geom_3857, $5)), NULL::integer, '' FROM grids t
			WHERE `+box+` AND t.code LIKE $6 AND SCOPE`, "t.code"); err != nil {
			return nil, err
		}
	}
	points := map[string]string{"risk_points": "t.risk_level::integer", "hazard_sources": "t.major_hazard_level::integer",
		"stations": "NULL::integer", "depots": "NULL::integer"}
	for _, name := range []string{"hazard_sources", "stations", "depots", "risk_points"} {
		if !show[name] {
			continue
		}
		if err := q(name, `SELECT ST_AsBinary(t.geom_3857), `+points[name]+`, '' FROM `+name+` t
			WHERE `+box+` AND t.status = 'active' AND t.grid_code LIKE $6 AND SCOPE AND $5::float8 >= 0`, "t.grid_code"); err != nil {
			return nil, err
		}
	}
	return out, nil
}
