package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/osemu/osemu"
)

// testRollback checks that an Update whose fn fails, or panics, writes
// nothing, and returns fn's own error.
func testRollback(t *testing.T, s osemu.Store) {
	insertPackages(t, s, dictionary("F1", scopeA, "kept"))

	boom := &osemu.Error{Code: osemu.CodeConflict, Message: "boom"}
	err := s.Update(t.Context(), func(tx osemu.Tx) error {
		must(t, "InsertPackage", tx.InsertPackage(dictionary("F2", scopeA, "gone")))
		must(t, "InsertDomain", tx.InsertDomain(domain(scopeA, "gone")))
		must(t, "DeletePackage", tx.DeletePackage("F1"))
		must(t, "InsertStep", tx.InsertStep(step(osemu.StepPackageCopy, scopeA, "F2", "", at(0))))
		must(t, "InsertBucket", tx.InsertBucket(&osemu.Bucket{Name: "gone"}))
		must(t, "InsertUpload", tx.InsertUpload(upload("gone", "gone", "k")))
		_, err := tx.PutPart(part("gone", 1))
		must(t, "PutPart", err)
		_, err = tx.PutMetaIfAbsent("gone", []byte("x"))
		must(t, "PutMetaIfAbsent", err)
		return boom
	})
	if err != boom {
		t.Errorf("Update: got error %v, want fn's own error", err)
	}

	func() {
		defer func() {
			if p := recover(); p != "panic in fn" {
				t.Errorf("Update: got panic %v, want fn's", p)
			}
		}()
		s.Update(t.Context(), func(tx osemu.Tx) error {
			must(t, "InsertPackage", tx.InsertPackage(dictionary("F3", scopeA, "gone")))
			panic("panic in fn")
		})
	}()

	view(t, s, func(tx osemu.Tx) error {
		ps, err := tx.FindPackages(osemu.PackageQuery{})
		must(t, "FindPackages", err)
		if got := ids(ps); len(got) != 1 || got[0] != "F1" {
			t.Errorf("packages after rollback: got %q, want [F1]", got)
		}
		_, err = tx.GetDomain(scopeA, "gone")
		wantErr(t, "GetDomain after rollback", err, osemu.ErrNotFound)
		steps, err := tx.ListSteps()
		must(t, "ListSteps", err)
		if len(steps) != 0 {
			t.Errorf("steps after rollback: got %d, want 0", len(steps))
		}
		_, err = tx.GetBucket("gone")
		wantErr(t, "GetBucket after rollback", err, osemu.ErrNotFound)
		_, err = tx.GetMeta("gone")
		wantErr(t, "GetMeta after rollback", err, osemu.ErrNotFound)
		_, err = tx.GetUpload("gone")
		wantErr(t, "GetUpload after rollback", err, osemu.ErrNotFound)
		parts, err := tx.ListParts("gone", 0, 0)
		must(t, "ListParts", err)
		if len(parts) != 0 {
			t.Errorf("parts after rollback: got %d, want 0", len(parts))
		}
		return nil
	})

	// The store still works after both.
	insertPackages(t, s, dictionary("F2", scopeA, "now"))
}

// testConcurrentUpdates increments a counter from many goroutines, each
// read-modify-write in its own Update: none is lost and none fails.
func testConcurrentUpdates(t *testing.T, s osemu.Store) {
	insertPackages(t, s, dictionary("F1", scopeA, "counter"))
	const workers, rounds, reads = 8, 10, 20

	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds+reads)
	for range workers {
		wg.Go(func() {
			for range rounds {
				errs <- s.Update(t.Context(), func(tx osemu.Tx) error {
					p, err := tx.GetPackage("F1")
					if err != nil {
						return err
					}
					p.Version++
					return tx.UpdatePackage(p)
				})
			}
		})
	}

	// Readers run meanwhile and see a committed value each time.
	wg.Go(func() {
		for range reads {
			errs <- s.View(t.Context(), func(tx osemu.Tx) error {
				_, err := tx.GetPackage("F1")
				return err
			})
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent transaction: %v", err)
		}
	}

	p, err := getPackage(t, s, "F1")
	must(t, "GetPackage", err)
	if p.Version != workers*rounds {
		t.Errorf("counter: got %d, want %d", p.Version, workers*rounds)
	}
}

// testCanceled checks that a canceled context stops transactions before fn
// runs.
func testCanceled(t *testing.T, s osemu.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	fn := func(tx osemu.Tx) error {
		ran = true
		return tx.InsertPackage(dictionary("F1", scopeA, "x"))
	}
	if err := s.Update(ctx, fn); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context: got %v, want context.Canceled", err)
	}
	err := s.View(ctx, func(osemu.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("View with a canceled context: got %v, want context.Canceled", err)
	}
	if _, err := s.ClaimStep(ctx, "w", at(0), 0); !errors.Is(err, context.Canceled) {
		t.Errorf("ClaimStep with a canceled context: got %v, want context.Canceled", err)
	}
	if ran {
		t.Error("fn ran with a canceled context")
	}
	if _, err := getPackage(t, s, "F1"); !errors.Is(err, osemu.ErrNotFound) {
		t.Errorf("GetPackage: got %v, want ErrNotFound", err)
	}
}
