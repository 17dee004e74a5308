package content

import (
	"strings"
	"testing"

	"github.com/osemu/osemu"
)

func TestCheckLicense(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		content  string
		wantType string // "" for valid content
		wantMsg  string
	}{
		{"json object", "licences/acme.json", `{"licensee": "ACME", "expires": "2030-01-01"}`, "", ""},
		{"json upper-case extension", "ACME.JSON", `{"licensee": "ACME"}`, "", ""},
		{"json with a byte order mark", "acme.json", "\ufeff{}", "", ""},
		{"json nested, spaced", "acme.json", "\n  {\"a\": [1, {\"b\": null}]}\n", "", ""},
		{"xml document", "licences/acme.xml", `<?xml version="1.0" encoding="UTF-8"?>
<!-- issued 2025 -->
<license id="1"><licensee>ACME</licensee><key><![CDATA[a&b]]></key></license>
`, "", ""},
		{"xml with doctype", "acme.xml", "<!DOCTYPE license>\n<license/>", "", ""},

		{"text file", "licences/acme.txt", "ACME-1234", "UnsupportedLicenseFormat",
			`The licence file "acme.txt" is neither .json nor .xml: a licence must be a .json or .xml file.`},
		{"no extension", "licences/acme", "{}", "UnsupportedLicenseFormat", "a licence must be a .json or .xml file"},
		{"zip", "acme.json.zip", "{}", "UnsupportedLicenseFormat", `"acme.json.zip"`},

		{"json truncated", "acme.json", `{"licensee": `, "InvalidLicense",
			"The licence is not valid JSON: unexpected end of JSON input."},
		{"json syntax", "acme.json", `{licensee: "ACME"}`, "InvalidLicense",
			"not valid JSON: invalid character 'l'"},
		{"json empty", "acme.json", "", "InvalidLicense", "not valid JSON"},
		{"json trailing data", "acme.json", `{} {}`, "InvalidLicense", "not valid JSON"},
		{"json array", "acme.json", `[{"licensee": "ACME"}]`, "InvalidLicense",
			"valid JSON but not a JSON object"},
		{"json string", "acme.json", `"ACME"`, "InvalidLicense", "not a JSON object"},
		{"xml given as json", "acme.json", `<license/>`, "InvalidLicense", "not valid JSON"},

		{"xml mismatched tags", "acme.xml", "<license><key></license></key>", "InvalidLicense",
			"The licence is not well-formed XML: XML syntax error on line 1: element <key> closed by </license>."},
		{"xml unclosed", "acme.xml", "<license><key>1</key>", "InvalidLicense",
			"not well-formed XML: XML syntax error on line 1: unexpected EOF"},
		{"xml two roots", "acme.xml", "<a/><b/>", "InvalidLicense",
			"not well-formed XML: more than one root element."},
		{"xml text after root", "acme.xml", "<a/>trailing", "InvalidLicense",
			"not well-formed XML: text outside the root element."},
		{"xml text only", "acme.xml", "ACME-1234", "InvalidLicense", "text outside the root element"},
		{"xml empty", "acme.xml", "", "InvalidLicense", "not well-formed XML: no root element."},
		{"xml declaration only", "acme.xml", `<?xml version="1.0"?>`, "InvalidLicense", "no root element"},
		{"json given as xml", "acme.xml", `{"licensee": "ACME"}`, "InvalidLicense", "not well-formed XML"},
		{"xml undefined entity", "acme.xml", "<a>&acme;</a>", "InvalidLicense", "invalid character entity &acme;"},

		{"too large", "acme.json", `{"k": "` + strings.Repeat("x", MaxLicenseSize) + `"}`, "LicenseTooLarge",
			"The licence file is 1048585 bytes, more than the maximum of 1048576 bytes (1 MiB)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(input(osemu.PackageTypeLicense, tt.key, "", []byte(tt.content)))
			if tt.wantType == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				if got.PluginProperties != nil {
					t.Errorf("got plugin properties %+v, want none", got.PluginProperties)
				}
				return
			}
			MustVerdict(t, err, tt.wantType, tt.wantMsg)
		})
	}
}

func TestCheckLicenseAtTheCap(t *testing.T) {
	doc := `{"k": "` + strings.Repeat("x", MaxLicenseSize-9) + `"}`
	if len(doc) != MaxLicenseSize {
		t.Fatalf("document is %d bytes", len(doc))
	}
	if _, err := Check(input(osemu.PackageTypeLicense, "acme.json", "", []byte(doc))); err != nil {
		t.Errorf("got %v, want valid", err)
	}
}
