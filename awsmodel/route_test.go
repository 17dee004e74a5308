package awsmodel

import (
	"errors"
	"maps"
	"net/http"
	"strings"
	"testing"
)

// services lists both APIs for tests that cover every operation.
var services = []struct {
	name string
	svc  func() *Service
}{
	{"opensearch", OpenSearch},
	{"elasticsearch", Elasticsearch},
}

// concretePath fills a requestUri template with sample label values and
// returns the path and the labels Route must report. Values carry
// characters that need escaping, to prove labels are decoded.
func concretePath(tb testing.TB, uri string) (string, map[string]string) {
	tb.Helper()
	want := map[string]string{}
	segs := strings.Split(templatePath(uri), "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		name := strings.Trim(seg, "{}+")
		if strings.HasSuffix(seg, "+}") {
			want[name] = "deep/" + name + " x"
			segs[i] = "deep/" + name + "%20x"
			continue
		}
		want[name] = name + " v/1"
		segs[i] = name + "%20v%2F1"
	}
	return strings.Join(segs, "/"), want
}

func TestRouteEveryOperation(t *testing.T) {
	for _, tc := range services {
		t.Run(tc.name, func(t *testing.T) {
			svc := tc.svc()
			if len(svc.Operations()) == 0 {
				t.Fatal("no operations")
			}
			for _, op := range svc.Operations() {
				path, want := concretePath(t, op.URI)
				base := strings.TrimSuffix(path, "/")
				for _, p := range []string{base, base + "/"} {
					got, labels, err := svc.Route(op.Method, p)
					if err != nil {
						t.Errorf("Route(%s %s) for %s: %v", op.Method, p, op.Name, err)
						continue
					}
					if got != op {
						t.Errorf("Route(%s %s) = %s, want %s", op.Method, p, got.Name, op.Name)
					}
					if len(want) == 0 && labels != nil {
						t.Errorf("Route(%s %s) labels = %v, want nil", op.Method, p, labels)
					}
					if len(want) > 0 && !maps.Equal(labels, want) {
						t.Errorf("Route(%s %s) labels = %v, want %v", op.Method, p, labels, want)
					}
				}
			}
		})
	}
}

func TestRoute(t *testing.T) {
	osv := OpenSearch()
	esv := Elasticsearch()
	tests := []struct {
		name   string
		svc    *Service
		method string
		path   string
		op     string
		labels map[string]string
		err    error
	}{
		{"literal beats label, POST", osv, "POST", "/2021-01-01/packages/describe", "DescribePackages", nil, nil},
		{"label when literal lacks the method", osv, "DELETE", "/2021-01-01/packages/describe",
			"DeletePackage", map[string]string{"PackageID": "describe"}, nil},
		{"label", osv, "DELETE", "/2021-01-01/packages/F123", "DeletePackage",
			map[string]string{"PackageID": "F123"}, nil},
		{"history", osv, "GET", "/2021-01-01/packages/F1/history", "GetPackageVersionHistory",
			map[string]string{"PackageID": "F1"}, nil},
		{"domains", osv, "GET", "/2021-01-01/packages/F1/domains", "ListDomainsForPackage",
			map[string]string{"PackageID": "F1"}, nil},
		{"two labels", osv, "POST", "/2021-01-01/packages/associate/F1/my-domain", "AssociatePackage",
			map[string]string{"PackageID": "F1", "DomainName": "my-domain"}, nil},
		{"literal update", osv, "POST", "/2021-01-01/packages/update", "UpdatePackage", nil, nil},
		{"literal associateMultiple", osv, "POST", "/2021-01-01/packages/associateMultiple", "AssociatePackages", nil, nil},
		{"list tags with slash", osv, "GET", "/2021-01-01/tags/", "ListTags", nil, nil},
		{"list tags without slash", osv, "GET", "/2021-01-01/tags", "ListTags", nil, nil},
		{"add tags", osv, "POST", "/2021-01-01/tags", "AddTags", nil, nil},
		{"add tags with slash", osv, "POST", "/2021-01-01/tags/", "AddTags", nil, nil},
		{"tags-removal", osv, "POST", "/2021-01-01/tags-removal", "RemoveTags", nil, nil},
		{"domain vs domain-info", osv, "POST", "/2021-01-01/opensearch/domain-info", "DescribeDomains", nil, nil},
		{"domain config", osv, "GET", "/2021-01-01/opensearch/domain/my-domain/config", "DescribeDomainConfig",
			map[string]string{"DomainName": "my-domain"}, nil},
		{"different label names at one position", osv, "GET",
			"/2021-01-01/opensearch/application/app-1/capability/cap-1", "GetCapability",
			map[string]string{"ApplicationId": "app-1", "CapabilityName": "cap-1"}, nil},
		{"sibling label name", osv, "GET", "/2021-01-01/opensearch/application/app-1", "GetApplication",
			map[string]string{"id": "app-1"}, nil},
		{"percent-encoded label", osv, "DELETE", "/2021-01-01/packages/F1%2F2%20x", "DeletePackage",
			map[string]string{"PackageID": "F1/2 x"}, nil},
		{"plus stays a plus", osv, "DELETE", "/2021-01-01/packages/a+b", "DeletePackage",
			map[string]string{"PackageID": "a+b"}, nil},
		{"percent-encoded literal", osv, "POST", "/2021-01-01/packages/d%65scribe", "DescribePackages", nil, nil},
		{"legacy list domains", esv, "GET", "/2015-01-01/domain", "ListDomainNames", nil, nil},
		{"legacy domain", esv, "GET", "/2015-01-01/es/domain/d1", "DescribeElasticsearchDomain",
			map[string]string{"DomainName": "d1"}, nil},
		{"legacy package", esv, "DELETE", "/2015-01-01/packages/F1", "DeletePackage",
			map[string]string{"PackageID": "F1"}, nil},

		{"method mismatch on literal and label", osv, "GET", "/2021-01-01/packages/describe", "", nil, ErrMethodNotAllowed},
		{"method mismatch", osv, "PUT", "/2021-01-01/packages", "", nil, ErrMethodNotAllowed},
		{"method mismatch on tags", osv, "DELETE", "/2021-01-01/tags/", "", nil, ErrMethodNotAllowed},
		{"unknown path", osv, "GET", "/2021-01-01/nothing", "", nil, ErrNoRoute},
		{"too deep", osv, "GET", "/2021-01-01/packages/F1/history/more", "", nil, ErrNoRoute},
		{"other version", osv, "GET", "/2015-01-01/domain", "", nil, ErrNoRoute},
		{"root", osv, "GET", "/", "", nil, ErrNoRoute},
		{"empty", osv, "GET", "", "", nil, ErrNoRoute},
		{"relative", osv, "GET", "2021-01-01/domain", "", nil, ErrNoRoute},
		{"empty label segment", osv, "DELETE", "/2021-01-01/packages//", "", nil, ErrNoRoute},
		{"double slash", osv, "GET", "/2021-01-01//domain", "", nil, ErrNoRoute},
		{"very deep", osv, "GET", "/" + strings.Repeat("a/", 100), "", nil, ErrNoRoute},
		{"bad escape in label", osv, "DELETE", "/2021-01-01/packages/F%zz", "", nil, ErrNoRoute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, labels, err := tt.svc.Route(tt.method, tt.path)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Route(%s %s) error = %v, want %v", tt.method, tt.path, err, tt.err)
				}
				if op != nil {
					t.Errorf("Route(%s %s) op = %s, want nil", tt.method, tt.path, op.Name)
				}
				return
			}
			if err != nil {
				t.Fatalf("Route(%s %s): %v", tt.method, tt.path, err)
			}
			if op.Name != tt.op {
				t.Errorf("Route(%s %s) = %s, want %s", tt.method, tt.path, op.Name, tt.op)
			}
			if !maps.Equal(labels, tt.labels) {
				t.Errorf("Route(%s %s) labels = %v, want %v", tt.method, tt.path, labels, tt.labels)
			}
		})
	}
}

// testModel is a synthetic model with the features the botocore models do
// not use today: a query part in a requestUri, greedy labels and header
// members.
const testModel = `{
 "metadata": {"apiVersion": "2020-01-01", "endpointPrefix": "test", "serviceId": "Test"},
 "operations": [
  {"name": "GetObject", "method": "GET", "requestUri": "/2020-01-01/objects/{Bucket}/{Key+}", "input": "ObjectRequest"},
  {"name": "ListObjects", "method": "GET", "requestUri": "/2020-01-01/objects/{Bucket}"},
  {"name": "GetObjectMeta", "method": "GET", "requestUri": "/2020-01-01/objects/{Bucket}/meta"},
  {"name": "Ping", "method": "GET", "requestUri": "/2020-01-01/ping?mode=fast", "responseCode": 204},
  {"name": "Headers", "method": "POST", "requestUri": "/2020-01-01/headers", "input": "HeadersRequest",
   "errors": ["NotFound", "Plain"]}
 ],
 "shapes": {
  "ObjectRequest": {"type": "structure", "required": ["Bucket", "Key"], "members": [
   {"name": "Bucket", "shape": "Str", "location": "uri", "locationName": "Bucket"},
   {"name": "Key", "shape": "Str", "location": "uri", "locationName": "Key"},
   {"name": "Extra", "shape": "StrMap", "location": "querystring"}
  ]},
  "HeadersRequest": {"type": "structure", "members": [
   {"name": "Since", "shape": "Time", "location": "header", "locationName": "X-Since"},
   {"name": "Count", "shape": "Long", "location": "header", "locationName": "X-Count"},
   {"name": "Tags", "shape": "StrList", "location": "header", "locationName": "X-Tags"},
   {"name": "Meta", "shape": "StrMap", "location": "headers", "locationName": "X-Meta-"},
   {"name": "Body", "shape": "Str", "locationName": "body"}
  ]},
  "Str": {"type": "string"},
  "Long": {"type": "long"},
  "Time": {"type": "timestamp"},
  "StrList": {"type": "list", "member": "Str"},
  "StrMap": {"type": "map", "key": "Str", "value": "Str"},
  "NotFound": {"type": "structure", "exception": true, "error": {"code": "NoSuchThing", "httpStatusCode": 404}},
  "Plain": {"type": "structure", "exception": true}
 }
}`

func mustParse(tb testing.TB, model string) *Service {
	tb.Helper()
	s, err := parse([]byte(model))
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return s
}

func TestRouteGreedyAndQueryTemplates(t *testing.T) {
	svc := mustParse(t, testModel)
	tests := []struct {
		method, path string
		op           string
		labels       map[string]string
		err          error
	}{
		{"GET", "/2020-01-01/objects/b1", "ListObjects", map[string]string{"Bucket": "b1"}, nil},
		{"GET", "/2020-01-01/objects/b1/meta", "GetObjectMeta", map[string]string{"Bucket": "b1"}, nil},
		{"GET", "/2020-01-01/objects/b1/k", "GetObject", map[string]string{"Bucket": "b1", "Key": "k"}, nil},
		{"GET", "/2020-01-01/objects/b1/a/b%2Fc/d%20e", "GetObject",
			map[string]string{"Bucket": "b1", "Key": "a/b/c/d e"}, nil},
		{"GET", "/2020-01-01/objects/b1/meta/x", "GetObject",
			map[string]string{"Bucket": "b1", "Key": "meta/x"}, nil},
		{"GET", "/2020-01-01/ping", "Ping", nil, nil},
		{"GET", "/2020-01-01/ping/", "Ping", nil, nil},
		{"PUT", "/2020-01-01/objects/b1/a/b", "", nil, ErrMethodNotAllowed},
		{"GET", "/2020-01-01/nothing", "", nil, ErrNoRoute},
	}
	for _, tt := range tests {
		op, labels, err := svc.Route(tt.method, tt.path)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Route(%s %s) error = %v, want %v", tt.method, tt.path, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Route(%s %s): %v", tt.method, tt.path, err)
			continue
		}
		if op.Name != tt.op || !maps.Equal(labels, tt.labels) {
			t.Errorf("Route(%s %s) = %s %v, want %s %v", tt.method, tt.path, op.Name, labels, tt.op, tt.labels)
		}
	}

	if got := svc.Operation("Ping").ResponseCode; got != 204 {
		t.Errorf("Ping ResponseCode = %d, want 204", got)
	}
	if got := svc.Operation("ListObjects").ResponseCode; got != http.StatusOK {
		t.Errorf("ListObjects ResponseCode = %d, want 200", got)
	}
}

func TestParseRejectsBadModels(t *testing.T) {
	tests := []struct {
		name, model string
	}{
		{"duplicate route", `{"operations": [
			{"name": "A", "method": "GET", "requestUri": "/x/{A}"},
			{"name": "B", "method": "GET", "requestUri": "/x/{B}/"}], "shapes": {}}`},
		{"label inside segment", `{"operations": [
			{"name": "A", "method": "GET", "requestUri": "/x/{A}.json"}], "shapes": {}}`},
		{"greedy not last", `{"operations": [
			{"name": "A", "method": "GET", "requestUri": "/x/{A+}/y"}], "shapes": {}}`},
		{"unknown shape", `{"operations": [
			{"name": "A", "method": "GET", "requestUri": "/x", "input": "Nope"}], "shapes": {}}`},
		{"pattern without matcher", `{"operations": [], "shapes": {
			"S": {"type": "string", "pattern": "(?<=a)b"}}}`},
	}
	for _, tt := range tests {
		if _, err := parse([]byte(tt.model)); err == nil {
			t.Errorf("%s: parse succeeded, want an error", tt.name)
		}
	}
}

func BenchmarkRoute(b *testing.B) {
	svc := OpenSearch()
	paths := []struct{ method, path string }{
		{"POST", "/2021-01-01/packages/describe"},
		{"GET", "/2021-01-01/packages/F123/history"},
		{"GET", "/2021-01-01/domain/my-domain/packages"},
		{"POST", "/2021-01-01/packages/associate/pkg-0123456789abcdef/my-domain"},
		{"GET", "/2021-01-01/tags/"},
		{"GET", "/2021-01-01/opensearch/domain/my-domain/config"},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := paths[i%len(paths)]
		if _, _, err := svc.Route(p.method, p.path); err != nil {
			b.Fatal(err)
		}
	}
}
