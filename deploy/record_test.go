package deploy_test

import (
	"testing"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/deploy"
)

func TestRecords(t *testing.T) {
	d, _ := MustNew(t)
	scope := osemu.Scope{Account: "111111111111", Region: "us-east-1"}

	if _, ok, err := d.ReadRecord(scope, "search", "pkg-1"); ok || err != nil {
		t.Fatalf("record before any write: ok %v, err %v", ok, err)
	}
	want := deploy.Record{PackageID: "pkg-1", Type: osemu.PackageTypeLicense, Version: 3,
		Plugin: "vendor", LicensePath: "licenses/a.json"}
	if err := d.WriteRecord(scope, "search", want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := d.ReadRecord(scope, "search", "pkg-1")
	if err != nil || !ok || got != want {
		t.Fatalf("got %+v %v %v, want %+v", got, ok, err, want)
	}
	if err := d.RemoveRecord(scope, "search", "pkg-1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.ReadRecord(scope, "search", "pkg-1"); ok {
		t.Errorf("record still there after RemoveRecord")
	}
	if err := d.RemoveRecord(scope, "search", "pkg-1"); err != nil {
		t.Errorf("removing a missing record: %v", err)
	}
	if err := d.WriteRecord(scope, "search", deploy.Record{PackageID: "../x"}); err == nil {
		t.Errorf("a record with an unsafe package ID was written")
	}
}
