package zh

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"riskmap"
)

func TestMessagesAreWordedInChinese(t *testing.T) {
	for _, c := range []struct{ en, want string }{
		{"point (115.3700000, 22.7900000) lies in no grid of your area", "该位置（115.3700000，22.7900000）不在您辖区的任何网格内"},
		{"role worker may not assign a case", "网格员无权对案件进行“派遣”操作"},
		{"cannot approve a case that is rectifying (allowed from: submitted)", "案件当前为“整改中”，不能核查通过（只能在待核查时核查通过）"},
		{"case 0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10 is at version 3 (state assigned), not 2: reload it and try again", "案件已被他人处理（当前状态：已派遣），请刷新后重试"},
		{"the case was closed on 2026-01-02, more than 90 days ago: it can no longer be reopened", "本案件已于 2026-01-02 销号，超过 90 天，不能再重新整改"},
		{"parameter limit: want a whole number from 1 to 100, got \"abc\"", "数量：应为 1 到 100 之间的整数"},
		{"parameter from: 2026-12-31 is after to 2026-01-01", "开始日期：2026-12-31 晚于结束日期 2026-01-01"},
		{"parameter group_by: want county, township or grid, got \"village\"", "分组方式：应为按县区、按镇街或按网格"},
		{"properties.description: may not be empty", "隐患描述：不能为空"},
		{"wrong username or password", "用户名或密码错误"},
		{"too many failed logins; try again in 42 s", "登录失败次数过多，请 42 秒后再试"},
		{"q: say what to search for", "请输入要搜索的内容"},
	} {
		got, ok := Message(c.en)
		if !ok || got != c.want {
			t.Errorf("%q:\n got %q (%v)\nwant %q", c.en, got, ok, c.want)
		}
	}
	if got, ok := Message("a message nobody wrote"); ok || got != "a message nobody wrote" {
		t.Errorf("an unknown message: %q %v, want it as it is", got, ok)
	}
	if got, ok := Message("parameter nonsense: may not be empty"); ok {
		t.Errorf("an unknown parameter's name would stay English: %q", got)
	}
}

func TestErrorsMadeOfTheirDetailsAreWordedFromThem(t *testing.T) {
	msg, details := Error("properties.description: may not be empty; properties.category: required", []riskmap.Detail{
		{Field: "properties.description", Message: "may not be empty"}, {Field: "properties.category", Message: "required"}})
	if msg != "隐患描述：不能为空；类别：必填" || details[0].Message != "不能为空" || details[1].Field != "properties.category" {
		t.Errorf("%q %+v", msg, details)
	}
	// one unknown detail: the message stays, the known details are worded
	msg, details = Error("x: may not be empty; y: gibberish", []riskmap.Detail{{Field: "description", Message: "may not be empty"}, {Field: "y", Message: "gibberish"}})
	if msg != "x: may not be empty; y: gibberish" || details[0].Message != "不能为空" || details[1].Message != "gibberish" {
		t.Errorf("%q %+v", msg, details)
	}
}

func TestEveryEntryHasItsValues(t *testing.T) {
	for _, e := range catalogue {
		n := len(verb.FindAllString(strings.ReplaceAll(e.en, "%%", ""), -1))
		for _, p := range placeholder.FindAllStringSubmatch(e.zh, -1) {
			if i, _ := strconv.Atoi(p[1]); i < 1 || i > n {
				t.Errorf("%q → %q: {%d} but the format has %d values", e.en, e.zh, i, n)
			}
		}
		if !strings.ContainsFunc(e.zh, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("%q → %q is not Chinese", e.en, e.zh)
		}
	}
}

// formats lists what the code writes as messages: the formats of
// riskmap.Errorf and of the packages' field helpers (badParam, notFound,
// bad, invalid, field: their format, without the field they prefix), and
// the Message of every riskmap.Detail literal, by package.
func formats(t *testing.T) map[string][]string {
	t.Helper()
	helpers := map[string]int{"Errorf": 1, "badParam": 1, "notFound": 0, "invalid": 1, "bad": 1, "field": 1}
	out := map[string][]string{}
	fset := token.NewFileSet()
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "bench" || d.Name() == "web") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		lit := func(e ast.Expr) (string, bool) {
			b, ok := e.(*ast.BasicLit)
			if !ok || b.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(b.Value)
			return s, err == nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := x.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					if id, ok := fn.X.(*ast.Ident); ok && id.Name == "fmt" {
						return true
					}
					name = fn.Sel.Name
				}
				if i, ok := helpers[name]; ok && len(x.Args) > i {
					if s, ok := lit(x.Args[i]); ok {
						out[pkg] = append(out[pkg], s)
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.Ident); ok && k.Name == "Message" {
					v := x.Value
					if c, ok := v.(*ast.CallExpr); ok && len(c.Args) > 0 {
						if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" {
							v = c.Args[0] // Message: fmt.Sprintf("…", …)
						}
					}
					if s, ok := lit(v); ok {
						out[pkg] = append(out[pkg], s)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A message reworded in the code leaves its old entry matching nothing:
// each entry must be a format the code writes.
func TestEveryEntryIsAMessageTheCodeWrites(t *testing.T) {
	written := map[string]bool{}
	for _, list := range formats(t) {
		for _, f := range list {
			written[f] = true
		}
	}
	// values and messages the code builds rather than writes literally
	built := map[string]bool{"no such risk point": true, "no such hazard source": true, "unknown field": true,
		"used for a different report": true} // "used for a different " + Replies.What
	for _, e := range catalogue {
		if !written[e.en] && !built[e.en] {
			t.Errorf("%q is in the catalogue but no code writes it (reworded? update zh/catalogue.go)", e.en)
		}
	}
}

// The messages of the closed loop, the places and the signing in, which
// every office and grid worker meets, all have their Chinese; the others
// are listed (the web app words them by their error code meanwhile).
func TestTheMessagesPeopleMeetHaveTheirChinese(t *testing.T) {
	must := map[string]bool{"../cases": true, "../auth": true}
	var missing, listed []string
	for pkg, list := range formats(t) {
		for _, f := range list {
			if !letters.MatchString(verb.ReplaceAllString(f, "")) {
				continue // "%s", "%s: %s": passes another's message through
			}
			if _, ok := Message(sample(f)); ok {
				continue
			}
			if must[pkg] {
				missing = append(missing, pkg+": "+f)
			} else {
				listed = append(listed, pkg+": "+f)
			}
		}
	}
	sort.Strings(missing)
	sort.Strings(listed)
	for _, m := range missing {
		t.Errorf("no Chinese for %q: add it to zh/catalogue.go", m)
	}
	t.Logf("%d messages of other packages have no Chinese yet (the app words them by their code):\n%s", len(listed), strings.Join(listed, "\n"))
}

var letters = regexp.MustCompile(`[A-Za-z]`)

// sample renders a format with plain values: a message it could write.
func sample(format string) string {
	return verb.ReplaceAllStringFunc(format, func(v string) string {
		switch {
		case v == "%%":
			return "%"
		case strings.HasSuffix(v, "q"):
			return `"x"`
		case strings.HasSuffix(v, "d"):
			return "7"
		case strings.HasSuffix(v, "f"):
			return "1.5"
		}
		return "x"
	})
}
