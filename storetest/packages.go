package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/osemu/osemu"
)

// fullPackage returns a package with every field set, so that a round trip
// checks every column.
func fullPackage(id string, scope osemu.Scope, name string) *osemu.Package {
	return &osemu.Package{
		ID:            id,
		Scope:         scope,
		Name:          name,
		Type:          osemu.PackageTypeZipPlugin,
		Description:   "a plugin",
		Status:        osemu.PackageValidationFailed,
		ErrorDetails:  &osemu.ErrorDetails{ErrorType: "ValidationError", ErrorMessage: "bad zip"},
		EngineVersion: "OpenSearch_2.11",
		Version:       3,
		Configuration: &osemu.PackageConfiguration{
			LicenseRequirement:                    "REQUIRED",
			LicenseFilepath:                       "license.json",
			ConfigurationRequirement:              "OPTIONAL",
			RequiresRestartForConfigurationUpdate: boolp(false),
		},
		PluginProperties: &osemu.PluginProperties{
			Name:                    "my-plugin",
			Description:             "does things",
			Version:                 "1.2.3",
			ClassName:               "org.example.Plugin",
			UncompressedSizeInBytes: int64p(0),
		},
		VendingOptions: &osemu.PackageVendingOptions{VendingEnabled: true},
		EncryptionOptions: &osemu.PackageEncryptionOptions{
			KmsKeyIdentifier:  "alias/k",
			EncryptionEnabled: true,
		},
		AllowList: []string{"333333333333", "GLOBAL"},
		Pending: &osemu.PendingImport{
			Source:        osemu.S3Location{Bucket: "b", Key: "k/plugin.zip"},
			CommitMessage: "second try",
			Configuration: &osemu.PackageConfiguration{
				LicenseRequirement:       "NONE",
				ConfigurationRequirement: "NONE",
			},
			Blob: &osemu.BlobRef{ID: "blob1", Size: 42, SHA256: "aa", MD5: "bb"},
		},
		CreatedAt: at(0),
		UpdatedAt: at(time.Minute),
	}
}

// dictionary returns a package with no optional field set.
func dictionary(id string, scope osemu.Scope, name string) *osemu.Package {
	return &osemu.Package{
		ID:        id,
		Scope:     scope,
		Name:      name,
		Type:      osemu.PackageTypeTxtDictionary,
		Status:    osemu.PackageAvailable,
		CreatedAt: at(0),
		UpdatedAt: at(0),
	}
}

func insertPackages(t *testing.T, s osemu.Store, ps ...*osemu.Package) {
	t.Helper()
	update(t, s, func(tx osemu.Tx) error {
		for _, p := range ps {
			if err := tx.InsertPackage(p); err != nil {
				return err
			}
		}
		return nil
	})
}

func getPackage(t *testing.T, s osemu.Store, id string) (p *osemu.Package, err error) {
	t.Helper()
	view(t, s, func(tx osemu.Tx) error {
		p, err = tx.GetPackage(id)
		return nil
	})
	return p, err
}

func testPackages(t *testing.T, s osemu.Store) {
	full := fullPackage("pkg-1", scopeA, "plugin")
	bare := dictionary("F1", scopeA, "dict")
	insertPackages(t, s, full, bare)
	if full.Seq <= 0 || bare.Seq <= full.Seq {
		t.Fatalf("Seq: got %d then %d, want positive and increasing", full.Seq, bare.Seq)
	}

	// Every field round-trips, and absent optional ones stay absent.
	for _, want := range []*osemu.Package{full, bare} {
		got, err := getPackage(t, s, want.ID)
		must(t, "GetPackage", err)
		equal(t, "GetPackage "+want.ID, got, want)
	}

	// Times in another zone come back as the same instant in UTC.
	local := dictionary("F2", scopeA, "zoned")
	local.CreatedAt = at(time.Hour).In(time.FixedZone("X", 5*3600))
	insertPackages(t, s, local)
	got, err := getPackage(t, s, "F2")
	must(t, "GetPackage", err)
	equal(t, "CreatedAt", got.CreatedAt, at(time.Hour))

	// An empty allow list may come back nil.
	empty := dictionary("F3", scopeA, "empty")
	empty.AllowList = []string{}
	insertPackages(t, s, empty)
	got, err = getPackage(t, s, "F3")
	must(t, "GetPackage", err)
	if len(got.AllowList) != 0 {
		t.Errorf("AllowList: got %q, want empty", got.AllowList)
	}

	_, err = getPackage(t, s, "F404")
	wantErr(t, "GetPackage missing", err, osemu.ErrNotFound)

	// Uniqueness: the ID globally, the name per scope and engine version.
	dups := []struct {
		name string
		p    *osemu.Package
		want error
	}{
		{"same ID in another scope", dictionary("F1", scopeB, "other"), osemu.ErrExists},
		{"same name and engine version", dictionary("F10", scopeA, "dict"), osemu.ErrExists},
		{"same name, other engine version",
			withEngine(fullPackage("pkg-2", scopeA, "plugin"), "OpenSearch_2.13"), nil},
		{"same name, other account", dictionary("F11", scopeB, "dict"), nil},
		{"same name, other region", dictionary("F12", scopeC, "dict"), nil},
	}
	for _, d := range dups {
		err := s.Update(t.Context(), func(tx osemu.Tx) error { return tx.InsertPackage(d.p) })
		if d.want == nil {
			must(t, "InsertPackage "+d.name, err)
		} else {
			wantErr(t, "InsertPackage "+d.name, err, d.want)
		}
	}

	// UpdatePackage replaces everything but ID, Seq, Scope, Name and
	// CreatedAt.
	changed := dictionary("F1", scopeB, "renamed")
	changed.Seq = 999
	changed.Type = osemu.PackageTypeLicense
	changed.Description = "new"
	changed.Status = osemu.PackageCopying
	changed.ErrorDetails = &osemu.ErrorDetails{ErrorType: "X"}
	changed.EngineVersion = "OpenSearch_1.3"
	changed.Version = 7
	changed.AllowList = []string{"GLOBAL"}
	changed.Pending = &osemu.PendingImport{Source: osemu.S3Location{Bucket: "b2", Key: "k2"}}
	changed.CreatedAt = at(48 * time.Hour)
	changed.UpdatedAt = at(72 * time.Hour)
	update(t, s, func(tx osemu.Tx) error { return tx.UpdatePackage(changed) })
	want := *changed
	want.Seq, want.Scope, want.Name, want.CreatedAt = bare.Seq, bare.Scope, bare.Name, bare.CreatedAt
	got, err = getPackage(t, s, "F1")
	must(t, "GetPackage", err)
	equal(t, "after UpdatePackage", got, &want)

	// Clearing optional fields clears them.
	cleared := fullPackage("pkg-1", scopeA, "plugin")
	cleared.ErrorDetails, cleared.Configuration, cleared.PluginProperties = nil, nil, nil
	cleared.VendingOptions, cleared.EncryptionOptions = nil, nil
	cleared.AllowList, cleared.Pending = nil, nil
	update(t, s, func(tx osemu.Tx) error { return tx.UpdatePackage(cleared) })
	got, err = getPackage(t, s, "pkg-1")
	must(t, "GetPackage", err)
	cleared.Seq = full.Seq
	equal(t, "after clearing", got, cleared)

	err = s.Update(t.Context(), func(tx osemu.Tx) error {
		return tx.UpdatePackage(dictionary("F404", scopeA, "x"))
	})
	wantErr(t, "UpdatePackage missing", err, osemu.ErrNotFound)

	// Moving to a taken (scope, name, engine version) is a duplicate.
	err = s.Update(t.Context(), func(tx osemu.Tx) error {
		return tx.UpdatePackage(withEngine(fullPackage("pkg-1", scopeA, "plugin"), "OpenSearch_2.13"))
	})
	wantErr(t, "UpdatePackage to a taken engine version", err, osemu.ErrExists)

	// CountPackages counts the scope's packages only.
	view(t, s, func(tx osemu.Tx) error {
		for _, c := range []struct {
			scope osemu.Scope
			want  int
		}{{scopeA, 5}, {scopeB, 1}, {scopeC, 1}, {osemu.Scope{Account: "9", Region: "x"}, 0}} {
			n, err := tx.CountPackages(c.scope)
			must(t, "CountPackages", err)
			if n != c.want {
				t.Errorf("CountPackages(%v): got %d, want %d", c.scope, n, c.want)
			}
		}
		return nil
	})

	update(t, s, func(tx osemu.Tx) error { return tx.DeletePackage("F1") })
	_, err = getPackage(t, s, "F1")
	wantErr(t, "GetPackage deleted", err, osemu.ErrNotFound)
	err = s.Update(t.Context(), func(tx osemu.Tx) error { return tx.DeletePackage("F1") })
	wantErr(t, "DeletePackage missing", err, osemu.ErrNotFound)

	// A new package gets a Seq above every earlier one, deleted ones too.
	again := dictionary("F1", scopeA, "dict")
	insertPackages(t, s, again)
	if last := dups[len(dups)-1].p.Seq; again.Seq <= last {
		t.Errorf("Seq after delete: got %d, want above %d", again.Seq, last)
	}
}

func withEngine(p *osemu.Package, v string) *osemu.Package {
	p.EngineVersion = v
	return p
}

func testFindPackages(t *testing.T, s osemu.Store) {
	pkg := func(id string, scope osemu.Scope, name string, typ osemu.PackageType,
		status osemu.PackageStatus, engine string) *osemu.Package {
		p := dictionary(id, scope, name)
		p.Type, p.Status, p.EngineVersion = typ, status, engine
		return p
	}
	const txt, zip = osemu.PackageTypeTxtDictionary, osemu.PackageTypeZipPlugin
	insertPackages(t, s,
		pkg("F1", scopeA, "dict-a", txt, osemu.PackageAvailable, ""),
		pkg("F2", scopeA, "dict-b", txt, osemu.PackageCopying, ""),
		pkg("pkg-3", scopeA, "plug", zip, osemu.PackageAvailable, "OpenSearch_2.11"),
		pkg("pkg-4", scopeA, "plug", zip, osemu.PackageValidationFailed, "OpenSearch_2.13"),
		pkg("F5", scopeB, "dict-a", txt, osemu.PackageAvailable, ""),
		pkg("F6", scopeC, "dict-a", txt, osemu.PackageAvailable, ""),
		pkg("pkg-7", scopeB, "plug", zip, osemu.PackageAvailable, "OpenSearch_2.11"),
	)

	tests := []struct {
		name string
		q    osemu.PackageQuery
		want []string
	}{
		{"everything", osemu.PackageQuery{}, []string{"F1", "F2", "pkg-3", "pkg-4", "F5", "F6", "pkg-7"}},
		{"scope", osemu.PackageQuery{Scope: scopeA}, []string{"F1", "F2", "pkg-3", "pkg-4"}},
		{"other scope", osemu.PackageQuery{Scope: scopeC}, []string{"F6"}},
		{"empty scope", osemu.PackageQuery{Scope: osemu.Scope{Account: "9", Region: "x"}}, nil},
		{"IDs", osemu.PackageQuery{IDs: []string{"pkg-4", "F5", "nope"}}, []string{"pkg-4", "F5"}},
		{"IDs in scope", osemu.PackageQuery{Scope: scopeA, IDs: []string{"pkg-4", "F5"}}, []string{"pkg-4"}},
		{"name is exact", osemu.PackageQuery{Names: []string{"dict"}}, nil},
		{"names", osemu.PackageQuery{Names: []string{"dict-a", "dict-b"}}, []string{"F1", "F2", "F5", "F6"}},
		{"name in scope", osemu.PackageQuery{Scope: scopeA, Names: []string{"dict-a"}}, []string{"F1"}},
		{"statuses", osemu.PackageQuery{Statuses: []osemu.PackageStatus{
			osemu.PackageCopying, osemu.PackageValidationFailed,
		}}, []string{"F2", "pkg-4"}},
		{"type", osemu.PackageQuery{Types: []osemu.PackageType{zip}}, []string{"pkg-3", "pkg-4", "pkg-7"}},
		{"engine version", osemu.PackageQuery{EngineVersions: []string{"OpenSearch_2.11"}},
			[]string{"pkg-3", "pkg-7"}},
		{"owners", osemu.PackageQuery{Owners: []string{scopeB.Account}}, []string{"F5", "pkg-7"}},
		{"owners OR-ed", osemu.PackageQuery{Owners: []string{scopeB.Account, scopeA.Account}},
			[]string{"F1", "F2", "pkg-3", "pkg-4", "F5", "F6", "pkg-7"}},
		{"filters AND-ed", osemu.PackageQuery{
			Types:    []osemu.PackageType{zip},
			Statuses: []osemu.PackageStatus{osemu.PackageAvailable},
			Owners:   []string{scopeA.Account},
		}, []string{"pkg-3"}},
		{"every filter", osemu.PackageQuery{
			Scope:          scopeA,
			IDs:            []string{"pkg-3", "pkg-4", "F1"},
			Names:          []string{"plug", "dict-a"},
			Statuses:       []osemu.PackageStatus{osemu.PackageAvailable, osemu.PackageValidationFailed},
			Types:          []osemu.PackageType{zip, txt},
			EngineVersions: []string{"OpenSearch_2.13"},
			Owners:         []string{scopeA.Account},
		}, []string{"pkg-4"}},
		{"disjoint filters",
			osemu.PackageQuery{Names: []string{"dict-a"}, Types: []osemu.PackageType{zip}}, nil},
		{"limit", osemu.PackageQuery{Limit: 2}, []string{"F1", "F2"}},
		{"after", osemu.PackageQuery{Scope: scopeA, AfterSeq: -1, Limit: 1}, []string{"F1"}},
	}
	for _, tc := range tests {
		var got []string
		view(t, s, func(tx osemu.Tx) error {
			ps, err := tx.FindPackages(tc.q)
			must(t, "FindPackages "+tc.name, err)
			got = ids(ps)
			return nil
		})
		if !slices.Equal(got, tc.want) {
			t.Errorf("FindPackages %s: got %q, want %q", tc.name, got, tc.want)
		}
	}

	// AfterSeq starts after the given package, whatever the filter.
	var all []*osemu.Package
	view(t, s, func(tx osemu.Tx) (err error) {
		all, err = tx.FindPackages(osemu.PackageQuery{})
		return err
	})
	view(t, s, func(tx osemu.Tx) error {
		ps, err := tx.FindPackages(osemu.PackageQuery{Types: []osemu.PackageType{zip}, AfterSeq: all[2].Seq})
		must(t, "FindPackages", err)
		if got, want := ids(ps), []string{"pkg-4", "pkg-7"}; !slices.Equal(got, want) {
			t.Errorf("FindPackages after %d: got %q, want %q", all[2].Seq, got, want)
		}

		// Whole rows come back, as GetPackage returns them.
		p, err := tx.GetPackage("pkg-3")
		must(t, "GetPackage", err)
		equal(t, "FindPackages row", all[2], p)
		return nil
	})

	// A filter may have more values than an engine has bind variables.
	view(t, s, func(tx osemu.Tx) error {
		many := make([]string, 50000)
		for i := range many {
			many[i] = fmt.Sprintf("F%d", 100000+i)
		}
		many[len(many)-1] = "F2"
		ps, err := tx.FindPackages(osemu.PackageQuery{IDs: many})
		must(t, "FindPackages with 50000 IDs", err)
		if got := ids(ps); !slices.Equal(got, []string{"F2"}) {
			t.Errorf("FindPackages with 50000 IDs: got %q, want [F2]", got)
		}
		return nil
	})
}

func ids(ps []*osemu.Package) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

// testPackagePages walks a scope's packages page by page while packages
// are added and removed between pages: every package that lives through
// the walk appears exactly once, and no deleted one appears after its
// deletion.
func testPackagePages(t *testing.T, s osemu.Store) {
	var ps []*osemu.Package
	for i := range 40 {
		ps = append(ps, dictionary(fmt.Sprintf("F%03d", i), scopeA, fmt.Sprintf("d%03d", i)))
		ps = append(ps, dictionary(fmt.Sprintf("G%03d", i), scopeB, fmt.Sprintf("d%03d", i)))
	}
	insertPackages(t, s, ps...)

	seen := map[string]int{}
	deleted := map[string]bool{}
	var added []string
	after := int64(0)
	for page := 0; ; page++ {
		var got []*osemu.Package
		view(t, s, func(tx osemu.Tx) (err error) {
			got, err = tx.FindPackages(osemu.PackageQuery{Scope: scopeA, AfterSeq: after, Limit: 7})
			return err
		})
		if len(got) == 0 {
			break
		}
		if len(got) > 7 {
			t.Fatalf("page %d: got %d packages, want at most 7", page, len(got))
		}
		for _, p := range got {
			if p.Scope != scopeA {
				t.Errorf("page %d: package %s of scope %v", page, p.ID, p.Scope)
			}
			if deleted[p.ID] {
				t.Errorf("page %d: deleted package %s listed", page, p.ID)
			}
			if p.Seq <= after {
				t.Errorf("page %d: Seq %d not after %d", page, p.Seq, after)
			}
			after = p.Seq
			seen[p.ID]++
		}

		// Between pages, delete one package already seen and one not yet
		// seen, and, for the first pages, add one.
		update(t, s, func(tx osemu.Tx) error {
			for _, id := range []string{fmt.Sprintf("F%03d", page*7), fmt.Sprintf("F%03d", 39-page)} {
				if _, err := tx.GetPackage(id); err == nil {
					must(t, "DeletePackage", tx.DeletePackage(id))
					deleted[id] = true
				}
			}
			if page >= 4 {
				return nil
			}
			p := dictionary(fmt.Sprintf("N%03d", page), scopeA, fmt.Sprintf("new%03d", page))
			added = append(added, p.ID)
			return tx.InsertPackage(p)
		})
		if page > 100 {
			t.Fatal("pagination does not end")
		}
	}

	for _, p := range ps {
		if p.Scope == scopeA && !deleted[p.ID] && seen[p.ID] != 1 {
			t.Errorf("package %s seen %d times, want once", p.ID, seen[p.ID])
		}
	}
	for _, id := range added {
		if seen[id] != 1 {
			t.Errorf("package %s added between pages seen %d times, want once", id, seen[id])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("package %s seen %d times", id, n)
		}
	}
}

func testPackageVersions(t *testing.T, s osemu.Store) {
	insertPackages(t, s, dictionary("F1", scopeA, "a"), dictionary("F2", scopeA, "b"))
	version := func(id string, n int) *osemu.PackageVersion {
		v := &osemu.PackageVersion{
			PackageID:     id,
			Version:       n,
			CommitMessage: fmt.Sprintf("version %d", n),
			CreatedAt:     at(time.Duration(n) * time.Hour),
			Blob: osemu.BlobRef{
				ID: fmt.Sprintf("blob-%s-%d", id, n), Size: int64(n), SHA256: "s", MD5: "m",
			},
		}
		if n%2 == 0 {
			v.PluginProperties = &osemu.PluginProperties{Name: "p", UncompressedSizeInBytes: int64p(10)}
			v.Configuration = &osemu.PackageConfiguration{
				LicenseRequirement:       "NONE",
				ConfigurationRequirement: "REQUIRED",
			}
		}
		return v
	}
	var versions []*osemu.PackageVersion
	update(t, s, func(tx osemu.Tx) error {
		// Inserted out of order: listing orders by number.
		for _, n := range []int{3, 1, 5, 2, 4} {
			v := version("F1", n)
			versions = append(versions, v)
			must(t, "InsertPackageVersion", tx.InsertPackageVersion(v))
		}
		return tx.InsertPackageVersion(version("F2", 1))
	})

	err := s.Update(t.Context(), func(tx osemu.Tx) error {
		return tx.InsertPackageVersion(version("F1", 3))
	})
	wantErr(t, "InsertPackageVersion twice", err, osemu.ErrExists)

	view(t, s, func(tx osemu.Tx) error {
		for _, want := range versions {
			got, err := tx.GetPackageVersion("F1", want.Version)
			must(t, "GetPackageVersion", err)
			equal(t, "GetPackageVersion", got, want)
		}
		_, err := tx.GetPackageVersion("F1", 6)
		wantErr(t, "GetPackageVersion missing", err, osemu.ErrNotFound)
		_, err = tx.GetPackageVersion("F3", 1)
		wantErr(t, "GetPackageVersion of missing package", err, osemu.ErrNotFound)

		tests := []struct {
			id            string
			before, limit int
			want          []int
		}{
			{"F1", 0, 0, []int{5, 4, 3, 2, 1}},
			{"F1", 0, 2, []int{5, 4}},
			{"F1", 4, 2, []int{3, 2}},
			{"F1", 2, 10, []int{1}},
			{"F1", 1, 10, nil},
			{"F2", 0, 10, []int{1}},
			{"F3", 0, 10, nil},
		}
		for _, tc := range tests {
			vs, err := tx.ListPackageVersions(tc.id, tc.before, tc.limit)
			must(t, "ListPackageVersions", err)
			var got []int
			for _, v := range vs {
				got = append(got, v.Version)
				if v.PackageID != tc.id {
					t.Errorf("ListPackageVersions(%s): version of %s", tc.id, v.PackageID)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ListPackageVersions(%s, %d, %d): got %v, want %v",
					tc.id, tc.before, tc.limit, got, tc.want)
			}
		}
		vs, err := tx.ListPackageVersions("F1", 3, 1)
		must(t, "ListPackageVersions", err)
		equal(t, "listed version", vs, []*osemu.PackageVersion{versions[3]})
		return nil
	})

	// Deleting a package deletes its versions, and only its own.
	update(t, s, func(tx osemu.Tx) error { return tx.DeletePackage("F1") })
	insertPackages(t, s, dictionary("F1", scopeA, "a"))
	view(t, s, func(tx osemu.Tx) error {
		vs, err := tx.ListPackageVersions("F1", 0, 0)
		must(t, "ListPackageVersions", err)
		if len(vs) != 0 {
			t.Errorf("versions of a deleted package: got %d, want 0", len(vs))
		}
		_, err = tx.GetPackageVersion("F2", 1)
		must(t, "GetPackageVersion of another package", err)
		return nil
	})
}
