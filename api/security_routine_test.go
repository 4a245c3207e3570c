package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"testing"
	"time"
)

// The security matrix rows of the routine work (docs/patrols.md,
// docs/inspections.md): workers patrol in their grids only, offices in
// their area; inspections, plans and their statistics are the offices'
// (planners read them); a record outside one's scope does not exist (404).

// routineSeed holds a patrol, a hazard source, an inspection and a plan in
// each place, made by the city (with a second city officer, as inspections
// need two).
type routineSeed struct {
	patrols     map[string]string // place -> patrol id
	photos      map[string]string // place -> photo URL
	hazards     map[string]int64  // place -> hazard source id
	inspections map[string]string // place -> inspection id
	plans       map[string]int64  // place -> plan id (of the place's area)
	officers    [2]int64          // the city's two officers
}

// matrixBoundary marks a multipart body in the matrix (sent with its
// Content-Type).
const matrixBoundary = "riskmap-matrix-boundary"

// matrixPNG is a tiny photo.
var matrixPNG = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}()

// patrolMultipart is a normal patrol of risk point rp at lon, lat with one
// photo, as a multipart body.
func patrolMultipart(rp int64, lon, lat float64) string {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.SetBoundary(matrixBoundary)
	p, _ := json.Marshal(patrolOf(newUUID(), rp, lon, lat, time.Now().Add(-time.Minute)))
	fw, _ := w.CreateFormField("patrol")
	fw.Write(p)
	fw, _ = w.CreateFormFile("file", "p.png")
	fw.Write(matrixPNG)
	w.Close()
	return b.String()
}

var uuidCounter int

func newUUID() string {
	uuidCounter++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", time.Now().UnixNano()&0xffffffff, uuidCounter)
}

func seedRoutine(t *testing.T, e *env, s seeded) routineSeed {
	t.Helper()
	r := routineSeed{patrols: map[string]string{}, photos: map[string]string{}, hazards: map[string]int64{},
		inspections: map[string]string{}, plans: map[string]int64{}}
	var me struct{ ID int64 }
	e.do("GET", "/api/v1/auth/me", "city", nil, &me)
	var second struct{ ID int64 }
	if res := e.do("POST", "/api/v1/users", "admin", map[string]any{"username": "city2", "role": "city", "areas": []string{"441500000000"},
		"password": "city2-pass-1"}, &second); res.StatusCode != 201 {
		t.Fatalf("second city officer: %d %s", res.StatusCode, res.Body)
	}
	r.officers = [2]int64{me.ID, second.ID}
	drawn := map[string]int64{}
	for place, c := range placeCoords {
		res := e.doToken("POST", "/api/v1/patrols", e.token["city"], patrolMultipart(s.ids[place], c[0], c[1]),
			"Content-Type", "multipart/form-data; boundary="+matrixBoundary)
		var p struct {
			ID     string
			Photos []struct{ URL string }
		}
		if res.StatusCode != 201 || json.Unmarshal(res.Body, &p) != nil || len(p.Photos) != 1 {
			t.Fatalf("seed patrol %s: %d %s", place, res.StatusCode, res.Body)
		}
		r.patrols[place], r.photos[place] = p.ID, p.Photos[0].URL
		var h feature
		if res := e.do("POST", "/api/v1/hazard_sources", "admin", pointFeature(c[0]+0.02, c[1], map[string]any{"name": "矩阵企业" + place, "category": "other"}), &h); res.StatusCode != 201 {
			t.Fatalf("seed hazard source %s: %d %s", place, res.StatusCode, res.Body)
		}
		r.hazards[place] = h.ID
		var i struct{ ID string }
		if res := e.do("POST", "/api/v1/inspections", "city", inspectionBody(h.ID, r.officers), &i); res.StatusCode != 201 {
			t.Fatalf("seed inspection %s: %d %s", place, res.StatusCode, res.Body)
		}
		r.inspections[place] = i.ID
		area := areaOfPlace[place]
		if drawn[area] == 0 {
			var pl struct{ ID int64 }
			if res := e.do("POST", "/api/v1/inspection-plans", "city", planBody(area), &pl); res.StatusCode != 201 {
				t.Fatalf("seed plan %s: %d %s", area, res.StatusCode, res.Body)
			}
			drawn[area] = pl.ID
		}
		r.plans[place] = drawn[area]
	}
	return r
}

func inspectionBody(hazard int64, officers [2]int64) string {
	return fmt.Sprintf(`{"hazard_source_id":%d,"inspected_on":"%s","kind":"routine","inspectors":[%d,%d]}`,
		hazard, time.Now().In(cst).Format("2006-01-02"), officers[0], officers[1])
}

func planBody(area string) string {
	y := time.Now().In(cst).Year()
	return fmt.Sprintf(`{"area":"%s","from":"%d-01-01","to":"%d-12-31","units":1,"inspectors":2,"seed":42}`, area, y, y)
}

func routineRoutes() []routeSpec {
	inPlace := func(path func(s seeded, p string) string) func(s seeded, user string, in bool) (request, bool) {
		return func(s seeded, user string, in bool) (request, bool) {
			p, ok := placeOf(user, in)
			return request{"GET", path(s, p), ""}, ok
		}
	}
	read := func(u string, in bool) int { return map[bool]int{true: 200, false: 404}[in] }
	all := func(string, bool) int { return 200 }
	officeOnly := func(status int) func(string, bool) int {
		return func(u string, in bool) int {
			if roleOf[u] == "worker" {
				return 403
			}
			return status
		}
	}
	return []routeSpec{
		{method: "POST", pattern: "/api/v1/patrols",
			build: func(s seeded, user string, in bool) (request, bool) {
				p, ok := placeOf(user, in)
				c := placeCoords[p]
				return request{"POST", "/api/v1/patrols", patrolMultipart(s.ids[p], c[0], c[1])}, ok
			},
			want: func(u string, in bool) int {
				if in && (office(u) || roleOf[u] == "worker") {
					return 201
				}
				return 403
			}},
		{method: "GET", pattern: "/api/v1/patrols", build: inPlace(func(seeded, string) string { return "/api/v1/patrols?limit=5" }), want: all},
		{method: "GET", pattern: "/api/v1/patrols/due", build: inPlace(func(seeded, string) string { return "/api/v1/patrols/due?overdue=true" }), want: all},
		{method: "GET", pattern: "/api/v1/patrols/checklists", build: inPlace(func(seeded, string) string { return "/api/v1/patrols/checklists" }), want: all},
		{method: "GET", pattern: "/api/v1/patrols/:id", build: inPlace(func(s seeded, p string) string { return "/api/v1/patrols/" + s.routine.patrols[p] }), want: read},
		{method: "GET", pattern: "/api/v1/patrols/:id/photos/:photo", build: inPlace(func(s seeded, p string) string { return s.routine.photos[p] }), want: read},
		{method: "POST", pattern: "/api/v1/inspections",
			build: func(s seeded, user string, in bool) (request, bool) {
				p, ok := placeOf(user, in)
				return request{"POST", "/api/v1/inspections", inspectionBody(s.routine.hazards[p], s.routine.officers)}, ok
			},
			want: func(u string, in bool) int {
				if in && office(u) {
					return 201
				}
				return 403
			}},
		{method: "GET", pattern: "/api/v1/inspections", build: inPlace(func(seeded, string) string { return "/api/v1/inspections?limit=5" }), want: all},
		{method: "GET", pattern: "/api/v1/inspection-officers",
			build: inPlace(func(s seeded, p string) string {
				return fmt.Sprintf("/api/v1/inspection-officers?hazard_source_id=%d", s.routine.hazards[p])
			}),
			want: func(u string, in bool) int {
				if !office(u) || !in {
					return 403
				}
				return 200
			}},
		{method: "GET", pattern: "/api/v1/inspections/:id", build: inPlace(func(s seeded, p string) string { return "/api/v1/inspections/" + s.routine.inspections[p] }), want: read},
		// only the city office has two officers: the others' draws stop at
		// 422 (too few officers) once role and scope have passed
		{method: "POST", pattern: "/api/v1/inspection-plans",
			build: func(s seeded, user string, in bool) (request, bool) {
				p, ok := placeOf(user, in)
				return request{"POST", "/api/v1/inspection-plans", planBody(areaOfPlace[p])}, ok
			},
			want: func(u string, in bool) int {
				switch {
				case !in || !office(u):
					return 403
				case roleOf[u] == "city":
					return 201
				}
				return 422
			}},
		{method: "GET", pattern: "/api/v1/inspection-plans", build: inPlace(func(seeded, string) string { return "/api/v1/inspection-plans" }), want: officeOnly(200)},
		{method: "GET", pattern: "/api/v1/inspection-plans/:id",
			build: inPlace(func(s seeded, p string) string { return fmt.Sprintf("/api/v1/inspection-plans/%d", s.routine.plans[p]) }),
			want: func(u string, in bool) int {
				if roleOf[u] == "worker" {
					return 403
				}
				return read(u, in)
			}},
		{method: "GET", pattern: "/api/v1/stats/inspections",
			build: inPlace(func(s seeded, p string) string {
				return "/api/v1/stats/inspections?area=" + areaOfPlace[p] + "&from=2026-01-01&to=2026-12-31"
			}),
			want: func(u string, in bool) int {
				// as the rectification statistics: a worker's "out" place lies
				// in their own township, whose statistics count their grids
				if in || roleOf[u] == "worker" {
					return 200
				}
				return 403
			}},
	}
}
