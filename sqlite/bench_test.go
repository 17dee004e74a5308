package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/osemu/osemu"
)

// benchSizes are the table sizes the listing benchmarks compare: a page
// must cost the same at both.
var benchSizes = []int{1_000, 100_000}

func openBench(b *testing.B) *Store {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkFindPackages reads a page of 100 packages of one scope from the
// middle of the table, with half of the rows in other scopes.
func BenchmarkFindPackages(b *testing.B) {
	for _, n := range benchSizes {
		s := openBench(b)
		var middle int64
		mustUpdate(b, s, func(tx osemu.Tx) error {
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
		s := openBench(b)
		mustUpdate(b, s, func(tx osemu.Tx) error {
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
