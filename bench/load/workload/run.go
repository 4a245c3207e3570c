package workload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"net/url"
	"sync"
	"time"
)

// Config shapes a run.
type Config struct {
	Base     string        // the server, http://HOST:PORT
	Clients  int           // concurrent clients (closed loop: each sends its next request when the last is answered)
	Duration time.Duration // how long clients start new work; work under way finishes
	Timeout  time.Duration // a request unanswered this long counts as failed (default 30 s)
	Think    time.Duration // pause between a client's steps (default none)
	// Mix: out of ten clients, how many view the map, report and
	// rectify (workers), and run the loop (offices). Default 4, 3, 3.
	Viewers, Workers, Offices int
}

// Result is what a run did.
type Result struct {
	Start    time.Time
	Elapsed  time.Duration
	Requests []Request
	Acks     []Ack
	// Anomalies are answers that were wrong though their status was not.
	Anomalies []string
}

// caseRef is a case moving through the loop: one client holds it at a time.
type caseRef struct {
	id      string
	version int
}

// flow is a team's cases waiting for their next step.
type flow struct {
	reported, assigned, submitted chan caseRef
}

func (f *flow) push(ch chan caseRef, c caseRef) {
	select {
	case ch <- c:
	default: // a backlog this long is not the point of the run
	}
}

var categories = []string{"geological", "flood", "reservoir", "coastal", "forest_fire", "crowded_place", "construction", "road_traffic", "fire", "other"}

// Run drives the workload until cfg.Duration has passed (or ctx ends), then
// waits for the work under way.
func Run(ctx context.Context, plan *Plan, cfg Config) *Result {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Viewers+cfg.Workers+cfg.Offices == 0 {
		cfg.Viewers, cfg.Workers, cfg.Offices = 4, 3, 3
	}
	rec := &recorder{}
	c := &client{base: cfg.Base, http: newHTTPClient(cfg.Clients, cfg.Timeout), rec: rec}
	flows := make([]*flow, len(plan.Teams))
	for i := range flows {
		flows[i] = &flow{reported: make(chan caseRef, 10000), assigned: make(chan caseRef, 10000), submitted: make(chan caseRef, 10000)}
	}
	start := time.Now()
	end := start.Add(cfg.Duration)
	var wg sync.WaitGroup
	period := cfg.Viewers + cfg.Workers + cfg.Offices
	for i := range cfg.Clients {
		team := i / period % len(plan.Teams)
		kind := i % period
		r := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
		var step func(context.Context)
		switch {
		case kind < cfg.Viewers:
			v := &viewer{c: c, plan: plan, r: r}
			step = v.step
		case kind < cfg.Viewers+cfg.Workers:
			w := &worker{c: c, team: plan.Teams[team], flow: flows[team], r: r}
			step = w.step
		default:
			o := &office{c: c, team: plan.Teams[team], flow: flows[team], r: r, plan: plan}
			step = o.step
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				step(ctx)
				if cfg.Think > 0 {
					time.Sleep(cfg.Think)
				}
			}
		}()
	}
	wg.Wait()
	return &Result{Start: start, Elapsed: time.Since(start), Requests: rec.reqs, Acks: rec.acks, Anomalies: rec.anomalies}
}

// viewer looks at the map: four neighbouring tiles of one layer, the risk
// points around, sometimes one of them and where a point lies.
type viewer struct {
	c    *client
	plan *Plan
	r    *rand.Rand
}

var tileLayers = []string{"risk_points", "risk_points", "risk_points", "grids", "grids", "all"}

func (v *viewer) step(ctx context.Context) {
	tok := v.plan.Viewer.Token
	p := v.plan.Places[v.r.IntN(len(v.plan.Places))]
	z := 11 + v.r.IntN(6)
	x, y := tileOf(p[0], p[1], z)
	layer := tileLayers[v.r.IntN(len(tileLayers))]
	for _, d := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		path := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, z, x+d[0], y+d[1])
		v.c.do(ctx, "GET /tiles/"+layer+"/{z}/{x}/{y}.mvt", "GET", path, tok, nil, "", 200, 204)
	}
	bbox := fmt.Sprintf("%.5f,%.5f,%.5f,%.5f", p[0]-0.01, p[1]-0.01, p[0]+0.01, p[1]+0.01)
	v.c.do(ctx, "GET /api/v1/risk_points?bbox", "GET", "/api/v1/risk_points?limit=100&bbox="+bbox, tok, nil, "")
	if len(v.plan.Risk) > 0 && v.r.IntN(2) == 0 {
		v.c.do(ctx, "GET /api/v1/risk_points/{id}", "GET", fmt.Sprintf("/api/v1/risk_points/%d", v.plan.Risk[v.r.IntN(len(v.plan.Risk))]), tok, nil, "")
	}
	if v.r.IntN(3) == 0 {
		v.c.do(ctx, "GET /api/v1/locate", "GET", fmt.Sprintf("/api/v1/locate?lon=%.6f&lat=%.6f", p[0], p[1]), tok, nil, "")
	}
}

// tileOf is the XYZ tile holding lon, lat at zoom z.
func tileOf(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lon + 180) / 360 * n)
	rad := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(rad)+1/math.Cos(rad))/math.Pi) / 2 * n)
	return x, y
}

// worker reports hidden hazards in its grids and rectifies the cases
// assigned to it: start, a photo, submit.
type worker struct {
	c    *client
	team *Team
	flow *flow
	r    *rand.Rand
}

func (w *worker) step(ctx context.Context) {
	select {
	case cr := <-w.flow.assigned:
		w.rectify(ctx, cr)
		return
	default:
	}
	if w.r.IntN(6) == 0 {
		w.c.do(ctx, "GET /api/v1/cases?assignee=me", "GET", "/api/v1/cases?assignee=me&limit=50", w.team.Worker.Token, nil, "")
	}
	w.report(ctx)
}

func (w *worker) report(ctx context.Context) {
	p := w.team.Points[w.r.IntN(len(w.team.Points))]
	id := newUUID()
	f := map[string]any{"type": "Feature", "id": id,
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{p[0], p[1]}},
		"properties": map[string]any{"grade": "general", "category": categories[w.r.IntN(len(categories))],
			"description": "负载测试: 排水沟堵塞,需清理 " + id[:8], "device_time": time.Now().Format(time.RFC3339)}}
	body, _ := json.Marshal(f)
	tok := w.team.Worker.Token
	status, reply := w.c.do(ctx, "POST /api/v1/cases", "POST", "/api/v1/cases", tok, body, "application/geo+json", 201)
	if status != 201 {
		return
	}
	v, ok := version(reply)
	if !ok {
		return
	}
	w.c.rec.ack(Ack{Case: id, Action: "report", Version: v})
	// a phone that lost the answer sends the report again: the same reply,
	// nothing new
	if w.r.IntN(20) == 0 {
		status2, again := w.c.do(ctx, "POST /api/v1/cases (again)", "POST", "/api/v1/cases", tok, body, "application/geo+json", 200, 201)
		if status2 >= 200 && status2 < 300 && !bytes.Equal(again, reply) {
			w.c.rec.anomaly("case %s sent again got a different answer: %s", id, truncate(again, 200))
		}
	}
	w.flow.push(w.flow.reported, caseRef{id: id, version: v})
}

func (w *worker) rectify(ctx context.Context, cr caseRef) {
	tok := w.team.Worker.Token
	var ok bool
	if cr, ok = act(ctx, w.c, tok, cr, map[string]any{"action": "start"}); !ok {
		return
	}
	att, ok := w.upload(ctx, cr.id)
	if !ok {
		return
	}
	if cr, ok = act(ctx, w.c, tok, cr, map[string]any{"action": "submit", "attachments": []string{att}, "note": "已清理完毕"}); !ok {
		return
	}
	w.flow.push(w.flow.submitted, cr)
}

func (w *worker) upload(ctx context.Context, caseID string) (string, bool) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", "现场照片.png")
	_, _ = part.Write(photo(w.r))
	_ = mw.Close()
	status, reply := w.c.do(ctx, "POST /api/v1/cases/{id}/attachments", "POST", "/api/v1/cases/"+caseID+"/attachments",
		w.team.Worker.Token, body.Bytes(), mw.FormDataContentType(), 201)
	if status != 201 {
		return "", false
	}
	var out struct{ ID string }
	if json.Unmarshal(reply, &out) != nil || out.ID == "" {
		return "", false
	}
	w.c.rec.ack(Ack{Case: caseID, Action: "attach", Attachment: out.ID})
	return out.ID, true
}

// photo is a small PNG of its own (a distinct blob each time).
func photo(r *rand.Rand) []byte {
	img := image.NewGray(image.Rect(0, 0, 24, 24))
	for i := range img.Pix {
		img.Pix[i] = byte(r.IntN(256))
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// office runs its township's loop: register and assign what was
// reported, approve what was submitted, and read its board.
type office struct {
	c    *client
	team *Team
	flow *flow
	r    *rand.Rand
	plan *Plan
}

func (o *office) step(ctx context.Context) {
	tok := o.team.Office.Token
	select {
	case cr := <-o.flow.submitted:
		act(ctx, o.c, tok, cr, map[string]any{"action": "approve", "note": "现场核查通过"})
		return
	default:
	}
	select {
	case cr := <-o.flow.reported:
		var ok bool
		if cr, ok = act(ctx, o.c, tok, cr, map[string]any{"action": "register"}); !ok {
			return
		}
		deadline := time.Now().Add(72 * time.Hour).Format(time.RFC3339)
		if cr, ok = act(ctx, o.c, tok, cr, map[string]any{"action": "assign", "assignee": o.team.Worker.ID, "deadline": deadline}); ok {
			o.flow.push(o.flow.assigned, cr)
		}
		return
	default:
	}
	switch n := o.r.IntN(50); {
	case n == 0:
		o.c.do(ctx, "GET /api/v1/stats/rectification", "GET", "/api/v1/stats/rectification?group_by=grid&area="+o.team.Township, tok, nil, "")
	case n < 25:
		o.c.do(ctx, "GET /api/v1/cases?state", "GET", "/api/v1/cases?limit=50&state=reported,registered,submitted", tok, nil, "")
	default:
		// the board's overdue list
		o.c.do(ctx, "GET /api/v1/cases?overdue", "GET", "/api/v1/cases?limit=50&overdue=true&area="+url.QueryEscape(o.team.Township), tok, nil, "")
	}
}

// act takes one action on a case and records the acknowledged move.
func act(ctx context.Context, c *client, token string, cr caseRef, body map[string]any) (caseRef, bool) {
	name := body["action"].(string)
	body["version"] = cr.version
	status, reply := c.json(ctx, "POST /api/v1/cases/{id}/actions "+name, "POST", "/api/v1/cases/"+cr.id+"/actions", token, body, 200)
	if status != 200 {
		return cr, false
	}
	v, ok := version(reply)
	if !ok {
		return cr, false
	}
	c.rec.ack(Ack{Case: cr.id, Action: name, Version: v})
	return caseRef{id: cr.id, version: v}, true
}

func version(featureJSON []byte) (int, bool) {
	var f struct {
		Properties struct {
			Version int `json:"version"`
		} `json:"properties"`
	}
	if json.Unmarshal(featureJSON, &f) != nil || f.Properties.Version == 0 {
		return 0, false
	}
	return f.Properties.Version, true
}
