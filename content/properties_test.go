package content

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name string
		text string
		want map[string]string
	}{
		{"equals", "a=b", map[string]string{"a": "b"}},
		{"colon", "a:b", map[string]string{"a": "b"}},
		{"space", "a b", map[string]string{"a": "b"}},
		{"tab", "a\tb", map[string]string{"a": "b"}},
		{"form feed", "a\fb", map[string]string{"a": "b"}},
		{"spaced equals", "a  =  b", map[string]string{"a": "b"}},
		{"spaced colon", "a : b", map[string]string{"a": "b"}},
		{"second separator is value", "a==b", map[string]string{"a": "=b"}},
		{"separator after space and equals", "a = :b", map[string]string{"a": ":b"}},
		{"separator in value", "a b=c", map[string]string{"a": "b=c"}},
		{"url value", "site=https://x.example:9200/", map[string]string{"site": "https://x.example:9200/"}},
		{"leading blanks", "  \t a=b", map[string]string{"a": "b"}},
		{"trailing blanks kept", "a=b  ", map[string]string{"a": "b  "}},
		{"empty value", "a=\nb\nc:", map[string]string{"a": "", "b": "", "c": ""}},
		{"later key wins", "a=1\na=2", map[string]string{"a": "2"}},

		{"comments", "# one\n! two\n   # three\n\t! four\na=b", map[string]string{"a": "b"}},
		{"hash inside value", "a=b # not a comment", map[string]string{"a": "b # not a comment"}},
		{"blank lines", "\n   \n\t\na=b\n\n", map[string]string{"a": "b"}},
		{"CR line ends", "a=1\rb=2\r", map[string]string{"a": "1", "b": "2"}},
		{"CRLF line ends", "a=1\r\nb=2\r\n", map[string]string{"a": "1", "b": "2"}},
		{"empty", "", map[string]string{}},

		{"continuation", "a=one \\\n    two", map[string]string{"a": "one two"}},
		{"continuation twice", "a=1,\\\n 2,\\\n\t3", map[string]string{"a": "1,2,3"}},
		{"continuation over CRLF", "a=x\\\r\n  y\r\nb=z", map[string]string{"a": "xy", "b": "z"}},
		{"continuation of key", "ke\\\n  y=v", map[string]string{"key": "v"}},
		{"continued line is not a comment", "a=x\\\n  # y", map[string]string{"a": "x# y"}},
		{"comment does not continue", "# c \\\na=b", map[string]string{"a": "b"}},
		{"continuation onto blank line", "a=x\\\n\nb=y", map[string]string{"a": "x", "b": "y"}},
		{"continuation at end", "a=x\\", map[string]string{"a": "x"}},
		{"escaped backslash ends line", "a=x\\\\\nb=y", map[string]string{"a": `x\`, "b": "y"}},
		{"three backslashes continue", "a=x\\\\\\\n  y", map[string]string{"a": `x\y`}},

		{"control escapes", `a=1\t2\n3\r4\f5`, map[string]string{"a": "1\t2\n3\r4\f5"}},
		{"unicode escape", `name=caf\u00e9`, map[string]string{"name": "café"}},
		{"unicode escape upper case", `a=\u00C9t\u00E9`, map[string]string{"a": "Été"}},
		{"surrogate pair", `a=\uD83D\uDE00`, map[string]string{"a": "😀"}},
		{"lone surrogate", `a=\uD83Dx`, map[string]string{"a": "\uFFFDx"}},
		{"escaped separators in key", `a\=b\:c\ d=v`, map[string]string{"a=b:c d": "v"}},
		{"escaped comment sign", `\#a=1`, map[string]string{"#a": "1"}},
		{"other escapes drop the backslash", `a=\q\"\\`, map[string]string{"a": `q"\`}},
		{"escaped leading space in value", `a=\  b`, map[string]string{"a": "  b"}},
		{"utf-8 text", "description=Analyse für Café", map[string]string{"description": "Analyse für Café"}},

		{"descriptor", goodDescriptor, map[string]string{
			"description":        "Analysis for ACME text",
			"version":            "1.2.0",
			"name":               "analysis-acme",
			"classname":          "com.acme.AnalysisAcmePlugin",
			"java.version":       "21",
			"opensearch.version": "2.19.0",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProperties(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParsePropertiesMalformed(t *testing.T) {
	tests := []struct {
		text    string
		wantErr string
	}{
		{`a=\u00g9`, `line 1: malformed \uxxxx escape "\\u00g9"`},
		{"a=1\nb=\\u12", `line 2: malformed \uxxxx escape "\\u12"`},
		{`\u12 =x`, `line 1: malformed \uxxxx escape "\\u12"`},
		{"a=x\\\n\\u+123", `line 2: malformed \uxxxx escape "\\u+123"`},
	}
	for _, tt := range tests {
		_, err := parseProperties(tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parseProperties(%q) = %v, want an error mentioning %q", tt.text, err, tt.wantErr)
		}
	}
}

func TestDecodeProperties(t *testing.T) {
	tests := []struct {
		data []byte
		want string
	}{
		{[]byte("a=café"), "a=café"},
		{[]byte("\xef\xbb\xbfa=b"), "a=b"},
		{[]byte("a=caf\xe9"), "a=café"}, // ISO-8859-1, as Java reads it
		{[]byte("a=\xff\xfe"), "a=ÿþ"},
	}
	for _, tt := range tests {
		if got := decodeProperties(tt.data); got != tt.want {
			t.Errorf("decodeProperties(%q) = %q, want %q", tt.data, got, tt.want)
		}
	}
}

func TestUnescapePropertyTrailingBackslash(t *testing.T) {
	// parseProperties drops a continuation backslash at the end of the
	// text before unescaping; a lone one left over stands for nothing.
	if got, err := unescapeProperty(`ab\`); got != "ab" || err != nil {
		t.Errorf("got %q, %v; want \"ab\"", got, err)
	}
}
