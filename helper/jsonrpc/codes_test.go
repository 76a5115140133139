package jsonrpc

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// wireConst is one constant of codes.go: a code or a reason, with the
// codes its comment names (a reason's codes).
type wireConst struct {
	name, value string
	codes       []string
}

var codeName = regexp.MustCompile(`\bCode[A-Z]\w*`)

// wireConsts reads codes.go's constants and, for each reason, the codes
// its own comment or its group's names.
func wireConsts(t *testing.T) (codes, reasons []wireConst) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 1 {
				t.Fatalf("codes.go: %v: want one name = one value", vs.Names)
			}
			c := wireConst{name: vs.Names[0].Name, value: literal(t, vs.Values[0])}
			switch {
			case strings.HasPrefix(c.name, "Code"):
				codes = append(codes, c)
			case strings.HasPrefix(c.name, "Reason"):
				comment := gen.Doc.Text() + vs.Doc.Text() + vs.Comment.Text()
				c.codes = codeName.FindAllString(comment, -1)
				if len(c.codes) == 0 {
					t.Errorf("codes.go: %s: its comment names no code it is a reason of", c.name)
				}
				reasons = append(reasons, c)
			default:
				t.Errorf("codes.go: %s is neither a Code nor a Reason", c.name)
			}
		}
	}
	return codes, reasons
}

// literal is a constant's value as written: -32001, or a string's text.
func literal(t *testing.T, e ast.Expr) string {
	t.Helper()
	switch v := e.(type) {
	case *ast.UnaryExpr:
		if lit, ok := v.X.(*ast.BasicLit); ok && v.Op == token.SUB && lit.Kind == token.INT {
			return "-" + lit.Value
		}
	case *ast.BasicLit:
		if v.Kind == token.STRING {
			s, err := strconv.Unquote(v.Value)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		return v.Value
	}
	t.Fatalf("codes.go: %T is not a literal", e)
	return ""
}

// errorTable is docs/API.md's table of errors: each code's row.
func errorTable(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Errors\n")
	if !ok {
		t.Fatal("docs/API.md has no ## Errors section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		code := strings.TrimSpace(cells[1])
		if _, err := strconv.Atoi(code); err == nil {
			rows[code] = line
		}
	}
	return rows
}

// Every code and reason of codes.go is in docs/API.md's table, each reason
// in the row of each code it belongs to, and the table names no code that
// codes.go lacks; no number or word is used twice.
func TestCodesAndReasonsAreDocumented(t *testing.T) {
	codes, reasons := wireConsts(t)
	rows := errorTable(t)
	if len(codes) < 10 || len(reasons) < 10 || len(rows) < 10 {
		t.Fatalf("read %d codes, %d reasons, %d table rows: the check would be empty", len(codes), len(reasons), len(rows))
	}
	byName := map[string]string{}
	var values []string
	for _, c := range codes {
		if slices.Contains(values, c.value) {
			t.Errorf("code %s is used twice", c.value)
		}
		values = append(values, c.value)
		byName[c.name] = c.value
		if _, ok := rows[c.value]; !ok {
			t.Errorf("docs/API.md's error table has no row for %s (%s)", c.value, c.name)
		}
	}
	for code := range rows {
		if !slices.Contains(values, code) {
			t.Errorf("docs/API.md's error table names %s, which codes.go does not define", code)
		}
	}
	var words []string
	for _, r := range reasons {
		if slices.Contains(words, r.value) {
			t.Errorf("reason %q is defined twice", r.value)
		}
		words = append(words, r.value)
		for _, name := range r.codes {
			code, ok := byName[name]
			if !ok {
				t.Errorf("%s names %s, which is not a code", r.name, name)
				continue
			}
			if !strings.Contains(rows[code], "`"+r.value+"`") {
				t.Errorf("docs/API.md's row for %s (%s) does not name the reason `%s` (%s)", code, name, r.value, r.name)
			}
		}
	}
}
