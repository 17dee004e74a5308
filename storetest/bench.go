package storetest

import (
	"fmt"
	"testing"

	"github.com/osemu/osemu"
)

// Filled opens a fresh store holding what fill writes, for a benchmark. An
// engine may prepare it as a live database would be (PostgreSQL vacuums).
type Filled func(b *testing.B, fill func(tx osemu.Tx) error) osemu.Store

// Bench runs the listing benchmarks on an engine: each reads one page of
// 100 at two table sizes, which must cost alike, since a page must cost
// the same whatever the number of rows.
func Bench(b *testing.B, open Filled) {
	b.Run("FindPackages", func(b *testing.B) { benchFindPackages(b, open) })
	b.Run("ListAssociationsByPackage", func(b *testing.B) { benchListAssociationsByPackage(b, open) })
	b.Run("FindVisiblePackages", func(b *testing.B) { benchFindVisiblePackages(b, open) })
}

// benchSizes are the table sizes the listing benchmarks compare: a page
// must cost the same at both.
var benchSizes = []int{1_000, 100_000}

// benchFindPackages reads a page of 100 packages of one scope from the
// middle of the table, with half of the rows in other scopes.
func benchFindPackages(b *testing.B, open Filled) {
	for _, n := range benchSizes {
		var middle int64
		s := open(b, func(tx osemu.Tx) error {
			for i := range n {
				scope := scopeA
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
			q := osemu.PackageQuery{Scope: scopeA, AfterSeq: middle, Limit: 100}
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

// benchListAssociationsByPackage reads a page of 100 associations of
// one package from the middle of its domains, with half of the rows
// belonging to other packages.
func benchListAssociationsByPackage(b *testing.B, open Filled) {
	for _, n := range benchSizes {
		s := open(b, func(tx osemu.Tx) error {
			for i := range n {
				a := &osemu.Association{Scope: scopeA, DomainName: fmt.Sprintf("d%07d", i/2),
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
					as, err := tx.ListAssociationsByPackage(scopeA, "F1", after, 100)
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

// benchFindVisiblePackages reads a page of 100 of the packages a viewer
// sees, from the middle of them: 400 packages it owns, is granted by
// account or by GLOBAL, or that AWS owns, spread among n packages of other
// accounts (and of its own account in another region) that it may not see.
func benchFindVisiblePackages(b *testing.B, open Filled) {
	const visible = 400
	for _, n := range benchSizes {
		var middle int64
		s := open(b, func(tx osemu.Tx) error {
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
			q := osemu.PackageQuery{Viewer: &scopeA, AfterSeq: middle, Limit: 100}
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
// scopeA sees: its own, shared with its account or GLOBAL, or AWS-owned.
func benchVisible(i int) (osemu.Scope, []string) {
	other := osemu.Scope{Account: "222222222222", Region: scopeA.Region}
	switch i % 4 {
	case 0:
		return scopeA, nil
	case 1:
		return other, []string{scopeA.Account}
	case 2:
		return other, []string{osemu.GlobalUser}
	default:
		return osemu.Scope{Account: osemu.AWSOwner}, nil
	}
}

// benchHidden returns the scope and allow list of a package that scopeA
// does not see: another account's in its region, unshared or shared with
// others, or shared in another region.
func benchHidden(i int) (osemu.Scope, []string) {
	switch i % 4 {
	case 0:
		return osemu.Scope{Account: "222222222222", Region: scopeA.Region}, nil
	case 1:
		return osemu.Scope{Account: "333333333333", Region: scopeA.Region}, []string{"444444444444"}
	case 2:
		return osemu.Scope{Account: "222222222222", Region: "eu-west-1"},
			[]string{scopeA.Account, osemu.GlobalUser}
	default:
		return osemu.Scope{Account: scopeA.Account, Region: "eu-west-1"}, []string{osemu.GlobalUser}
	}
}
