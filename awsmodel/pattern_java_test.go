package awsmodel

import (
	"bufio"
	"encoding/base64"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// javaMatcher is a tiny Java program that answers Pattern.matches for a
// list of patterns and inputs, all base64-encoded, one per line: "P <pattern>"
// starts a pattern, "S <input>" asks about an input. It prints "1" or "0"
// per input.
const javaMatcher = `import java.util.regex.*; import java.nio.file.*; import java.util.*;
public class Matcher {
  public static void main(String[] a) throws Exception {
    StringBuilder out = new StringBuilder();
    Pattern cur = null;
    for (String l : Files.readAllLines(Paths.get(a[0]))) {
      String v = new String(Base64.getDecoder().decode(l.substring(2)), "UTF-8");
      if (l.charAt(0) == 'P') cur = Pattern.compile(v);
      else out.append(cur.matcher(v).matches() ? "1\n" : "0\n");
    }
    Files.write(Paths.get(a[1]), out.toString().getBytes("UTF-8"));
  }
}
`

// TestPatternsAgreeWithJava checks every model pattern's matcher against
// java.util.regex itself, AWS's own engine, on generated inputs: pieces of
// realistic values glued together, and random edits of valid values. It
// needs a JDK (java 11 or later) and is skipped without one.
func TestPatternsAgreeWithJava(t *testing.T) {
	if testing.Short() {
		t.Skip("runs java")
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("no java")
	}

	pats := make([]string, 0)
	for p := range modelPatterns() {
		pats = append(pats, p)
	}
	sort.Strings(pats)

	inputs := patternInputs()
	dir := t.TempDir()
	var in strings.Builder
	enc := base64.StdEncoding.EncodeToString
	for _, p := range pats {
		in.WriteString("P " + enc([]byte(p)) + "\n")
		for _, s := range inputs {
			in.WriteString("S " + enc([]byte(s)) + "\n")
		}
	}
	src := filepath.Join(dir, "Matcher.java")
	casesFile := filepath.Join(dir, "cases")
	outFile := filepath.Join(dir, "out")
	if err := os.WriteFile(src, []byte(javaMatcher), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(casesFile, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("java", src, casesFile, outFile).CombinedOutput(); err != nil {
		t.Skipf("java cannot run the matcher: %v\n%s", err, out)
	}

	f, err := os.Open(outFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	mismatches := 0
	for _, p := range pats {
		m, err := matcher(p)
		if err != nil {
			t.Fatalf("matcher(%q): %v", p, err)
		}
		for _, s := range inputs {
			if !sc.Scan() {
				t.Fatal("java answered fewer inputs than asked")
			}
			want := sc.Text() == "1"
			if got := m(s); got != want {
				mismatches++
				if mismatches <= 20 {
					t.Errorf("pattern %q on %q: got %v, java says %v", p, s, got, want)
				}
			}
		}
	}
	if mismatches > 0 {
		t.Errorf("%d mismatches with java.util.regex", mismatches)
	}
}

// patternInputs generates the same inputs on every run.
func patternInputs() []string {
	pieces := []string{"https://", "http://", "10.", "127.", "169.254.", "192.168.", "172.16.",
		"172.31.", "172.32.", "a", "ab", "example", "-", ".", ".com", ".c", "x1", "..", "/", "//",
		"_", ":8443", ":", "@", "*", "?", " ", "\n", "\r", "\r\n", "\u2028", "\u0085", "\x0b",
		"\t", "é", "F", "G", "pkg-", "0", "12", "123456789012", "GLOBAL", "arn:aws:es:us-east-1:",
		"domain/", "d-", "0123456789", "abcdef01", "A", "Z", `\`, `\b`, "%", "=", "+", "!", "#",
		",", "'", "$", "OpenSearch_", "Elasticsearch_", "1.2", "null", "aos-", "search", "~"}
	valid := []string{"https://example.com", "https://idp.example.co.uk:8443/saml-x",
		"https://10x.example.com/", "https://172.16.0.1.example.com", "https://a-b.c.example.org:1/%41",
		"01234567-89AB-cdef-0123-456789abcdef", "F123", "G9", "pkg-0a1b", "Elasticsearch_7.10",
		"OpenSearch_2.11", "OS_1.3", "7.10", "arn:aws:aps:us-east-1:123456789012:workspace/ws-abc",
		"arn:aws:iam::123456789012:role/service-role/my.role",
		"arn:aws:kms:us-east-1:123456789012:key/01234567-89ab-cdef-0123-456789abcdef",
		"arn:aws:es:us-east-1:123456789012:domain/my-domain", "arn:aws:es:us-east-1:1:domain/a/b",
		"d-0123456789", `01234567\b-89ab-cdef-0123-\b456789abcdef`, "arn:aws-cn:iam::1:role/x",
		"a.b.search", "123456789012", "GLOBAL", "ab-c:0f-1", "aos-x1", "NotAvailable", "my_x1",
		"my-domain", "a.example.com", "logs-1", "dir/file.txt", "null", "Ab1_.:/=+-@", "a b\x0bc"}
	edits := []string{"a", "Z", "0", "9", "-", ".", "_", "/", `\`, " ", "\n", "\r", ":", "@", "*",
		"?", "é", "%", "+", "=", "!", "#", ",", "'", "$", "~", "\u2028", "\u0085", "\x0b", "\t", ".."}

	// Inputs at the edges of Java's $ and dot: line terminators at the end.
	edge := []string{"", ".", "..", "...", ".\n", "..\n", ".\r\n", "..\u2028", ".\n.", "a\n",
		"\n", "F1\n", "abc\r", "ab\u0085", "https://example.com\n", "a.b.search\n", "x\u2029"}

	rng := rand.New(rand.NewSource(1))
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		// Java would decode broken UTF-8 differently; AWS sees valid JSON
		// strings only.
		if !seen[s] && utf8.ValidString(s) {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, e := range edge {
		add(e)
	}
	for range 1500 {
		var b strings.Builder
		for range rng.Intn(8) {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		add(b.String())
	}
	for _, v := range valid {
		add(v)
		for range 60 {
			s := v
			for range 1 + rng.Intn(3) {
				i := rng.Intn(len(s) + 1)
				e := edits[rng.Intn(len(edits))]
				switch rng.Intn(3) {
				case 0:
					s = s[:i] + e + s[i:]
				case 1:
					if i < len(s) {
						s = s[:i] + s[i+1:]
					}
				default:
					if i < len(s) {
						s = s[:i] + e + s[i+1:]
					}
				}
			}
			add(s)
		}
	}
	return out
}
