// Package storetest is the conformance suite of osemu.Store: the behaviour
// that every storage engine must show, whatever it is built on. Each
// engine's tests call Run with a function that opens a fresh, empty store.
//
// The suite gives the store times truncated to milliseconds, the precision
// AWS keeps, and expects them back exactly, in UTC. It accepts that an
// empty slice or map comes back nil.
package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/osemu/osemu"
)

// Run runs the conformance suite. open returns a new empty store, which it
// closes when t ends (with t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) osemu.Store) {
	areas := []struct {
		name string
		test func(*testing.T, osemu.Store)
	}{
		{"Packages", testPackages},
		{"FindPackages", testFindPackages},
		{"PackagePages", testPackagePages},
		{"VisiblePackages", testVisiblePackages},
		{"Sharing", testSharing},
		{"VisiblePages", testVisiblePages},
		{"CountPackages", testCountPackages},
		{"PackageVersions", testPackageVersions},
		{"Domains", testDomains},
		{"Tags", testTags},
		{"Associations", testAssociations},
		{"AssociationPages", testAssociationPages},
		{"Steps", testSteps},
		{"StepLeases", testStepLeases},
		{"RenewLease", testRenewLease},
		{"ConcurrentClaims", testConcurrentClaims},
		{"NextStepDue", testNextStepDue},
		{"Rollback", testRollback},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"Canceled", testCanceled},
		{"Blobs", testBlobs},
		{"Buckets", testBuckets},
		{"Objects", testObjects},
		{"ObjectOrder", testObjectOrder},
		{"Uploads", testUploads},
		{"UploadOrder", testUploadOrder},
		{"PartOrder", testPartOrder},
		{"Meta", testMeta},
	}
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) { a.test(t, open(t)) })
	}
}

// Scopes that the tests spread rows over: A and B differ by account, A and
// C by region.
var (
	scopeA = osemu.Scope{Account: "111111111111", Region: "us-east-1"}
	scopeB = osemu.Scope{Account: "222222222222", Region: "us-east-1"}
	scopeC = osemu.Scope{Account: "111111111111", Region: "eu-west-1"}
)

// t0 is the time the tests start from, in milliseconds as AWS keeps them.
var t0 = time.Date(2024, 12, 4, 15, 47, 6, 123_000_000, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// update runs fn in s.Update and fails the test on an error.
func update(t testing.TB, s osemu.Store, fn func(osemu.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in s.View and fails the test on an error.
func view(t testing.TB, s osemu.Store, fn func(osemu.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// must fails the test if err is not nil.
func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErr fails the test unless err is target.
func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// equal fails the test unless got and want are deeply equal, and shows
// both as JSON, which prints pointers' values rather than addresses.
func equal[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// boolp and int64p return pointers, for the optional members.
func boolp(b bool) *bool    { return &b }
func int64p(n int64) *int64 { return &n }
