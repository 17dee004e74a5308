package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/osemu/osemu"
)

func domain(scope osemu.Scope, name string) *osemu.Domain {
	return &osemu.Domain{
		Scope:         scope,
		Name:          name,
		EngineVersion: "OpenSearch_2.11",
		State:         osemu.DomainActive,
		Config: json.RawMessage(
			`{"ClusterConfig":{"InstanceCount":2,"InstanceType":"r6g.large.search"}}`),
		Endpoint:  "search-" + name + ".us-east-1.es.amazonaws.com",
		ChangeID:  "change-1",
		CreatedAt: at(0),
		UpdatedAt: at(time.Second),
	}
}

// equalDomain compares domains, their Config as JSON values: an engine may
// store it as a JSON type that reformats it.
func equalDomain(t *testing.T, what string, got, want *osemu.Domain) {
	t.Helper()
	if got == nil || want == nil {
		equal(t, what, got, want)
		return
	}
	if !sameJSON(got.Config, want.Config) {
		t.Errorf("%s: Config: got %s, want %s", what, got.Config, want.Config)
	}
	g, w := *got, *want
	g.Config, w.Config = nil, nil
	equal(t, what, &g, &w)
}

func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func testDomains(t *testing.T, s osemu.Store) {
	d1 := domain(scopeA, "search")
	bare := &osemu.Domain{Scope: scopeA, Name: "bare", State: osemu.DomainCreating}
	update(t, s, func(tx osemu.Tx) error {
		must(t, "InsertDomain", tx.InsertDomain(d1))
		must(t, "InsertDomain", tx.InsertDomain(bare))
		must(t, "InsertDomain", tx.InsertDomain(domain(scopeB, "search")))
		must(t, "InsertDomain", tx.InsertDomain(domain(scopeC, "search")))
		return tx.InsertDomain(domain(scopeA, "alpha"))
	})
	err := s.Update(t.Context(), func(tx osemu.Tx) error {
		return tx.InsertDomain(domain(scopeA, "search"))
	})
	wantErr(t, "InsertDomain twice", err, osemu.ErrExists)

	view(t, s, func(tx osemu.Tx) error {
		for _, want := range []*osemu.Domain{d1, bare} {
			got, err := tx.GetDomain(scopeA, want.Name)
			must(t, "GetDomain", err)
			equalDomain(t, "GetDomain "+want.Name, got, want)
		}
		_, err := tx.GetDomain(osemu.Scope{Account: scopeA.Account, Region: "ap-south-1"}, "search")
		wantErr(t, "GetDomain in another region", err, osemu.ErrNotFound)

		ds, err := tx.ListDomains(scopeA)
		must(t, "ListDomains", err)
		var names []string
		for _, d := range ds {
			names = append(names, d.Name)
		}
		if want := []string{"alpha", "bare", "search"}; !slices.Equal(names, want) {
			t.Errorf("ListDomains: got %q, want %q", names, want)
		}
		equalDomain(t, "listed domain", ds[2], d1)
		return nil
	})

	// UpdateDomain keeps the scope, name and CreatedAt.
	changed := *d1
	changed.EngineVersion = "OpenSearch_2.13"
	changed.State = osemu.DomainDeleting
	changed.Config = json.RawMessage(`{"EBSOptions":{"EBSEnabled":true}}`)
	changed.Endpoint = ""
	changed.ChangeID = "change-2"
	changed.CreatedAt = at(time.Hour)
	changed.UpdatedAt = at(2 * time.Hour)
	update(t, s, func(tx osemu.Tx) error { return tx.UpdateDomain(&changed) })
	want := changed
	want.CreatedAt = d1.CreatedAt
	view(t, s, func(tx osemu.Tx) error {
		got, err := tx.GetDomain(scopeA, "search")
		must(t, "GetDomain", err)
		equalDomain(t, "after UpdateDomain", got, &want)
		other, err := tx.GetDomain(scopeB, "search")
		must(t, "GetDomain", err)
		equalDomain(t, "same name in another scope", other, domain(scopeB, "search"))
		return nil
	})

	err = s.Update(t.Context(), func(tx osemu.Tx) error { return tx.UpdateDomain(domain(scopeA, "nope")) })
	wantErr(t, "UpdateDomain missing", err, osemu.ErrNotFound)

	update(t, s, func(tx osemu.Tx) error { return tx.DeleteDomain(scopeA, "search") })
	err = s.Update(t.Context(), func(tx osemu.Tx) error { return tx.DeleteDomain(scopeA, "search") })
	wantErr(t, "DeleteDomain missing", err, osemu.ErrNotFound)
	view(t, s, func(tx osemu.Tx) error {
		_, err := tx.GetDomain(scopeA, "search")
		wantErr(t, "GetDomain deleted", err, osemu.ErrNotFound)
		_, err = tx.GetDomain(scopeC, "search")
		must(t, "GetDomain in another region", err)
		return nil
	})
}

func testTags(t *testing.T, s osemu.Store) {
	arn := osemu.DomainARN(scopeA, "search")
	other := osemu.DomainARN(scopeB, "search")
	list := func(arn string) (tags []osemu.Tag) {
		view(t, s, func(tx osemu.Tx) (err error) {
			tags, err = tx.ListTags(arn)
			return err
		})
		return tags
	}

	if got := list(arn); len(got) != 0 {
		t.Errorf("ListTags of an untagged ARN: got %v", got)
	}
	update(t, s, func(tx osemu.Tx) error {
		must(t, "PutTags", tx.PutTags(other, []osemu.Tag{{Key: "env", Value: "other"}}))
		return tx.PutTags(arn, []osemu.Tag{
			{Key: "team", Value: "a"}, {Key: "env", Value: "dev"}, {Key: "z", Value: ""},
		})
	})
	update(t, s, func(tx osemu.Tx) error {
		return tx.PutTags(arn, []osemu.Tag{{Key: "env", Value: "prod"}, {Key: "cost", Value: "1"}})
	})
	equal(t, "ListTags", list(arn), []osemu.Tag{
		{Key: "cost", Value: "1"}, {Key: "env", Value: "prod"},
		{Key: "team", Value: "a"}, {Key: "z", Value: ""},
	})

	update(t, s, func(tx osemu.Tx) error { return tx.DeleteTags(arn, []string{"env", "missing", "z"}) })
	equal(t, "after DeleteTags", list(arn),
		[]osemu.Tag{{Key: "cost", Value: "1"}, {Key: "team", Value: "a"}})

	update(t, s, func(tx osemu.Tx) error { return tx.DeleteTags(arn, nil) })
	if got := list(arn); len(got) != 0 {
		t.Errorf("after DeleteTags of every key: got %v", got)
	}
	equal(t, "another ARN's tags", list(other), []osemu.Tag{{Key: "env", Value: "other"}})
}

func association(scope osemu.Scope, domainName, packageID string) *osemu.Association {
	return &osemu.Association{
		Scope:       scope,
		DomainName:  domainName,
		PackageID:   packageID,
		PackageName: "name-" + packageID,
		PackageType: osemu.PackageTypeTxtDictionary,
		Status:      osemu.AssocActive,
		Version:     1,
		UpdatedAt:   at(0),
	}
}

func testAssociations(t *testing.T, s osemu.Store) {
	full := association(scopeA, "search", "pkg-1")
	full.PackageType = osemu.PackageTypeZipPlugin
	full.Status = osemu.AssocAssociationFailed
	full.Version = 2
	full.Prerequisites = []string{"pkg-0", "pkg-9"}
	full.Configuration = &osemu.AssociationConfiguration{
		KeyStoreAccessOption: &osemu.KeyStoreAccessOption{
			KeyAccessRoleArn:      "arn:aws:iam::1:role/r",
			KeyStoreAccessEnabled: true,
		},
	}
	full.ErrorDetails = &osemu.ErrorDetails{ErrorType: "X", ErrorMessage: "failed"}
	bare := association(scopeA, "search", "F1")

	update(t, s, func(tx osemu.Tx) error {
		must(t, "PutAssociation", tx.PutAssociation(full))
		must(t, "PutAssociation", tx.PutAssociation(bare))
		must(t, "PutAssociation", tx.PutAssociation(association(scopeA, "logs", "F1")))
		must(t, "PutAssociation", tx.PutAssociation(association(scopeB, "search", "F1")))
		return tx.PutAssociation(association(scopeC, "search", "F1"))
	})
	view(t, s, func(tx osemu.Tx) error {
		for _, want := range []*osemu.Association{full, bare} {
			got, err := tx.GetAssociation(scopeA, "search", want.PackageID)
			must(t, "GetAssociation", err)
			equal(t, "GetAssociation "+want.PackageID, got, want)
		}
		_, err := tx.GetAssociation(scopeA, "logs", "pkg-1")
		wantErr(t, "GetAssociation missing", err, osemu.ErrNotFound)
		return nil
	})

	// Putting again replaces every field.
	replaced := association(scopeA, "search", "pkg-1")
	replaced.Status = osemu.AssocDissociating
	replaced.Version = 3
	replaced.UpdatedAt = at(time.Hour)
	update(t, s, func(tx osemu.Tx) error { return tx.PutAssociation(replaced) })
	view(t, s, func(tx osemu.Tx) error {
		got, err := tx.GetAssociation(scopeA, "search", "pkg-1")
		must(t, "GetAssociation", err)
		equal(t, "after a second PutAssociation", got, replaced)

		count := []struct {
			name string
			got  func() (int, error)
			want int
		}{
			{"package F1 in every scope", func() (int, error) { return tx.CountPackageAssociations("F1") }, 4},
			{"package pkg-1", func() (int, error) { return tx.CountPackageAssociations("pkg-1") }, 1},
			{"package F404", func() (int, error) { return tx.CountPackageAssociations("F404") }, 0},
			{"domain search", func() (int, error) { return tx.CountDomainAssociations(scopeA, "search") }, 2},
			{"domain logs", func() (int, error) { return tx.CountDomainAssociations(scopeA, "logs") }, 1},
			{"domain search of B", func() (int, error) { return tx.CountDomainAssociations(scopeB, "search") }, 1},
			{"domain nope", func() (int, error) { return tx.CountDomainAssociations(scopeA, "nope") }, 0},
		}
		for _, c := range count {
			n, err := c.got()
			must(t, "count "+c.name, err)
			if n != c.want {
				t.Errorf("count %s: got %d, want %d", c.name, n, c.want)
			}
		}
		return nil
	})

	update(t, s, func(tx osemu.Tx) error { return tx.DeleteAssociation(scopeA, "search", "F1") })
	err := s.Update(t.Context(), func(tx osemu.Tx) error {
		return tx.DeleteAssociation(scopeA, "search", "F1")
	})
	wantErr(t, "DeleteAssociation missing", err, osemu.ErrNotFound)
	view(t, s, func(tx osemu.Tx) error {
		_, err := tx.GetAssociation(scopeA, "search", "F1")
		wantErr(t, "GetAssociation deleted", err, osemu.ErrNotFound)
		n, err := tx.CountPackageAssociations("F1")
		must(t, "CountPackageAssociations", err)
		if n != 3 {
			t.Errorf("CountPackageAssociations after delete: got %d, want 3", n)
		}
		return nil
	})
}

// testAssociationPages lists associations both ways, in pages, with rows
// of other scopes, packages and domains around.
func testAssociationPages(t *testing.T, s osemu.Store) {
	update(t, s, func(tx osemu.Tx) error {
		for i := range 12 {
			for _, sc := range []osemu.Scope{scopeA, scopeB, scopeC} {
				// Package F1 on 12 domains; domain d05 has 12 packages.
				must(t, "PutAssociation", tx.PutAssociation(association(sc, fmt.Sprintf("d%02d", i), "F1")))
				must(t, "PutAssociation", tx.PutAssociation(association(sc, "d05", fmt.Sprintf("F2%02d", i))))
				must(t, "PutAssociation", tx.PutAssociation(association(sc, fmt.Sprintf("d%02d", i), "F9")))
			}
		}
		return nil
	})

	type lister func(tx osemu.Tx, after string, limit int) ([]*osemu.Association, error)
	walk := func(list lister, key func(*osemu.Association) string, size int) (keys []string) {
		after := ""
		for range 100 {
			var page []*osemu.Association
			view(t, s, func(tx osemu.Tx) (err error) {
				page, err = list(tx, after, size)
				return err
			})
			if len(page) > size && size > 0 {
				t.Fatalf("page of %d, want at most %d", len(page), size)
			}
			for _, a := range page {
				if a.Scope != scopeA {
					t.Errorf("association of scope %v listed", a.Scope)
				}
				keys = append(keys, key(a))
			}
			if len(page) < size || size == 0 {
				return keys
			}
			after = keys[len(keys)-1]
		}
		t.Fatal("pagination does not end")
		return nil
	}

	byPackage := func(tx osemu.Tx, after string, limit int) ([]*osemu.Association, error) {
		return tx.ListAssociationsByPackage(scopeA, "F1", after, limit)
	}
	byDomain := func(tx osemu.Tx, after string, limit int) ([]*osemu.Association, error) {
		return tx.ListAssociationsByDomain(scopeA, "d05", after, limit)
	}
	domainOf := func(a *osemu.Association) string { return a.DomainName }
	packageOf := func(a *osemu.Association) string { return a.PackageID }

	var wantDomains, wantPackages []string
	for i := range 12 {
		wantDomains = append(wantDomains, fmt.Sprintf("d%02d", i))
	}
	wantPackages = []string{"F1"}
	for i := range 12 {
		wantPackages = append(wantPackages, fmt.Sprintf("F2%02d", i))
	}
	wantPackages = append(wantPackages, "F9")

	for _, size := range []int{0, 1, 5, 12, 100} {
		if got := walk(byPackage, domainOf, size); !slices.Equal(got, wantDomains) {
			t.Errorf("ListAssociationsByPackage in pages of %d: got %q, want %q", size, got, wantDomains)
		}
		if got := walk(byDomain, packageOf, size); !slices.Equal(got, wantPackages) {
			t.Errorf("ListAssociationsByDomain in pages of %d: got %q, want %q", size, got, wantPackages)
		}
	}

	// A page starts strictly after the key given, even a key that is gone.
	view(t, s, func(tx osemu.Tx) error {
		as, err := tx.ListAssociationsByPackage(scopeA, "F1", "d03x", 2)
		must(t, "ListAssociationsByPackage", err)
		if got := packageDomains(as); !slices.Equal(got, []string{"d04", "d05"}) {
			t.Errorf("ListAssociationsByPackage after d03x: got %q", got)
		}
		as, err = tx.ListAssociationsByPackage(osemu.Scope{Account: "9", Region: "x"}, "F1", "", 10)
		must(t, "ListAssociationsByPackage", err)
		if len(as) != 0 {
			t.Errorf("ListAssociationsByPackage of an empty scope: got %d", len(as))
		}
		return nil
	})
}

func packageDomains(as []*osemu.Association) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.DomainName)
	}
	return out
}
