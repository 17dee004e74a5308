package awsmodel

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/osemu/osemu"
)

// bindRequest routes and binds a request the way the API layer does.
func bindRequest(tb testing.TB, svc *Service, method, target, body string, header http.Header) (*Operation, map[string]any, error) {
	tb.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, vs := range header {
		r.Header[k] = vs
	}
	op, labels, err := svc.Route(method, r.URL.EscapedPath())
	if err != nil {
		tb.Fatalf("Route(%s %s): %v", method, target, err)
	}
	in, err := op.Bind(r, labels, []byte(body))
	return op, in, err
}

func TestBind(t *testing.T) {
	osv := OpenSearch()
	test := mustParse(t, testModel)
	tests := []struct {
		name   string
		svc    *Service
		method string
		target string
		body   string
		header http.Header
		want   map[string]any
	}{
		{
			name: "uri label and query", svc: osv,
			method: "GET", target: "/2021-01-01/packages/F123/domains?maxResults=5&nextToken=abc%2Bd",
			want: map[string]any{"PackageID": "F123", "MaxResults": json.Number("5"), "NextToken": "abc+d"},
		},
		{
			name: "decoded label", svc: osv,
			method: "POST", target: "/2021-01-01/packages/associate/F1/my%2Ddomain",
			want: map[string]any{"PackageID": "F1", "DomainName": "my-domain"},
		},
		{
			name: "empty query value is kept", svc: osv,
			method: "GET", target: "/2021-01-01/domain/d1/packages?nextToken=",
			want: map[string]any{"DomainName": "d1", "NextToken": ""},
		},
		{
			name: "first of repeated scalar parameters", svc: osv,
			method: "GET", target: "/2021-01-01/tags/?arn=a1&arn=a2",
			want: map[string]any{"ARN": "a1"},
		},
		{
			name: "boolean query", svc: osv,
			method: "GET", target: "/2021-01-01/opensearch/domain/d1/dryRun?loadDryRunConfig=true",
			want: map[string]any{"DomainName": "d1", "LoadDryRunConfig": true},
		},
		{
			name: "list from repeated parameters", svc: osv,
			method: "GET", target: "/2021-01-01/opensearch/list-applications?statuses=ACTIVE&statuses=FAILED&maxResults=10",
			want: map[string]any{"statuses": []any{"ACTIVE", "FAILED"}, "maxResults": json.Number("10")},
		},
		{
			name: "body with nested list and structures", svc: osv,
			method: "POST", target: "/2021-01-01/packages/describe",
			body: `{"Filters":[{"Name":"PackageName","Value":["a","b"],"Unknown":1}],"MaxResults":12345678901234567890,"Bogus":true,"NextToken":null}`,
			want: map[string]any{
				"Filters":    []any{map[string]any{"Name": "PackageName", "Value": []any{"a", "b"}}},
				"MaxResults": json.Number("12345678901234567890"),
			},
		},
		{
			name: "empty body", svc: osv,
			method: "POST", target: "/2021-01-01/packages/describe", body: " \n",
			want: map[string]any{},
		},
		{
			name: "body of an operation without body members is ignored", svc: osv,
			method: "DELETE", target: "/2021-01-01/packages/F1", body: "{not json",
			want: map[string]any{"PackageID": "F1"},
		},
		{
			name: "wrong types pass through to Validate", svc: osv,
			method: "POST", target: "/2021-01-01/packages",
			body: `{"PackageName":5,"PackageSource":"s3://x"}`,
			want: map[string]any{"PackageName": json.Number("5"), "PackageSource": "s3://x"},
		},
		{
			name: "headers, header prefix map and body locationName", svc: test,
			method: "POST", target: "/2020-01-01/headers",
			body: `{"body":"hi","Body":"ignored"}`,
			header: http.Header{
				"X-Since":   {"Tue, 03 Dec 2024 10:00:00 GMT"},
				"X-Count":   {"9007199254740993"},
				"X-Tags":    {"a, b", "c"},
				"X-Meta-Aa": {"1"},
				"X-Meta-Bb": {"2", "3"},
			},
			want: map[string]any{
				"Since": json.Number("1733220000"),
				"Count": json.Number("9007199254740993"),
				"Tags":  []any{"a", "b", "c"},
				"Meta":  map[string]any{"aa": "1", "bb": "2,3"},
				"Body":  "hi",
			},
		},
		{
			name: "greedy label and querystring map", svc: test,
			method: "GET", target: "/2020-01-01/objects/b/x/y?p=1&q=2",
			want: map[string]any{
				"Bucket": "b", "Key": "x/y",
				"Extra": map[string]any{"p": "1", "q": "2"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := bindRequest(t, tt.svc, tt.method, tt.target, tt.body, tt.header)
			if err != nil {
				t.Fatalf("Bind: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Bind =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestBindErrors(t *testing.T) {
	osv := OpenSearch()
	test := mustParse(t, testModel)
	tests := []struct {
		name   string
		svc    *Service
		method string
		target string
		body   string
		header http.Header
		msg    string
	}{
		{
			name: "integer query", svc: osv,
			method: "GET", target: "/2021-01-01/packages/F1/domains?maxResults=abc",
			msg: "Value 'abc' for query parameter maxResults is invalid: expected an integer",
		},
		{
			name: "integer overflow", svc: osv,
			method: "GET", target: "/2021-01-01/packages/F1/history?maxResults=2147483648",
			msg: "Value '2147483648' for query parameter maxResults is invalid: expected an integer",
		},
		{
			name: "fraction", svc: osv,
			method: "GET", target: "/2021-01-01/domain/d1/packages?maxResults=1.5",
			msg: "Value '1.5' for query parameter maxResults is invalid: expected an integer",
		},
		{
			name: "boolean query", svc: osv,
			method: "GET", target: "/2021-01-01/opensearch/domain/d1/dryRun?loadDryRunConfig=yes",
			msg: "Value 'yes' for query parameter loadDryRunConfig is invalid: expected true or false",
		},
		{
			name: "malformed JSON", svc: osv,
			method: "POST", target: "/2021-01-01/packages/describe", body: `{"MaxResults":`,
			msg: "Could not parse request body into json: unexpected EOF",
		},
		{
			name: "trailing data", svc: osv,
			method: "POST", target: "/2021-01-01/packages/describe", body: `{} {}`,
			msg: "Could not parse request body into json: unexpected data after the JSON object",
		},
		{
			name: "not an object", svc: osv,
			method: "POST", target: "/2021-01-01/packages/describe", body: `[1]`,
			msg: "Could not parse request body into json: the body must be a JSON object",
		},
		{
			name: "header integer", svc: test,
			method: "POST", target: "/2020-01-01/headers", header: http.Header{"X-Count": {"x"}},
			msg: "Value 'x' for header X-Count is invalid: expected an integer",
		},
		{
			name: "header timestamp", svc: test,
			method: "POST", target: "/2020-01-01/headers", header: http.Header{"X-Since": {"yesterday"}},
			msg: "Value 'yesterday' for header X-Since is invalid: expected a timestamp",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := bindRequest(t, tt.svc, tt.method, tt.target, tt.body, tt.header)
			var e *osemu.Error
			if !errors.As(err, &e) {
				t.Fatalf("Bind = %v, %v; want an *osemu.Error", got, err)
			}
			if e.Code != osemu.CodeValidation || e.Status() != http.StatusBadRequest {
				t.Errorf("code = %s (%d), want ValidationException (400)", e.Code, e.Status())
			}
			if e.Message != tt.msg {
				t.Errorf("message = %q, want %q", e.Message, tt.msg)
			}
		})
	}
}

func TestBindWithoutInput(t *testing.T) {
	n := 0
	for _, op := range Elasticsearch().Operations() {
		if op.Input != nil {
			continue
		}
		n++
		got, err := op.Bind(httptest.NewRequest(op.Method, "/", nil), nil, []byte("garbage"))
		if err != nil || len(got) != 0 {
			t.Errorf("%s Bind = %v, %v; want {}, nil", op.Name, got, err)
		}
		if err := op.Validate(got); err != nil {
			t.Errorf("%s Validate: %v", op.Name, err)
		}
	}
	if n == 0 {
		t.Error("no operation without input; the test checks nothing")
	}
}

func TestServiceLookups(t *testing.T) {
	osv := OpenSearch()
	if OpenSearch() != osv {
		t.Error("OpenSearch() returned a new *Service")
	}
	if osv.APIVersion != "2021-01-01" || Elasticsearch().APIVersion != "2015-01-01" {
		t.Errorf("API versions = %s, %s", osv.APIVersion, Elasticsearch().APIVersion)
	}
	if osv.SigningName != "es" || Elasticsearch().SigningName != "es" {
		t.Errorf("signing names = %s, %s; want es", osv.SigningName, Elasticsearch().SigningName)
	}

	op := osv.Operation("DeletePackage")
	if op == nil || op.Method != "DELETE" || op.URI != "/2021-01-01/packages/{PackageID}" || op.Service() != osv {
		t.Fatalf("DeletePackage = %+v", op)
	}
	if op.Input.Name != "DeletePackageRequest" || op.Output.Name != "DeletePackageResponse" {
		t.Errorf("DeletePackage shapes = %s, %s", op.Input.Name, op.Output.Name)
	}
	wantErrs := []string{"BaseException", "InternalException", "ResourceNotFoundException",
		"AccessDeniedException", "ValidationException", "ConflictException"}
	if !reflect.DeepEqual(op.Errors, wantErrs) {
		t.Errorf("DeletePackage errors = %v, want %v", op.Errors, wantErrs)
	}
	if !op.HasError("ConflictException") || op.HasError("ThrottlingException") {
		t.Error("HasError answers wrongly")
	}
	if m := op.Input.Member("PackageID"); m == nil || m.Location != LocationURI || !m.Required {
		t.Errorf("DeletePackage PackageID member = %+v", m)
	}
	if osv.Operation("NoSuchOperation") != nil {
		t.Error("Operation(NoSuchOperation) is not nil")
	}
	if got := osv.Shape("PackageType").Enum; !reflect.DeepEqual(got,
		[]string{"TXT-DICTIONARY", "ZIP-PLUGIN", "PACKAGE-LICENSE", "PACKAGE-CONFIG"}) {
		t.Errorf("PackageType enum = %v", got)
	}
	if got := Elasticsearch().Shape("PackageType").Enum; !reflect.DeepEqual(got, []string{"TXT-DICTIONARY"}) {
		t.Errorf("legacy PackageType enum = %v", got)
	}

	ops := osv.Operations()
	for i := 1; i < len(ops); i++ {
		if ops[i-1].Name >= ops[i].Name {
			t.Fatalf("Operations not sorted: %s before %s", ops[i-1].Name, ops[i].Name)
		}
	}
}

func TestErrorStatus(t *testing.T) {
	tests := []struct {
		svc    *Service
		code   string
		status int
		ok     bool
	}{
		{OpenSearch(), "ValidationException", 400, true},
		{OpenSearch(), "BaseException", 400, true},
		{OpenSearch(), "AccessDeniedException", 403, true},
		{OpenSearch(), "ResourceNotFoundException", 409, true},
		{OpenSearch(), "ResourceAlreadyExistsException", 409, true},
		{OpenSearch(), "ConflictException", 409, true},
		{OpenSearch(), "LimitExceededException", 409, true},
		{OpenSearch(), "DependencyFailureException", 424, true},
		{OpenSearch(), "ThrottlingException", 429, true},
		{OpenSearch(), "ServiceQuotaExceededException", 402, true},
		{OpenSearch(), "InternalException", 500, true},
		{OpenSearch(), "NoSuchException", 0, false},
		{Elasticsearch(), "ResourceNotFoundException", 409, true},
		{Elasticsearch(), "ThrottlingException", 0, false},
		{mustParse(t, testModel), "NoSuchThing", 404, true},
		{mustParse(t, testModel), "Plain", 400, true},
	}
	for _, tt := range tests {
		st, ok := tt.svc.ErrorStatus(tt.code)
		if st != tt.status || ok != tt.ok {
			t.Errorf("%s ErrorStatus(%s) = %d, %v; want %d, %v", tt.svc.APIVersion, tt.code, st, ok, tt.status, tt.ok)
		}
	}

	// The domain's code-to-status table must agree with the model.
	for _, code := range []string{osemu.CodeValidation, osemu.CodeBase, osemu.CodeAccessDenied,
		osemu.CodeInternal, osemu.CodeResourceNotFound, osemu.CodeResourceAlreadyExists,
		osemu.CodeConflict, osemu.CodeLimitExceeded, osemu.CodeInvalidType,
		osemu.CodeDisabledOperation, osemu.CodeDependencyFailure, osemu.CodeThrottling,
		osemu.CodeInvalidPaginationTok} {
		st, ok := OpenSearch().ErrorStatus(code)
		if !ok {
			t.Errorf("%s is not an error of the model", code)
		}
		if got := osemu.StatusOf(code); got != st {
			t.Errorf("osemu.StatusOf(%s) = %d, model says %d", code, got, st)
		}
	}
	if got := mustParse(t, testModel).Operation("Headers").Errors; !reflect.DeepEqual(got, []string{"NoSuchThing", "Plain"}) {
		t.Errorf("Headers errors = %v", got)
	}
}
