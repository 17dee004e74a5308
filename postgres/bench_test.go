package postgres

import (
	"fmt"
	"testing"

	"github.com/osemu/osemu"
)

// benchSizes are the table sizes the listing benchmarks compare: a page
// must cost the same at both.
var benchSizes = []int{1_000, 100_000}

// openBench opens a store on a new schema, fills it with fill, and
// vacuums it, as autovacuum would a live database.
func openBench(b *testing.B, fill func(tx osemu.Tx) error) *Store {
	b.Helper()
	s := openTest(b)
	mustUpdate(b, s, fill)
	vacuum(b, s)
	return s
}

// BenchmarkFindPackages reads a page of 100 packages of one scope from the
// middle of the table, with half of the rows in other scopes.
func BenchmarkFindPackages(b *testing.B) {
	for _, n := range benchSizes {
		var middle int64
		s := openBench(b, func(tx osemu.Tx) error {
			for i := range n {
				scope := scopeT
				if i%2 == 1 {
					scope.Account = "222222222222"
				}
				p := &osemu.Package{ID: fmt.Sprintf("F%d", i), Scope: scope,
					Name: fmt.Sprintf("d%d", i), Type: osemu.PackageTypeTxtDictionary,
					Status: osemu.PackageAvailable, AllowList: []string{"GLOBAL"}}
				if err := tx.InsertPackage(p); err != nil {
					return err
				}
				if i == n/2 {
					middle = p.Seq
				}
			}
			return nil
		})

		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			q := osemu.PackageQuery{Scope: scopeT, AfterSeq: middle, Limit: 100}
			for b.Loop() {
				err := s.View(b.Context(), func(tx osemu.Tx) error {
					ps, err := tx.FindPackages(q)
					if err == nil && len(ps) != 100 {
						err = fmt.Errorf("got %d packages, want 100", len(ps))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListAssociationsByPackage reads a page of 100 associations of
// one package from the middle of its domains, with half of the rows
// belonging to other packages.
func BenchmarkListAssociationsByPackage(b *testing.B) {
	for _, n := range benchSizes {
		s := openBench(b, func(tx osemu.Tx) error {
			for i := range n {
				a := &osemu.Association{Scope: scopeT, DomainName: fmt.Sprintf("d%07d", i/2),
					PackageID: "F1", PackageName: "dict", PackageType: osemu.PackageTypeTxtDictionary,
					Status: osemu.AssocActive, Version: 1}
				if i%2 == 1 {
					a.PackageID = fmt.Sprintf("F%d", i)
				}
				if err := tx.PutAssociation(a); err != nil {
					return err
				}
			}
			return nil
		})

		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			after := fmt.Sprintf("d%07d", n/4)
			for b.Loop() {
				err := s.View(b.Context(), func(tx osemu.Tx) error {
					as, err := tx.ListAssociationsByPackage(scopeT, "F1", after, 100)
					if err == nil && len(as) != 100 {
						err = fmt.Errorf("got %d associations, want 100", len(as))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFindVisiblePackages reads a page of 100 of the packages a viewer
// sees, from the middle of them: 400 packages it owns, is granted by
// account or by GLOBAL, or that AWS owns, spread among n packages of other
// accounts (and of its own account in another region) that it may not see.
func BenchmarkFindVisiblePackages(b *testing.B) {
	const visible = 400
	for _, n := range benchSizes {
		var middle int64
		s := openBench(b, func(tx osemu.Tx) error {
			var seen int
			for i := range n + visible {
				p := &osemu.Package{ID: fmt.Sprintf("F%d", i), Name: fmt.Sprintf("d%d", i),
					Type: osemu.PackageTypeTxtDictionary, Status: osemu.PackageAvailable}
				isMiddle := false
				if i%(n/visible+1) == 0 && seen < visible {
					p.Scope, p.AllowList = benchVisible(seen)
					isMiddle = seen == visible/2
					seen++
				} else {
					p.Scope, p.AllowList = benchHidden(i)
				}
				if err := tx.InsertPackage(p); err != nil {
					return err
				}
				if isMiddle {
					middle = p.Seq
				}
			}
			return nil
		})

		b.Run(fmt.Sprintf("others=%d", n), func(b *testing.B) {
			q := osemu.PackageQuery{Viewer: &scopeT, AfterSeq: middle, Limit: 100}
			for b.Loop() {
				err := s.View(b.Context(), func(tx osemu.Tx) error {
					ps, err := tx.FindPackages(q)
					if err == nil && len(ps) != 100 {
						err = fmt.Errorf("got %d packages, want 100", len(ps))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchVisible returns the scope and allow list of the i-th package that
// scopeT sees: its own, shared with its account or GLOBAL, or AWS-owned.
func benchVisible(i int) (osemu.Scope, []string) {
	other := osemu.Scope{Account: "222222222222", Region: scopeT.Region}
	switch i % 4 {
	case 0:
		return scopeT, nil
	case 1:
		return other, []string{scopeT.Account}
	case 2:
		return other, []string{osemu.GlobalUser}
	default:
		return osemu.Scope{Account: osemu.AWSOwner}, nil
	}
}

// benchHidden returns the scope and allow list of a package that scopeT
// does not see: another account's in its region, unshared or shared with
// others, or shared in another region.
func benchHidden(i int) (osemu.Scope, []string) {
	switch i % 4 {
	case 0:
		return osemu.Scope{Account: "222222222222", Region: scopeT.Region}, nil
	case 1:
		return osemu.Scope{Account: "333333333333", Region: scopeT.Region}, []string{"444444444444"}
	case 2:
		return osemu.Scope{Account: "222222222222", Region: "eu-west-1"},
			[]string{scopeT.Account, osemu.GlobalUser}
	default:
		return osemu.Scope{Account: scopeT.Account, Region: "eu-west-1"}, []string{osemu.GlobalUser}
	}
}
