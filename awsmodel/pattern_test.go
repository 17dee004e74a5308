package awsmodel

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// modelPatterns returns every pattern of both models with the shapes that
// use it.
func modelPatterns() map[string][]*Shape {
	pats := map[string][]*Shape{}
	for _, svc := range []*Service{OpenSearch(), Elasticsearch()} {
		for _, sh := range svc.shapes {
			if sh.Pattern != "" {
				pats[sh.Pattern] = append(pats[sh.Pattern], sh)
			}
		}
	}
	return pats
}

func TestEveryModelPatternHasAMatcher(t *testing.T) {
	pats := modelPatterns()
	if len(pats) < 30 {
		t.Fatalf("found %d patterns in the models, expected dozens", len(pats))
	}

	names := make([]string, 0, len(pats))
	for p := range pats {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		for _, sh := range pats[p] {
			if sh.match == nil {
				t.Errorf("shape %s: pattern %q has no matcher", sh.Name, p)
			}
		}

		// A hand-written matcher must be needed: the pattern must not
		// compile, or the table carries dead weight.
		_, compileErr := compileJava(p)
		if _, hand := handMatchers[p]; hand {
			if compileErr == nil {
				t.Errorf("pattern %q compiles; drop its hand-written matcher", p)
			}
		} else if compileErr != nil {
			t.Errorf("pattern %q does not compile (%v) and has no hand-written matcher", p, compileErr)
		}

		// Every model pattern must accept something and reject something
		// the fixtures below give it, or at least run without panicking.
		m, err := matcher(p)
		if err != nil {
			t.Errorf("matcher(%q): %v", p, err)
			continue
		}
		m("")
		m("abc")
	}

	for p := range handMatchers {
		if _, ok := pats[p]; !ok {
			t.Errorf("hand-written matcher for %q, which no model uses", p)
		}
	}
}

func TestHandMatchers(t *testing.T) {
	tests := []struct {
		pattern string
		yes     []string
		no      []string
	}{
		{patternHTTPSURL,
			[]string{"", "https://example.com", "https://idp.example.co.uk:8443/saml-metadata_x~1",
				"https://10example.com", "https://my-host.example.org/"},
			[]string{"http://example.com", "https://10.0.0.1.example.com", "https://192.168.1.1.nip.io",
				"https://172.16.0.1.example", "https://169.254.169.254.example.com", "https://localhost",
				"https://-bad.example.com", "https://example.com\n", " https://example.com",
				"https://example.com/a/b", "https://example.com/?q=1"}},
		{patternHostname,
			[]string{"example.com", "a.bc", "my-host.example.org", "x1.y2.z3", strings.Repeat("a", 63) + ".com"},
			[]string{"example", "-bad.example.com", "bad-.example.com", "a.-b", "a.b-", "a..b",
				strings.Repeat("a", 64) + ".com", "a.c", "", "exa mple.com"}},
		{patternS3Path,
			[]string{"a", "dir/file.txt", "a.b/c_d-e", ".hidden/x", "a/.b"},
			[]string{"", "a/../b", "..", "a..b", "/abs", "a/", "a//b", "a b", "a/..."}},
		{patternIndex,
			[]string{"logs", "logs-2024.01", "a_b", "...", ".kibana", "é"},
			[]string{"", ".", "..", ".\n", "..\r\n", "_logs", "-logs", "Logs", "a b", "a,b", "a*", "a/b", "a\\b"}},
	}
	for _, tt := range tests {
		m, err := matcher(tt.pattern)
		if err != nil {
			t.Fatalf("matcher(%q): %v", tt.pattern, err)
		}
		for _, s := range tt.yes {
			if !m(s) {
				t.Errorf("%q does not match %q, want a match", tt.pattern, s)
			}
		}
		for _, s := range tt.no {
			if m(s) {
				t.Errorf("%q matches %q, want none", tt.pattern, s)
			}
		}
	}
}

// TestModelPatterns pins the Java full-match semantics on patterns that
// RE2 compiles after translation.
func TestModelPatterns(t *testing.T) {
	tests := []struct {
		pattern string
		yes     []string
		no      []string
	}{
		{`[a-z][a-z0-9\-]+`, []string{"ab", "my-domain-1"}, []string{"a", "Ab", "ab_c", "-ab", "ab\n", "x-é"}},
		{`^([FG][0-9]+)$|^(pkg-[a-f0-9]+)$`, []string{"F1", "G123", "pkg-0a"},
			[]string{"f1", "F", "FG1", "pkg-", "pkg-A", "PKG-a", "F1\n", "F1pkg-a"}},
		{`^[0-9a-zA-Z\*\.\_\\\/\?-]+$`, []string{"a*", `a\b`, "x/y?.z_-"}, []string{"", "a b", "a,b", "é"}},
		{`^[0-9a-zA-Z\*\.\\/\?-]*$`, []string{"", "a*", `a\b`}, []string{"a_b", "a b"}},
		{`\p{XDigit}{8}-\p{XDigit}{4}-\p{XDigit}{4}-\p{XDigit}{4}-\p{XDigit}{12}`,
			[]string{"01234567-89AB-cdef-0123-456789abcdef"}, []string{"0123456g-89ab-cdef-0123-456789abcdef", "0123"}},
		// Java's dot excludes every line terminator, not only \n.
		{`.*`, []string{"", "anything at all é"}, []string{"a\nb", "a\rb", "a\u2028b", "a\u0085"}},
		// Java's \s includes the vertical tab; [\s\S] is anything.
		{`^([a-zA-Z0-9_])*[\\a-zA-Z0-9_@#%*+=:?./!\s-]*$`, []string{"a b\x0Bc", `a\b`}, []string{"a,b", "a;b"}},
		{`^([\s\S]*)$`, []string{"", "a\nb\r\x0B\u2028"}, nil},
		// \\b is a backslash then "b" in Java, so the UUID branch needs one.
		{`^d-[0-9a-f]{10}$|^[0-9a-f]{8}\\b-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-\\b[0-9a-f]{12}$`,
			[]string{"d-0123456789", `01234567\b-89ab-cdef-0123-\b456789abcdef`},
			[]string{"01234567-89ab-cdef-0123-456789abcdef", "d-012345678"}},
		{`^[0-9]{12}$|^GLOBAL$`, []string{"123456789012", "GLOBAL"}, []string{"12345678901", "global", "GLOBAL1"}},
		{`^arn:aws[a-z\\-]*:[a-z]+:[a-z0-9\\-]*:[0-9]*:[a-z0-9\\-]+\/[a-z0-9\\-]+`,
			[]string{"arn:aws:es:us-east-1:123456789012:domain/my-domain"},
			[]string{"arn:aws:es:us-east-1:123456789012:domain/my-domain/extra"}},
	}
	for _, tt := range tests {
		if tt.pattern != `.*` && tt.pattern != `^[0-9a-zA-Z\*\.\\/\?-]*$` {
			if _, ok := modelPatterns()[tt.pattern]; !ok {
				t.Errorf("pattern %q is not in the models; fix the test", tt.pattern)
			}
		}
		m, err := matcher(tt.pattern)
		if err != nil {
			t.Fatalf("matcher(%q): %v", tt.pattern, err)
		}
		for _, s := range tt.yes {
			if !m(s) {
				t.Errorf("%q does not match %q, want a match", tt.pattern, s)
			}
		}
		for _, s := range tt.no {
			if m(s) {
				t.Errorf("%q matches %q, want none", tt.pattern, s)
			}
		}
	}
}

func TestTranslateJava(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{in: `[a-z][a-z0-9\-]+`, want: `[a-z][a-z0-9\-]+`},
		{in: `a.b`, want: `a` + javaDot + `b`},
		{in: `[.]`, want: `[.]`},
		{in: `\.`, want: `\.`},
		{in: `\s`, want: `[` + javaSpace + `]`},
		{in: `[\s\S]`, want: `[` + javaSpace + javaNonSpace + `]`},
		{in: `\p{XDigit}`, want: `[0-9A-Fa-f]`},
		{in: `[\p{XDigit}-]`, want: `[0-9A-Fa-f-]`},
		{in: `\P{XDigit}`, want: `[^0-9A-Fa-f]`},
		{in: `\p{L}`, want: `\p{L}`},
		{in: `[]a]`, want: `[\]a]`},
		{in: `[^]a]`, want: `[^\]a]`},
		{in: `\Q.*\E.`, want: `\Q.*\E` + javaDot},
		{in: `a(?!b)`, err: true},
		{in: `(?<=a)b`, err: true},
		{in: `(?>a)`, err: true},
		{in: `[a[b]]`, err: true},
		{in: `[a-z&&[^e]]`, err: true},
		{in: `\h`, err: true},
		{in: `[a`, err: true},
		{in: `a\`, err: true},
	}
	for _, tt := range tests {
		got, err := translateJava(tt.in)
		if tt.err {
			if err == nil {
				t.Errorf("translateJava(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("translateJava(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := translateJava(`a(?!b)`); !errors.Is(err, errUnsupported) {
		t.Errorf("lookahead error = %v, want errUnsupported", err)
	}
}

// TestGeneratedModelsUpToDate regenerates the embedded models from the
// installed botocore and compares them byte for byte. It needs python3 with
// botocore and the go tool, and is skipped without them.
func TestGeneratedModelsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool")
	}
	version, err := exec.Command("python3", "-c", "import botocore; print(botocore.__version__)").Output()
	if err != nil {
		t.Skip("no python3 with botocore")
	}
	if want := "botocore " + strings.TrimSpace(string(version)) + " "; !strings.HasPrefix(OpenSearch().Source, want) {
		t.Skipf("embedded models come from %q, installed is %s", OpenSearch().Source, want)
	}

	dir := t.TempDir()
	out, err := exec.Command("go", "run", "../internal/genmodel", "-out", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("genmodel: %v\n%s", err, out)
	}
	for _, name := range []string{"opensearch-2021-01-01.json.gz", "es-2015-01-01.json.gz"} {
		fresh := mustGunzip(t, filepath.Join(dir, name))
		embedded := mustGunzip(t, name)
		if !bytes.Equal(fresh, embedded) {
			t.Errorf("%s is stale: run go generate ./awsmodel", name)
		}
		if !json.Valid(embedded) || bytes.Contains(embedded, []byte(`"documentation"`)) {
			t.Errorf("%s is not a trimmed JSON model", name)
		}
	}
}

func mustGunzip(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
