package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	"github.com/aws/aws-sdk-go-v2/service/opensearch/types"
	"github.com/aws/smithy-go"

	"github.com/osemu/osemu/internal/osemutest"
)

var ctx = context.Background()

// testEnv is a running osemu with an OpenSearch client of the default
// account in us-east-1.
type testEnv struct {
	*osemutest.Env
	os *opensearch.Client
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	e := osemutest.New(t)
	return &testEnv{Env: e, os: e.OpenSearch("AKIDEXAMPLE", "us-east-1")}
}

// mustCreateDictionary uploads content and creates an AVAILABLE dictionary
// package from it.
func (e *testEnv) mustCreateDictionary(t *testing.T, name, content string) *types.PackageDetails {
	t.Helper()
	e.PutObject("dicts", name+".txt", content)
	out, err := e.os.CreatePackage(ctx, &opensearch.CreatePackageInput{
		PackageName:   &name,
		PackageType:   types.PackageTypeTxtDictionary,
		PackageSource: &types.PackageSource{S3BucketName: ptr("dicts"), S3Key: ptr(name + ".txt")},
	})
	if err != nil {
		t.Fatalf("CreatePackage %s: %v", name, err)
	}
	e.Settle()
	return e.mustDescribePackage(t, *out.PackageDetails.PackageID)
}

func (e *testEnv) mustDescribePackage(t *testing.T, id string) *types.PackageDetails {
	t.Helper()
	out, err := e.os.DescribePackages(ctx, &opensearch.DescribePackagesInput{
		Filters: []types.DescribePackagesFilter{{Name: types.DescribePackagesFilterNamePackageID, Value: []string{id}}},
	})
	if err != nil {
		t.Fatalf("DescribePackages %s: %v", id, err)
	}
	if len(out.PackageDetailsList) != 1 {
		t.Fatalf("DescribePackages %s: got %d packages, want 1", id, len(out.PackageDetailsList))
	}
	return &out.PackageDetailsList[0]
}

func (e *testEnv) mustCreateDomain(t *testing.T, name string) {
	t.Helper()
	_, err := e.os.CreateDomain(ctx, &opensearch.CreateDomainInput{DomainName: &name})
	if err != nil {
		t.Fatalf("CreateDomain %s: %v", name, err)
	}
}

func (e *testEnv) mustAssociate(t *testing.T, id, domain string) *types.DomainPackageDetails {
	t.Helper()
	out, err := e.os.AssociatePackage(ctx, &opensearch.AssociatePackageInput{PackageID: &id, DomainName: &domain})
	if err != nil {
		t.Fatalf("AssociatePackage %s %s: %v", id, domain, err)
	}
	return out.DomainPackageDetails
}

func (e *testEnv) packagesForDomain(t *testing.T, domain string) []types.DomainPackageDetails {
	t.Helper()
	out, err := e.os.ListPackagesForDomain(ctx, &opensearch.ListPackagesForDomainInput{DomainName: &domain})
	if err != nil {
		t.Fatalf("ListPackagesForDomain %s: %v", domain, err)
	}
	return out.DomainPackageDetailsList
}

// raw sends a request signed for "es" with a dummy signature (osemu reads
// the credential scope and does not verify signatures) and returns the
// status and decoded JSON body, for checks of the wire format that the SDK
// hides: members that must be absent, numbers that must be numbers.
func (e *testEnv) raw(t *testing.T, method, path, body string) (int, http.Header, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/us-east-1/es/aws4_request, "+
		"SignedHeaders=host;x-amz-date, Signature=0000")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)

	var m map[string]any
	if len(b) > 0 {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, b)
		}
	}
	return resp.StatusCode, resp.Header, m, string(b)
}

// wantAPIError asserts that err is the AWS error code with the HTTP status,
// and that its message contains msg.
func wantAPIError(t *testing.T, err error, status int, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %d %s", status, code)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got error %v, want an API error %s", err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Errorf("got error code %s (%s), want %s", apiErr.ErrorCode(), apiErr.ErrorMessage(), code)
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() != status {
		t.Errorf("got HTTP status %d, want %d", respErr.HTTPStatusCode(), status)
	}
	if !strings.Contains(apiErr.ErrorMessage(), msg) {
		t.Errorf("got message %q, want it to contain %q", apiErr.ErrorMessage(), msg)
	}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
