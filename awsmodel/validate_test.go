package awsmodel

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/osemu/osemu"
)

// Constraint texts shared by several cases.
const (
	namePattern   = `Member must satisfy regular expression pattern: [a-z][a-z0-9\-]+`
	idPattern     = `Member must satisfy regular expression pattern: ^([FG][0-9]+)$|^(pkg-[a-f0-9]+)$`
	filterPattern = `Member must satisfy regular expression pattern: ^[0-9a-zA-Z\*\.\_\\\/\?-]+$`
	typeEnum      = `Member must satisfy enum value set: [TXT-DICTIONARY, ZIP-PLUGIN, PACKAGE-LICENSE, PACKAGE-CONFIG]`
)

func source() map[string]any {
	return map[string]any{"S3BucketName": "bucket", "S3Key": "synonyms.txt"}
}

func createPackage(name any) map[string]any {
	return map[string]any{"PackageName": name, "PackageType": "TXT-DICTIONARY", "PackageSource": source()}
}

func TestValidate(t *testing.T) {
	hex40 := strings.Repeat("0123456789", 4)
	long := strings.Repeat("x", 161)
	tests := []struct {
		name  string
		svc   *Service
		op    string
		input map[string]any
		msg   string // "" means valid
	}{
		// Package names: [a-z][a-z0-9\-]+, 3 to 256 characters.
		{"name with capitals", OpenSearch(), "CreatePackage", createPackage("Synonyms"),
			"1 validation error detected: Value 'Synonyms' at 'packageName' failed to satisfy constraint: " + namePattern},
		{"name with underscore", OpenSearch(), "CreatePackage", createPackage("syn_a"),
			"1 validation error detected: Value 'syn_a' at 'packageName' failed to satisfy constraint: " + namePattern},
		{"name too short", OpenSearch(), "CreatePackage", createPackage("sy"),
			"1 validation error detected: Value 'sy' at 'packageName' failed to satisfy constraint: " +
				"Member must have length greater than or equal to 3"},
		{"name with accent", OpenSearch(), "CreatePackage", createPackage("synonymes-é"),
			"1 validation error detected: Value 'synonymes-é' at 'packageName' failed to satisfy constraint: " + namePattern},
		{"name too short and bad", OpenSearch(), "CreatePackage", createPackage("S"),
			"2 validation errors detected: " +
				"Value 'S' at 'packageName' failed to satisfy constraint: Member must have length greater than or equal to 3; " +
				"Value 'S' at 'packageName' failed to satisfy constraint: " + namePattern},
		{"valid name", OpenSearch(), "CreatePackage", createPackage("my-synonyms-2"), ""},
		{"legacy name too long", Elasticsearch(), "CreatePackage", createPackage(strings.Repeat("a", 29)),
			"1 validation error detected: Value '" + strings.Repeat("a", 29) + "' at 'packageName' failed to satisfy constraint: " +
				"Member must have length less than or equal to 28"},
		{"name of 256 characters", OpenSearch(), "CreatePackage", createPackage(strings.Repeat("a", 256)), ""},

		// Lengths count UTF-16 code units, as Java does: an emoji is two.
		{"description of 512 emoji", OpenSearch(), "CreatePackage",
			withMember(createPackage("ok-name"), "PackageDescription", strings.Repeat("😀", 512)), ""},
		{"description of 513 emoji", OpenSearch(), "CreatePackage",
			withMember(createPackage("ok-name"), "PackageDescription", strings.Repeat("😀", 513)),
			"1 validation error detected: Value '" + strings.Repeat("😀", 256) + "...' at 'packageDescription' " +
				"failed to satisfy constraint: Member must have length less than or equal to 1024"},
		{"description of 1024 accents", OpenSearch(), "CreatePackage",
			withMember(createPackage("ok-name"), "PackageDescription", strings.Repeat("é", 1024)), ""},

		// Package IDs: ^([FG][0-9]+)$|^(pkg-[a-f0-9]+)$, case-sensitive.
		{"lowercase f", OpenSearch(), "DeletePackage", map[string]any{"PackageID": "f123"},
			"1 validation error detected: Value 'f123' at 'packageID' failed to satisfy constraint: " + idPattern},
		{"uppercase pkg", OpenSearch(), "DeletePackage", map[string]any{"PackageID": "PKG-ABC"},
			"1 validation error detected: Value 'PKG-ABC' at 'packageID' failed to satisfy constraint: " + idPattern},
		{"uppercase hex", OpenSearch(), "DeletePackage", map[string]any{"PackageID": "pkg-XYZ"},
			"1 validation error detected: Value 'pkg-XYZ' at 'packageID' failed to satisfy constraint: " + idPattern},
		{"trailing newline", OpenSearch(), "DeletePackage", map[string]any{"PackageID": "F123\n"},
			"1 validation error detected: Value 'F123\n' at 'packageID' failed to satisfy constraint: " + idPattern},
		{"plugin ID", OpenSearch(), "DeletePackage", map[string]any{"PackageID": "pkg-" + hex40}, ""},
		{"dictionary ID", OpenSearch(), "DeletePackage", map[string]any{"PackageID": "F123"}, ""},
		{"AWS-owned ID", OpenSearch(), "GetPackageVersionHistory", map[string]any{"PackageID": "G456"}, ""},
		{"legacy IDs have no pattern", Elasticsearch(), "DeletePackage", map[string]any{"PackageID": "anything"}, ""},

		// Domains.
		{"domain name", OpenSearch(), "DeleteDomain", map[string]any{"DomainName": "Test-Domain"},
			"1 validation error detected: Value 'Test-Domain' at 'domainName' failed to satisfy constraint: " + namePattern},
		{"association", OpenSearch(), "AssociatePackage", map[string]any{"PackageID": "F1", "DomainName": "Test-Domain"},
			"1 validation error detected: Value 'Test-Domain' at 'domainName' failed to satisfy constraint: " + namePattern},

		// Numbers.
		{"max results 101", OpenSearch(), "ListDomainsForPackage",
			map[string]any{"PackageID": "F1", "MaxResults": json.Number("101")},
			"1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: " +
				"Member must have value less than or equal to 100"},
		{"max results 100", OpenSearch(), "ListDomainsForPackage",
			map[string]any{"PackageID": "F1", "MaxResults": json.Number("100")}, ""},
		{"max results as Go int", OpenSearch(), "DescribePackages", map[string]any{"MaxResults": 101},
			"1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: " +
				"Member must have value less than or equal to 100"},
		{"numeric min and XDigit pattern", OpenSearch(), "PurchaseReservedInstanceOffering",
			map[string]any{"ReservedInstanceOfferingId": "0123456789ABCDEF-0123-4567-89ab-cdef01234567",
				"ReservationName": "res\n1", "InstanceCount": json.Number("0")},
			"4 validation errors detected: " +
				"Value '0123456789ABCDEF-0123-4567-89ab-cdef01234567' at 'reservedInstanceOfferingId' failed to satisfy constraint: " +
				"Member must have length less than or equal to 36; " +
				"Value '0123456789ABCDEF-0123-4567-89ab-cdef01234567' at 'reservedInstanceOfferingId' failed to satisfy constraint: " +
				"Member must satisfy regular expression pattern: " +
				`\p{XDigit}{8}-\p{XDigit}{4}-\p{XDigit}{4}-\p{XDigit}{4}-\p{XDigit}{12}; ` +
				"Value 'res\n1' at 'reservationName' failed to satisfy constraint: Member must satisfy regular expression pattern: .*; " +
				"Value '0' at 'instanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"valid GUID", OpenSearch(), "PurchaseReservedInstanceOffering",
			map[string]any{"ReservedInstanceOfferingId": "01234567-89AB-cdef-0123-456789abcdef",
				"ReservationName": "res-1", "InstanceCount": json.Number("3")}, ""},

		// Strings in nested structures.
		{"commit message 161", OpenSearch(), "UpdatePackage",
			map[string]any{"PackageID": "F1", "PackageSource": source(), "CommitMessage": long},
			"1 validation error detected: Value '" + long + "' at 'commitMessage' failed to satisfy constraint: " +
				"Member must have length less than or equal to 160"},
		{"commit message 160", OpenSearch(), "UpdatePackage",
			map[string]any{"PackageID": "F1", "PackageSource": source(), "CommitMessage": long[:160]}, ""},
		{"nested member", OpenSearch(), "CreatePackage",
			map[string]any{"PackageName": "abc", "PackageType": "TXT-DICTIONARY",
				"PackageSource": map[string]any{"S3BucketName": "b", "S3Key": ""}},
			"2 validation errors detected: " +
				"Value 'b' at 'packageSource.s3BucketName' failed to satisfy constraint: Member must have length greater than or equal to 3; " +
				"Value '' at 'packageSource.s3Key' failed to satisfy constraint: Member must have length greater than or equal to 1"},

		// Lists.
		{"filter without values", OpenSearch(), "DescribePackages",
			map[string]any{"Filters": []any{map[string]any{"Name": "PackageName", "Value": []any{}}}},
			"1 validation error detected: Value '[]' at 'filters.1.member.value' failed to satisfy constraint: " +
				"Member must have length greater than or equal to 1"},
		{"filter value with a space", OpenSearch(), "DescribePackages",
			map[string]any{"Filters": []any{
				map[string]any{"Name": "PackageType", "Value": []any{"TXT-DICTIONARY"}},
				map[string]any{"Name": "PackageName", "Value": []any{"ok", "a b"}}}},
			"1 validation error detected: Value 'a b' at 'filters.2.member.value.2.member' failed to satisfy constraint: " + filterPattern},
		{"filter name enum", OpenSearch(), "DescribePackages",
			map[string]any{"Filters": []any{map[string]any{"Name": "Owner", "Value": []any{"x*"}}}},
			"1 validation error detected: Value 'Owner' at 'filters.1.member.name' failed to satisfy constraint: " +
				"Member must satisfy enum value set: [PackageID, PackageName, PackageStatus, PackageType, EngineVersion, PackageOwner]"},
		{"valid filters", OpenSearch(), "DescribePackages",
			map[string]any{"Filters": []any{map[string]any{"Name": "PackageName", "Value": []any{"my-dict", "a_b*", `x\y/z?.`}}}}, ""},
		{"null list element", OpenSearch(), "DescribeDomains", map[string]any{"DomainNames": []any{"abc", nil}},
			"1 validation error detected: Value null at 'domainNames.2.member' failed to satisfy constraint: Member must not be null"},
		{"list of strings as []string", OpenSearch(), "DescribeDomains", map[string]any{"DomainNames": []string{"abc", "X"}},
			"2 validation errors detected: " +
				"Value 'X' at 'domainNames.2.member' failed to satisfy constraint: Member must have length greater than or equal to 3; " +
				"Value 'X' at 'domainNames.2.member' failed to satisfy constraint: " + namePattern},

		// Required members and enums.
		{"missing required", OpenSearch(), "CreatePackage",
			map[string]any{"PackageType": "TXT-DICTIONARY", "PackageSource": source()},
			"1 validation error detected: Value null at 'packageName' failed to satisfy constraint: Member must not be null"},
		{"explicit null is missing", OpenSearch(), "UpdatePackage",
			map[string]any{"PackageID": "F1", "PackageSource": nil},
			"1 validation error detected: Value null at 'packageSource' failed to satisfy constraint: Member must not be null"},
		{"all missing", OpenSearch(), "CreatePackage", map[string]any{},
			"3 validation errors detected: " +
				"Value null at 'packageName' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'packageType' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'packageSource' failed to satisfy constraint: Member must not be null"},
		{"two violations", OpenSearch(), "CreatePackage",
			map[string]any{"PackageName": "Synonyms", "PackageType": "ZIP", "PackageSource": source()},
			"2 validation errors detected: " +
				"Value 'Synonyms' at 'packageName' failed to satisfy constraint: " + namePattern + "; " +
				"Value 'ZIP' at 'packageType' failed to satisfy constraint: " + typeEnum},
		{"legacy package type", Elasticsearch(), "CreatePackage",
			map[string]any{"PackageName": "abc", "PackageType": "ZIP-PLUGIN", "PackageSource": source()},
			"1 validation error detected: Value 'ZIP-PLUGIN' at 'packageType' failed to satisfy constraint: " +
				"Member must satisfy enum value set: [TXT-DICTIONARY]"},
		{"tag list entries", OpenSearch(), "AddTags",
			map[string]any{"ARN": "arn:aws:es:us-east-1:000000000000:domain/d1",
				"TagList": []any{map[string]any{"Key": "k"}, map[string]any{"Key": "", "Value": "v"}}},
			"2 validation errors detected: " +
				"Value null at 'tagList.1.member.value' failed to satisfy constraint: Member must not be null; " +
				"Value '' at 'tagList.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"},

		// Wrong JSON types.
		{"number for a string", OpenSearch(), "CreatePackage", createPackage(json.Number("5")),
			"1 validation error detected: Value '5' at 'packageName' failed to satisfy constraint: Member must be a string"},
		{"string for a structure", OpenSearch(), "UpdatePackage",
			map[string]any{"PackageID": "F1", "PackageSource": "s3://b/k"},
			"1 validation error detected: Value 's3://b/k' at 'packageSource' failed to satisfy constraint: Member must be a structure"},
		{"string for an integer", OpenSearch(), "DescribePackages", map[string]any{"MaxResults": "10"},
			"1 validation error detected: Value '10' at 'maxResults' failed to satisfy constraint: Member must be an integer"},
		{"fraction for an integer", OpenSearch(), "DescribePackages", map[string]any{"MaxResults": json.Number("1.5")},
			"1 validation error detected: Value '1.5' at 'maxResults' failed to satisfy constraint: Member must be an integer"},
		{"string for a list", OpenSearch(), "DescribeDomains", map[string]any{"DomainNames": "abc"},
			"1 validation error detected: Value 'abc' at 'domainNames' failed to satisfy constraint: Member must be a list"},
		{"list for a boolean", OpenSearch(), "CreateDomain",
			map[string]any{"DomainName": "dom1", "AdvancedSecurityOptions": map[string]any{"Enabled": []any{true}}},
			"1 validation error detected: Value '[true]' at 'advancedSecurityOptions.enabled' failed to satisfy constraint: " +
				"Member must be a boolean"},

		// Maps.
		{"map key enum", OpenSearch(), "CreateDomain",
			map[string]any{"DomainName": "dom1", "LogPublishingOptions": map[string]any{
				"AUDIT_LOGS": map[string]any{"Enabled": true},
				"BAD_LOGS":   map[string]any{"Enabled": "yes"}}},
			"2 validation errors detected: " +
				"Value 'BAD_LOGS' at 'logPublishingOptions.BAD_LOGS' failed to satisfy constraint: " +
				"Member must satisfy enum value set: [INDEX_SLOW_LOGS, SEARCH_SLOW_LOGS, ES_APPLICATION_LOGS, AUDIT_LOGS]; " +
				"Value 'yes' at 'logPublishingOptions.BAD_LOGS.enabled' failed to satisfy constraint: Member must be a boolean"},
		{"advanced options", OpenSearch(), "CreateDomain",
			map[string]any{"DomainName": "dom1", "AdvancedOptions": map[string]any{"a": "1", "b": json.Number("2")}},
			"1 validation error detected: Value '2' at 'advancedOptions.b' failed to satisfy constraint: Member must be a string"},

		// Sensitive values never show.
		{"short password", OpenSearch(), "CreateDomain",
			map[string]any{"DomainName": "dom1", "AdvancedSecurityOptions": map[string]any{
				"MasterUserOptions": map[string]any{"MasterUserName": "admin", "MasterUserPassword": "secret"}}},
			"1 validation error detected: Value '*** Sensitive Data Redacted ***' at " +
				"'advancedSecurityOptions.masterUserOptions.masterUserPassword' failed to satisfy constraint: " +
				"Member must have length greater than or equal to 8"},

		// Long values are clipped.
		{"long value", OpenSearch(), "CreatePackage", createPackage("A" + strings.Repeat("b", 299)),
			"2 validation errors detected: " +
				"Value 'A" + strings.Repeat("b", 255) + "...' at 'packageName' failed to satisfy constraint: " +
				"Member must have length less than or equal to 256; " +
				"Value 'A" + strings.Repeat("b", 255) + "...' at 'packageName' failed to satisfy constraint: " + namePattern},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := tt.svc.Operation(tt.op)
			if op == nil {
				t.Fatalf("no operation %s", tt.op)
			}
			err := op.Validate(tt.input)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var e *osemu.Error
			if !errors.As(err, &e) {
				t.Fatalf("Validate = %v, want an *osemu.Error", err)
			}
			if e.Code != osemu.CodeValidation || e.Status() != http.StatusBadRequest {
				t.Errorf("code = %s (%d), want ValidationException (400)", e.Code, e.Status())
			}
			if e.Message != tt.msg {
				t.Errorf("message =\n%s\nwant\n%s", e.Message, tt.msg)
			}
		})
	}
}

// TestBindThenValidate runs requests through Route, Bind and Validate, as
// the API layer does.
func TestBindThenValidate(t *testing.T) {
	tests := []struct {
		method, target, body string
		msg                  string
	}{
		{"GET", "/2021-01-01/packages/F1/domains?maxResults=101", "",
			"1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: " +
				"Member must have value less than or equal to 100"},
		{"GET", "/2021-01-01/packages/pkg-XYZ/history", "",
			"1 validation error detected: Value 'pkg-XYZ' at 'packageID' failed to satisfy constraint: " + idPattern},
		{"DELETE", "/2021-01-01/packages/describe", "",
			"1 validation error detected: Value 'describe' at 'packageID' failed to satisfy constraint: " + idPattern},
		{"POST", "/2021-01-01/packages/describe", `{"Filters":[{"Name":"PackageName","Value":[]}],"MaxResults":101}`,
			"2 validation errors detected: " +
				"Value '[]' at 'filters.1.member.value' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				"Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"POST", "/2021-01-01/packages", `{"PackageName":"my-dict","PackageType":"TXT-DICTIONARY","PackageSource":{"S3BucketName":"bucket","S3Key":"k"}}`, ""},
		{"GET", "/2021-01-01/tags/", "",
			"1 validation error detected: Value null at 'aRN' failed to satisfy constraint: Member must not be null"},
	}
	for _, tt := range tests {
		op, in, err := bindRequest(t, OpenSearch(), tt.method, tt.target, tt.body, nil)
		if err != nil {
			t.Errorf("%s %s: Bind: %v", tt.method, tt.target, err)
			continue
		}
		err = op.Validate(in)
		got := ""
		if err != nil {
			got = err.(*osemu.Error).Message
		}
		if got != tt.msg {
			t.Errorf("%s %s: message =\n%s\nwant\n%s", tt.method, tt.target, got, tt.msg)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	op := OpenSearch().Operation("DescribePackages")
	in := map[string]any{
		"Filters": []any{
			map[string]any{"Name": "PackageName", "Value": []any{"my-dict", "other"}},
			map[string]any{"Name": "PackageType", "Value": []any{"TXT-DICTIONARY"}},
		},
		"MaxResults": json.Number("50"),
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := op.Validate(in); err != nil {
			b.Fatal(err)
		}
	}
}

// withMember returns input with one more member.
func withMember(input map[string]any, name string, value any) map[string]any {
	input[name] = value
	return input
}
