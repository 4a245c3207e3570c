package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// fetchSpec gets an OpenAPI description as served, without a token.
func fetchSpec(t *testing.T, url string) []byte {
	t.Helper()
	res, err := httpGet(url)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("%s: %d", url, res.StatusCode)
	}
	return res.Body
}

// TestOpenAPIValidatesAndEveryOperationHasAnIdAndASchema loads both
// descriptions as served (the whole API and the OGC API's) with
// kin-openapi and validates them against OpenAPI 3.0; every operation has
// an operationId and every success answer with a body a real schema.
func TestOpenAPIValidatesAndEveryOperationHasAnIdAndASchema(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/openapi.json", "/ogc/api"} {
		raw := fetchSpec(t, e.srv.URL+path)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(raw)
		if err != nil {
			t.Fatalf("%s does not load: %v", path, err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Fatalf("%s is not valid OpenAPI 3.0: %v", path, err)
		}
		ids := map[string]string{}
		bare := 0
		for p, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				where := method + " " + p
				if op.OperationID == "" {
					t.Errorf("%s: %s has no operationId", path, where)
				} else if other, dup := ids[op.OperationID]; dup {
					t.Errorf("%s: operationId %s of %s is %s's too", path, op.OperationID, where, other)
				}
				ids[op.OperationID] = where
				for code, r := range op.Responses.Map() {
					if !strings.HasPrefix(code, "2") || r.Value == nil {
						continue
					}
					for ct, mt := range r.Value.Content {
						if !strings.Contains(ct, "json") || mt.Schema == nil || mt.Schema.Value == nil {
							continue
						}
						s := mt.Schema.Value
						if s.Type.Is("object") && len(s.Properties) == 0 && len(s.AllOf) == 0 && s.AdditionalProperties.Schema == nil && mt.Schema.Ref == "" {
							bare++
							t.Errorf("%s: %s answers %s with a bare {type: object}", path, where, code)
						}
					}
				}
			}
		}
		t.Logf("%s: %d operations, %d bare success schemas", path, len(ids), bare)
	}
}

// TestAClientGeneratedFromTheOpenAPIWorks generates a Go client from
// /openapi.json with oapi-codegen (a tool of this module), builds it in a
// module of its own, and lists risk points and reads the user through it
// against the running server.
func TestAClientGeneratedFromTheOpenAPIWorks(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/api/v1/risk_points", "admin", pointFeature(115.2, 23.0, riskProps()), nil)
	srv := httptest.NewServer(e.handler)
	defer srv.Close()
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.json")
	if err := os.WriteFile(spec, fetchSpec(t, srv.URL+"/openapi.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(dir, "client")
	os.MkdirAll(gen, 0o755)
	out, err := exec.Command("go", "tool", "oapi-codegen", "-generate", "types,client", "-package", "client", "-o", filepath.Join(gen, "client.gen.go"), spec).CombinedOutput()
	if err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, out)
	}
	files := map[string]string{
		"go.mod": "module rmclient\n\ngo 1.24\n\nrequire github.com/oapi-codegen/runtime v1.9.0\n",
		"main.go": `package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"rmclient/client"
)

func main() {
	auth := func(ctx context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+os.Getenv("RISKMAP_TOKEN"))
		return nil
	}
	c, err := client.NewClientWithResponses(os.Getenv("RISKMAP_URL"), client.WithRequestEditorFn(auth))
	if err != nil {
		panic(err)
	}
	me, err := c.GetAuthMeWithResponse(context.Background())
	if err != nil || me.JSON200 == nil {
		panic(fmt.Sprint("me: ", err, " ", me.Status()))
	}
	list, err := c.GetRiskPointsWithResponse(context.Background(), &client.GetRiskPointsParams{})
	if err != nil || list.StatusCode() != 200 {
		panic(fmt.Sprint("risk points: ", err))
	}
	var fc struct{ Features []json.RawMessage }
	json.Unmarshal(list.Body, &fc)
	fmt.Printf("%s %d\n", *me.JSON200.Username, len(fc.Features))
}
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = dir
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy of the generated client: %v\n%s", err, out)
	}
	run := exec.Command("go", "run", ".")
	run.Dir = dir
	run.Env = append(os.Environ(), "RISKMAP_URL="+srv.URL, "RISKMAP_TOKEN="+e.token["admin"])
	out, err = run.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "admin 1" {
		t.Fatalf("the generated client: %v\n%s", err, out)
	}
}

type fetched struct {
	StatusCode int
	Body       []byte
}

func httpGet(url string) (fetched, error) {
	res, err := http.Get(url)
	if err != nil {
		return fetched{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return fetched{res.StatusCode, b}, err
}
