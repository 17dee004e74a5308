package storetest

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/osemu/osemu"
)

// Scopes of the sharing tests, besides A, B and C: D is a third account of
// A's region, E is B's account in C's region, F an account alone in a
// region of its own, and AWS the owner of the AWS-owned packages.
var (
	scopeD   = osemu.Scope{Account: "333333333333", Region: "us-east-1"}
	scopeE   = osemu.Scope{Account: "222222222222", Region: "eu-west-1"}
	scopeF   = osemu.Scope{Account: "444444444444", Region: "ap-south-1"}
	scopeAWS = osemu.Scope{Account: osemu.AWSOwner}
)

// shared returns a dictionary that its owner shares with allow.
func shared(id string, scope osemu.Scope, name string, allow ...string) *osemu.Package {
	p := dictionary(id, scope, name)
	p.AllowList = allow
	return p
}

// awsPlugin returns an AWS-owned optional plugin for an engine version.
func awsPlugin(id, engine string, allow ...string) *osemu.Package {
	p := shared(id, scopeAWS, "analysis-nori", allow...)
	p.Type, p.EngineVersion = osemu.PackageTypeZipPlugin, engine
	return p
}

// findIDs returns the IDs of the packages that FindPackages returns for q.
func findIDs(t *testing.T, s osemu.Store, q osemu.PackageQuery) []string {
	t.Helper()
	var got []string
	view(t, s, func(tx osemu.Tx) error {
		ps, err := tx.FindPackages(q)
		got = ids(ps)
		return err
	})
	return got
}

// seenBy returns the IDs of every package that viewer sees.
func seenBy(t *testing.T, s osemu.Store, viewer osemu.Scope) []string {
	t.Helper()
	return findIDs(t, s, osemu.PackageQuery{Viewer: &viewer})
}

// visibleTo reports whether viewer may see p, by the rule that
// PackageQuery.Viewer states.
func visibleTo(viewer osemu.Scope, p *osemu.Package) bool {
	if p.Scope == viewer || p.Scope == scopeAWS {
		return true
	}
	return p.Scope.Region == viewer.Region && (slices.Contains(p.AllowList, viewer.Account) ||
		slices.Contains(p.AllowList, osemu.GlobalUser))
}

// testVisiblePackages checks who sees what: the owner, the accounts of an
// allow list in the owner's region, every account of that region for
// GLOBAL, and everyone for AWS-owned packages; then the other filters on
// top of a viewer.
func testVisiblePackages(t *testing.T, s osemu.Store) {
	a, b, d, global := scopeA.Account, scopeB.Account, scopeD.Account, osemu.GlobalUser
	plugin := shared("F2", scopeA, "plug", b)
	plugin.Type, plugin.EngineVersion = osemu.PackageTypeZipPlugin, "OpenSearch_2.11"
	copying := shared("F5", scopeB, "dict-b", global)
	copying.Status = osemu.PackageCopying
	ps := []*osemu.Package{
		shared("F1", scopeA, "dict-a"),
		plugin,
		shared("F3", scopeA, "dict-b", global),
		shared("F4", scopeB, "dict-a", a),
		copying,
		shared("F6", scopeB, "dict-c"),
		shared("F7", scopeC, "dict-a", global),
		shared("F8", scopeC, "dict-b", b),
		awsPlugin("G1", "OpenSearch_2.11"),
		shared("F9", scopeA, "dict-c", a, global),
		shared("F10", scopeA, "dict-d", d),
		awsPlugin("G2", "OpenSearch_2.13", global),
	}
	insertPackages(t, s, ps...)

	matrix := []struct {
		name   string
		viewer osemu.Scope
		want   []string
	}{
		// F9 is owned and shared with its owner and GLOBAL, G2 is shared
		// with GLOBAL too: each is listed once.
		{"owner A", scopeA, []string{"F1", "F2", "F3", "F4", "F5", "G1", "F9", "F10", "G2"}},
		{"owner B", scopeB, []string{"F2", "F3", "F4", "F5", "F6", "G1", "F9", "G2"}},

		// A's account in another region owns other packages, and sees
		// neither A's nor GLOBAL ones of us-east-1.
		{"same account, other region", scopeC, []string{"F7", "F8", "G1", "G2"}},
		{"GLOBAL and allow-listed", scopeD, []string{"F3", "F5", "G1", "F9", "F10", "G2"}},
		{"allow-listed in another region", scopeE, []string{"F7", "F8", "G1", "G2"}},
		{"stranger", scopeF, []string{"G1", "G2"}},
		{"AWS", scopeAWS, []string{"G1", "G2"}},
	}
	for _, tc := range matrix {
		if got := seenBy(t, s, tc.viewer); !slices.Equal(got, tc.want) {
			t.Errorf("FindPackages for viewer %s (%s): got %q, want %q",
				tc.viewer, tc.name, got, tc.want)
		}
	}

	// Viewer A's visible packages, by seq: F1 F2 F3 F4 F5 G1 F9 F10 G2.
	seqOf := map[string]int64{}
	for _, p := range ps {
		seqOf[p.ID] = p.Seq
	}
	zip, txt := osemu.PackageTypeZipPlugin, osemu.PackageTypeTxtDictionary
	va, vb := scopeA, scopeB
	tests := []struct {
		name string
		q    osemu.PackageQuery
		want []string
	}{
		{"scope ignored", osemu.PackageQuery{Viewer: &va, Scope: scopeB},
			[]string{"F1", "F2", "F3", "F4", "F5", "G1", "F9", "F10", "G2"}},
		{"limit", osemu.PackageQuery{Viewer: &va, Limit: 3}, []string{"F1", "F2", "F3"}},
		{"after", osemu.PackageQuery{Viewer: &va, AfterSeq: seqOf["F3"], Limit: 3},
			[]string{"F4", "F5", "G1"}},
		// F9 is owned, and granted to A's account and to GLOBAL: it takes
		// one place in the page, not three.
		{"after, through a package seen three ways",
			osemu.PackageQuery{Viewer: &va, AfterSeq: seqOf["F5"], Limit: 3},
			[]string{"G1", "F9", "F10"}},
		{"owned and AWS-owned", osemu.PackageQuery{Viewer: &scopeAWS, Limit: 2},
			[]string{"G1", "G2"}},
		{"after the last", osemu.PackageQuery{Viewer: &va, AfterSeq: seqOf["G2"]}, nil},
		{"names", osemu.PackageQuery{Viewer: &va, Names: []string{"dict-a"}}, []string{"F1", "F4"}},
		{"names with AWS",
			osemu.PackageQuery{Viewer: &va, Names: []string{"dict-a", "analysis-nori"}},
			[]string{"F1", "F4", "G1", "G2"}},
		{"types", osemu.PackageQuery{Viewer: &va, Types: []osemu.PackageType{zip}},
			[]string{"F2", "G1", "G2"}},
		{"owner AWS", osemu.PackageQuery{Viewer: &va, Owners: []string{osemu.AWSOwner}},
			[]string{"G1", "G2"}},
		{"owner of shared packages", osemu.PackageQuery{Viewer: &va, Owners: []string{b}},
			[]string{"F4", "F5"}},

		// C has A's account: the owner filter does not show C's packages.
		{"owner with packages elsewhere", osemu.PackageQuery{Viewer: &va, Owners: []string{a}},
			[]string{"F1", "F2", "F3", "F9", "F10"}},
		{"owners and types", osemu.PackageQuery{Viewer: &va, Owners: []string{a, osemu.AWSOwner},
			Types: []osemu.PackageType{zip}}, []string{"F2", "G1", "G2"}},
		{"invisible IDs", osemu.PackageQuery{Viewer: &va, IDs: []string{"F6", "F7", "F4", "G2"}},
			[]string{"F4", "G2"}},
		{"engine versions",
			osemu.PackageQuery{Viewer: &va, EngineVersions: []string{"OpenSearch_2.13"}},
			[]string{"G2"}},
		{"statuses", osemu.PackageQuery{Viewer: &va,
			Statuses: []osemu.PackageStatus{osemu.PackageCopying}}, []string{"F5"}},
		{"disjoint filters", osemu.PackageQuery{Viewer: &va, Owners: []string{osemu.AWSOwner},
			Types: []osemu.PackageType{txt}}, nil},
		{"filter and limit",
			osemu.PackageQuery{Viewer: &va, Names: []string{"dict-a", "dict-b"}, Limit: 2},
			[]string{"F1", "F3"}},
		{"filter and after", osemu.PackageQuery{Viewer: &va, Names: []string{"dict-a", "dict-b"},
			AfterSeq: seqOf["F3"], Limit: 2}, []string{"F4", "F5"}},

		// B owns F4, F5 and F6, and sees F9 by GLOBAL: a page of one
		// dict-c is F6, whatever comes before it in each kind of sight.
		{"filter before limit",
			osemu.PackageQuery{Viewer: &vb, Names: []string{"dict-c"}, Limit: 1},
			[]string{"F6"}},
		{"filter before limit, shared", osemu.PackageQuery{Viewer: &vb, Names: []string{"dict-c"},
			AfterSeq: seqOf["F6"], Limit: 1}, []string{"F9"}},
	}
	for _, tc := range tests {
		got := findIDs(t, s, tc.q)
		if !slices.Equal(got, tc.want) {
			t.Errorf("FindPackages %s: got %q, want %q", tc.name, got, tc.want)
		}
	}

	// Shared and AWS-owned packages come back whole, as GetPackage
	// returns them.
	view(t, s, func(tx osemu.Tx) error {
		got, err := tx.FindPackages(osemu.PackageQuery{Viewer: &vb, IDs: []string{"F2", "G2"}})
		must(t, "FindPackages", err)
		equal(t, "shared and AWS-owned rows", got, []*osemu.Package{ps[1], ps[11]})
		return nil
	})
}

// testSharing checks that UpdatePackage and DeletePackage move what
// viewers see as the allow list changes.
func testSharing(t *testing.T, s osemu.Store) {
	a, d, global := scopeA.Account, scopeD.Account, osemu.GlobalUser
	p := shared("F1", scopeB, "dict")
	insertPackages(t, s, p, awsPlugin("G1", "OpenSearch_2.11"))

	viewers := []osemu.Scope{scopeA, scopeB, scopeD, scopeE}
	steps := []struct {
		name  string
		allow []string
		sees  []bool // whether A, B, D, E see F1
	}{
		{"not shared", nil, []bool{false, true, false, false}},
		{"grant added", []string{a}, []bool{true, true, false, false}},
		{"other fields changed", []string{a}, []bool{true, true, false, false}},
		{"grant replaced", []string{d}, []bool{false, true, true, false}},
		{"GLOBAL added", []string{d, global}, []bool{true, true, true, false}},
		{"account removed", []string{global}, []bool{true, true, true, false}},

		// E has the owner's account, in another region.
		{"owner's account", []string{scopeB.Account}, []bool{false, true, false, false}},
		{"account twice", []string{a, a}, []bool{true, true, false, false}},
		{"grants removed", nil, []bool{false, true, false, false}},
	}
	for i, st := range steps {
		p.AllowList = st.allow
		p.Description = st.name
		p.Status = osemu.PackageCopying
		if i%2 == 1 {
			p.Status = osemu.PackageAvailable
		}
		update(t, s, func(tx osemu.Tx) error { return tx.UpdatePackage(p) })

		got, err := getPackage(t, s, "F1")
		must(t, "GetPackage", err)
		if !slices.Equal(got.AllowList, st.allow) {
			t.Errorf("%s: AllowList: got %q, want %q", st.name, got.AllowList, st.allow)
		}
		for j, v := range viewers {
			want := []string{"G1"}
			if st.sees[j] {
				want = []string{"F1", "G1"}
			}
			if got := seenBy(t, s, v); !slices.Equal(got, want) {
				t.Errorf("%s: viewer %s: got %q, want %q", st.name, v, got, want)
			}
		}
	}

	// An AWS-owned package stays visible everywhere, whatever its allow
	// list becomes.
	g := awsPlugin("G1", "OpenSearch_2.11")
	for _, allow := range [][]string{{a}, nil} {
		g.AllowList = allow
		g.Status = osemu.PackageValidating
		update(t, s, func(tx osemu.Tx) error { return tx.UpdatePackage(g) })
		for _, v := range []osemu.Scope{scopeA, scopeC, scopeF} {
			if got := seenBy(t, s, v); !slices.Equal(got, []string{"G1"}) {
				t.Errorf("AWS-owned with allow list %q: viewer %s: got %q, want [G1]", allow, v, got)
			}
		}
	}

	// Deleting a package takes its grants along; a new package of the same
	// ID and name is not shared.
	p.AllowList = []string{a, global}
	update(t, s, func(tx osemu.Tx) error { return tx.UpdatePackage(p) })
	update(t, s, func(tx osemu.Tx) error { return tx.DeletePackage("F1") })
	for _, v := range []osemu.Scope{scopeA, scopeB, scopeD} {
		if got := seenBy(t, s, v); !slices.Equal(got, []string{"G1"}) {
			t.Errorf("after DeletePackage: viewer %s: got %q, want [G1]", v, got)
		}
	}
	insertPackages(t, s, shared("F1", scopeB, "dict"))
	if got := seenBy(t, s, scopeA); !slices.Equal(got, []string{"G1"}) {
		t.Errorf("after re-creating F1 unshared: viewer A: got %q, want [G1]", got)
	}
	update(t, s, func(tx osemu.Tx) error { return tx.DeletePackage("G1") })
	if got := seenBy(t, s, scopeF); got != nil {
		t.Errorf("after deleting G1: viewer F: got %q, want none", got)
	}
}

// testVisiblePages walks what one viewer sees page by page, through its
// own, shared and AWS-owned packages among many it may not see, while
// packages are added and removed and allow lists change between pages.
// Every package visible from the start of the walk, or from its creation,
// to the end appears exactly once; none appears while the viewer may not
// see it; Seq increases from page to page.
func testVisiblePages(t *testing.T, s osemu.Store) {
	viewer, a, b, global := scopeA, scopeA.Account, scopeB.Account, osemu.GlobalUser
	model := map[string]*osemu.Package{}
	n := 0
	newPackage := func(kind int) *osemu.Package {
		n++
		id := fmt.Sprintf("F%03d", n)
		switch kind % 6 {
		case 0: // owned, sometimes shared as well
			if n%4 == 0 {
				return shared(id, scopeA, id, global)
			}
			return shared(id, scopeA, id)
		case 1: // shared with the viewer's account, or GLOBAL
			if n%2 == 0 {
				return shared(id, scopeB, id, a)
			}
			return shared(id, scopeB, id, global)
		case 2: // hidden in the viewer's region
			if n%2 == 0 {
				return shared(id, scopeD, id, b)
			}
			return shared(id, scopeB, id)
		case 3: // shared in another region
			return shared(id, scopeE, id, a, global)
		case 4:
			return awsPlugin(id, fmt.Sprintf("OpenSearch_%d", n))
		default: // the viewer's account in another region
			return shared(id, scopeC, id, global)
		}
	}
	insert := func(tx osemu.Tx, p *osemu.Package) {
		must(t, "InsertPackage", tx.InsertPackage(p))
		model[p.ID] = p
	}
	update(t, s, func(tx osemu.Tx) error {
		for i := range 120 {
			insert(tx, newPackage(i))
		}
		return nil
	})

	mustSee := map[string]bool{}
	for id, p := range model {
		if visibleTo(viewer, p) {
			mustSee[id] = true
		}
	}
	changes := map[string]int{}
	seen := map[string]int{}
	after := int64(0)
	for page := 0; ; page++ {
		var got []*osemu.Package
		view(t, s, func(tx osemu.Tx) (err error) {
			q := osemu.PackageQuery{Viewer: &viewer, AfterSeq: after, Limit: 7}
			got, err = tx.FindPackages(q)
			return err
		})
		if len(got) == 0 {
			break
		}
		if len(got) > 7 {
			t.Fatalf("page %d: got %d packages, want at most 7", page, len(got))
		}
		for _, p := range got {
			cur := model[p.ID]
			switch {
			case cur == nil:
				t.Errorf("page %d: deleted package %s listed", page, p.ID)
			case !visibleTo(viewer, cur):
				t.Errorf("page %d: package %s listed, of %s shared with %q", page, p.ID,
					cur.Scope, cur.AllowList)
			case !slices.Equal(p.AllowList, cur.AllowList):
				t.Errorf("page %d: package %s: AllowList %q, want %q", page, p.ID,
					p.AllowList, cur.AllowList)
			}
			if p.Seq <= after {
				t.Errorf("page %d: Seq %d not after %d", page, p.Seq, after)
			}
			after = p.Seq
			seen[p.ID]++
		}
		if page > 200 {
			t.Fatal("pagination does not end")
		}
		if page >= 8 {
			continue
		}

		// Between pages, change what is ahead of the walk and what is
		// behind it.
		update(t, s, func(tx osemu.Tx) error {
			live := slices.SortedFunc(maps.Values(model), func(p, q *osemu.Package) int {
				return cmp.Compare(p.Seq, q.Seq)
			})
			ahead := func(p *osemu.Package) bool { return p.Seq > after }
			// Each change takes a package that no other change of this
			// round took.
			touched := map[string]bool{}
			first := func(what string, ok func(*osemu.Package) bool) *osemu.Package {
				for _, p := range live {
					if ok(p) && !touched[p.ID] {
						touched[p.ID] = true
						changes[what]++
						return p
					}
				}
				return nil
			}
			share := func(p *osemu.Package, allow ...string) {
				c := *p
				c.AllowList = allow
				must(t, "UpdatePackage", tx.UpdatePackage(&c))
				model[p.ID] = &c
				if !visibleTo(viewer, &c) {
					delete(mustSee, p.ID)
				} else if ahead(p) && !visibleTo(viewer, p) {
					mustSee[p.ID] = true
				}
			}
			del := func(p *osemu.Package) {
				must(t, "DeletePackage", tx.DeletePackage(p.ID))
				delete(model, p.ID)
				delete(mustSee, p.ID)
			}
			grantedB := func(p *osemu.Package) bool {
				return p.Scope == scopeB && visibleTo(viewer, p)
			}
			hiddenB := func(p *osemu.Package) bool {
				return p.Scope == scopeB && !visibleTo(viewer, p)
			}

			if p := first("delete ahead", func(p *osemu.Package) bool {
				return ahead(p) && visibleTo(viewer, p)
			}); p != nil {
				del(p)
			}
			if p := first("delete behind", func(p *osemu.Package) bool {
				return !ahead(p) && visibleTo(viewer, p)
			}); p != nil {
				del(p)
			}
			if p := first("unshare ahead", func(p *osemu.Package) bool {
				return ahead(p) && grantedB(p)
			}); p != nil {
				share(p)
			}
			if p := first("share ahead", func(p *osemu.Package) bool {
				return ahead(p) && hiddenB(p)
			}); p != nil {
				share(p, global)
			}
			if p := first("replace ahead", func(p *osemu.Package) bool {
				return ahead(p) && grantedB(p)
			}); p != nil {
				if slices.Contains(p.AllowList, a) {
					share(p, global)
				} else {
					share(p, a)
				}
			}
			if p := first("share behind", func(p *osemu.Package) bool {
				return !ahead(p) && hiddenB(p)
			}); p != nil {
				share(p, a)
			}
			if p := first("unshare behind", func(p *osemu.Package) bool {
				return !ahead(p) && grantedB(p)
			}); p != nil {
				share(p)
			}
			for kind := range 6 {
				p := newPackage(kind)
				insert(tx, p)
				if visibleTo(viewer, p) {
					mustSee[p.ID] = true
				}
			}
			return nil
		})
	}

	// Each kind of change happened, so the walk checked what it claims.
	for _, what := range []string{"delete ahead", "delete behind", "unshare ahead", "share ahead",
		"replace ahead", "share behind", "unshare behind"} {
		if changes[what] == 0 {
			t.Errorf("no %q between pages", what)
		}
	}
	for id := range mustSee {
		if seen[id] != 1 {
			t.Errorf("package %s seen %d times, want once", id, seen[id])
		}
	}
	if len(mustSee) < 60 {
		t.Errorf("only %d packages to see: the walk checks too little", len(mustSee))
	}
}

// testCountPackages checks that CountPackages counts what a scope owns,
// not what it sees, of the given types.
func testCountPackages(t *testing.T, s osemu.Store) {
	typed := func(p *osemu.Package, typ osemu.PackageType) *osemu.Package {
		p.Type = typ
		return p
	}
	const (
		txt     = osemu.PackageTypeTxtDictionary
		zip     = osemu.PackageTypeZipPlugin
		license = osemu.PackageTypeLicense
		config  = osemu.PackageTypeConfig
	)
	insertPackages(t, s,
		dictionary("F1", scopeA, "a"),
		dictionary("F2", scopeA, "b"),
		typed(dictionary("pkg-3", scopeA, "c"), zip),
		typed(dictionary("pkg-4", scopeA, "d"), license),
		typed(dictionary("pkg-5", scopeA, "e"), config),
		shared("F6", scopeB, "a", scopeA.Account, osemu.GlobalUser),
		dictionary("F7", scopeC, "a"),
		awsPlugin("G1", "OpenSearch_2.11"),
		awsPlugin("G2", "OpenSearch_2.13"),
	)
	tests := []struct {
		scope osemu.Scope
		types []osemu.PackageType
		want  int
	}{
		{scopeA, nil, 5},
		{scopeA, []osemu.PackageType{txt}, 2},
		{scopeA, []osemu.PackageType{zip}, 1},
		{scopeA, []osemu.PackageType{license, config}, 2},
		{scopeA, []osemu.PackageType{txt, zip, license, config}, 5},
		{scopeA, []osemu.PackageType{"NONE"}, 0},
		{scopeB, nil, 1},
		{scopeB, []osemu.PackageType{zip}, 0},
		{scopeC, []osemu.PackageType{txt}, 1},
		{scopeD, nil, 0},
		{scopeAWS, nil, 2},
		{scopeAWS, []osemu.PackageType{zip}, 2},
		{scopeAWS, []osemu.PackageType{txt}, 0},
	}
	view(t, s, func(tx osemu.Tx) error {
		for _, tc := range tests {
			got, err := tx.CountPackages(tc.scope, tc.types...)
			must(t, "CountPackages", err)
			if got != tc.want {
				t.Errorf("CountPackages(%s, %q): got %d, want %d", tc.scope, tc.types, got, tc.want)
			}
		}
		return nil
	})
}
