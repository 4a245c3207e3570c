package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestErrorsAreWordedInChineseForTheWebApp(t *testing.T) {
	e := newCaseEnv(t)
	d := e.newCase("worker1", 115.2, 23.0, nil)
	for _, c := range []struct {
		method, path, user string
		body               any
		status             int
		want               string
	}{
		{"GET", "/api/v1/locate?lon=116.2&lat=23.0", "worker1", nil, http.StatusNotFound, "该位置（116.2000000，23.0000000）不在您辖区的任何网格内"},
		{"POST", "/api/v1/cases/" + d.ID + "/actions", "xingang", map[string]any{"action": "approve", "version": d.version(), "note": "好"}, http.StatusConflict,
			"案件当前为“上报”，不能核查通过（只能在待核查时核查通过）"},
		{"POST", "/api/v1/cases", "worker1", report(115.2, 23.0, map[string]any{"description": " "}), http.StatusUnprocessableEntity, "隐患描述：不能为空"},
		{"GET", "/api/v1/search?q=x&limit=0", "xingang", nil, http.StatusBadRequest, "数量：应为 1 到 100 之间的整数"},
		{"GET", "/api/v1/stats/rectification?from=2026-12-31&to=2026-01-01", "xingang", nil, http.StatusBadRequest, "开始日期：2026-12-31 晚于结束日期 2026-01-01"},
	} {
		for _, lang := range []string{"zh-CN", "zh-CN,zh;q=0.9,en;q=0.8", ""} {
			var b errBody
			headers := []string{}
			if lang != "" {
				headers = []string{"Accept-Language", lang}
			}
			res := e.do(c.method, c.path, c.user, c.body, &b, headers...)
			if res.StatusCode != c.status {
				t.Errorf("%s %s (%s): %d, want %d: %s", c.method, c.path, lang, res.StatusCode, c.status, res.Body)
				continue
			}
			switch {
			case lang != "" && b.Error.Message != c.want:
				t.Errorf("%s %s (%s): %q, want %q", c.method, c.path, lang, b.Error.Message, c.want)
			case lang == "" && strings.ContainsFunc(b.Error.Message, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }):
				t.Errorf("%s %s without Accept-Language: %q, want the English", c.method, c.path, b.Error.Message)
			}
		}
	}
}
