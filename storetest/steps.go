package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/osemu/osemu"
)

func step(kind osemu.StepKind, scope osemu.Scope, pkg, domain string, due time.Time) *osemu.Step {
	return &osemu.Step{Kind: kind, Scope: scope, PackageID: pkg, DomainName: domain, DueAt: due}
}

func insertSteps(t *testing.T, s osemu.Store, steps ...*osemu.Step) {
	t.Helper()
	update(t, s, func(tx osemu.Tx) error {
		for _, st := range steps {
			if err := tx.InsertStep(st); err != nil {
				return err
			}
		}
		return nil
	})
}

func listSteps(t *testing.T, s osemu.Store) (steps []*osemu.Step) {
	t.Helper()
	view(t, s, func(tx osemu.Tx) (err error) {
		steps, err = tx.ListSteps()
		return err
	})
	return steps
}

func stepIDs(steps []*osemu.Step) []int64 {
	var out []int64
	for _, st := range steps {
		out = append(out, st.ID)
	}
	return out
}

func testSteps(t *testing.T, s osemu.Store) {
	a := step(osemu.StepPackageCopy, scopeA, "F1", "", at(time.Second))
	b := step(osemu.StepAssociate, scopeA, "F1", "search", at(0))
	c := step(osemu.StepDomainCreate, scopeB, "", "search", at(time.Hour))
	d := step(osemu.StepPackageValidate, scopeB, "F1", "", at(0))
	insertSteps(t, s, a, b, c, d)
	if a.ID <= 0 || b.ID <= a.ID || c.ID <= b.ID || d.ID <= c.ID {
		t.Fatalf("step IDs: got %d %d %d %d, want positive and increasing", a.ID, b.ID, c.ID, d.ID)
	}
	equal(t, "ListSteps", listSteps(t, s), []*osemu.Step{a, b, c, d})

	// DeleteSteps matches scope, package and domain exactly.
	update(t, s, func(tx osemu.Tx) error { return tx.DeleteSteps(scopeA, "F1", "") })
	equal(t, "after DeleteSteps", stepIDs(listSteps(t, s)), []int64{b.ID, c.ID, d.ID})
	update(t, s, func(tx osemu.Tx) error { return tx.DeleteSteps(scopeB, "", "search") })
	equal(t, "after DeleteSteps", stepIDs(listSteps(t, s)), []int64{b.ID, d.ID})
	update(t, s, func(tx osemu.Tx) error { return tx.DeleteSteps(scopeC, "F1", "") })
	equal(t, "after DeleteSteps of nothing", stepIDs(listSteps(t, s)), []int64{b.ID, d.ID})

	// Claim order is by due time, then by ID.
	var claimed []int64
	for range 2 {
		st, err := s.ClaimStep(t.Context(), "w1", at(time.Minute), 30*time.Second)
		must(t, "ClaimStep", err)
		claimed = append(claimed, st.ID)
	}
	equal(t, "claim order", claimed, []int64{b.ID, d.ID})
	_, err := s.ClaimStep(t.Context(), "w1", at(time.Minute), 30*time.Second)
	wantErr(t, "ClaimStep with every step leased", err, osemu.ErrNotFound)
}

func testStepLeases(t *testing.T, s osemu.Store) {
	_, err := s.ClaimStep(t.Context(), "w1", at(0), time.Minute)
	wantErr(t, "ClaimStep of no steps", err, osemu.ErrNotFound)

	early := step(osemu.StepPackageCopy, scopeA, "F1", "", at(10*time.Second))
	late := step(osemu.StepPackageCopy, scopeA, "F2", "", at(20*time.Second))
	insertSteps(t, s, late, early)

	// Nothing is due yet; at its due time exactly, a step is due.
	_, err = s.ClaimStep(t.Context(), "w1", at(9*time.Second), time.Minute)
	wantErr(t, "ClaimStep before due", err, osemu.ErrNotFound)
	got, err := s.ClaimStep(t.Context(), "w1", at(10*time.Second), time.Minute)
	must(t, "ClaimStep", err)
	want := *early
	want.Attempts, want.LeaseOwner, want.LeaseUntil = 1, "w1", at(70*time.Second)
	equal(t, "claimed step", got, &want)
	equal(t, "stored step", listSteps(t, s)[1], &want)

	// While w1's lease runs, w2 gets the other step and then nothing.
	got, err = s.ClaimStep(t.Context(), "w2", at(30*time.Second), time.Minute)
	must(t, "ClaimStep", err)
	if got.ID != late.ID || got.LeaseOwner != "w2" || got.Attempts != 1 {
		t.Errorf("ClaimStep by w2: got step %d of %s attempt %d, want step %d of w2 attempt 1",
			got.ID, got.LeaseOwner, got.Attempts, late.ID)
	}
	_, err = s.ClaimStep(t.Context(), "w2", at(69*time.Second), time.Minute)
	wantErr(t, "ClaimStep while leased", err, osemu.ErrNotFound)

	// Once the lease expires, another owner takes the step over, and the
	// former owner can no longer complete it.
	got, err = s.ClaimStep(t.Context(), "w3", at(70*time.Second), time.Minute)
	must(t, "ClaimStep after lease expiry", err)
	want.Attempts, want.LeaseOwner, want.LeaseUntil = 2, "w3", at(130*time.Second)
	equal(t, "step taken over", got, &want)

	err = s.Update(t.Context(), func(tx osemu.Tx) error { return tx.CompleteStep(early.ID, "w1") })
	wantErr(t, "CompleteStep by the former owner", err, osemu.ErrLeaseLost)
	err = s.Update(t.Context(), func(tx osemu.Tx) error { return tx.CompleteStep(early.ID, "") })
	wantErr(t, "CompleteStep by no owner", err, osemu.ErrLeaseLost)
	update(t, s, func(tx osemu.Tx) error { return tx.CompleteStep(early.ID, "w3") })
	err = s.Update(t.Context(), func(tx osemu.Tx) error { return tx.CompleteStep(early.ID, "w3") })
	wantErr(t, "CompleteStep twice", err, osemu.ErrLeaseLost)
	equal(t, "steps left", stepIDs(listSteps(t, s)), []int64{late.ID})

	// An unleased step cannot be completed either.
	free := step(osemu.StepDomainDelete, scopeA, "", "d", at(0))
	insertSteps(t, s, free)
	err = s.Update(t.Context(), func(tx osemu.Tx) error { return tx.CompleteStep(free.ID, "w1") })
	wantErr(t, "CompleteStep of an unclaimed step", err, osemu.ErrLeaseLost)

	// Each claim of a step whose lease expired counts one more attempt.
	// The unclaimed step is due first, so it is the one claimed each time.
	for want := 1; want <= 3; want++ {
		got, err := s.ClaimStep(t.Context(), "w4", at(time.Duration(want+1)*time.Hour), time.Minute)
		must(t, "ClaimStep", err)
		if got.ID != free.ID || got.Attempts != want {
			t.Errorf("claim %d: got step %d attempt %d, want step %d attempt %d",
				want, got.ID, got.Attempts, free.ID, want)
		}
	}
}

// testConcurrentClaims claims from several goroutines at once: every step
// is claimed exactly once.
func testConcurrentClaims(t *testing.T, s osemu.Store) {
	var steps []*osemu.Step
	for i := range 30 {
		due := at(time.Duration(i) * time.Millisecond)
		steps = append(steps, step(osemu.StepPackageCopy, scopeA, fmt.Sprintf("F%d", i), "", due))
	}
	insertSteps(t, s, steps...)

	var mu sync.Mutex
	claims := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for {
				st, err := s.ClaimStep(t.Context(), fmt.Sprintf("w%d", w), at(time.Minute), time.Hour)
				if errors.Is(err, osemu.ErrNotFound) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				claims[st.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("ClaimStep: %v", err)
	}
	for _, st := range steps {
		if claims[st.ID] != 1 {
			t.Errorf("step %d claimed %d times, want once", st.ID, claims[st.ID])
		}
	}
}

// testNextStepDue checks the time a worker sleeps until: the earliest time
// at which a step can be claimed, its DueAt if it is not leased and its
// lease expiry if it is.
func testNextStepDue(t *testing.T, s osemu.Store) {
	next := func() (time.Time, bool) {
		t.Helper()
		due, ok, err := s.NextStepDue(t.Context())
		must(t, "NextStepDue", err)
		return due, ok
	}
	if _, ok := next(); ok {
		t.Error("NextStepDue with no steps: got ok")
	}

	a := step(osemu.StepPackageCopy, scopeA, "F1", "", at(30*time.Second))
	b := step(osemu.StepPackageCopy, scopeA, "F2", "", at(10*time.Second))
	insertSteps(t, s, a, b)
	if due, ok := next(); !ok || !due.Equal(at(10*time.Second)) {
		t.Errorf("NextStepDue: got %v %v, want %v", due, ok, at(10*time.Second))
	}

	// Leasing b until 70s leaves a, due at 30s, the next.
	_, err := s.ClaimStep(t.Context(), "w1", at(10*time.Second), time.Minute)
	must(t, "ClaimStep", err)
	if due, ok := next(); !ok || !due.Equal(at(30*time.Second)) {
		t.Errorf("NextStepDue with b leased: got %v %v, want %v", due, ok, at(30*time.Second))
	}

	// With both leased, the next is the earliest expiry.
	_, err = s.ClaimStep(t.Context(), "w1", at(40*time.Second), 10*time.Second)
	must(t, "ClaimStep", err)
	if due, ok := next(); !ok || !due.Equal(at(50*time.Second)) {
		t.Errorf("NextStepDue with all leased: got %v %v, want %v", due, ok, at(50*time.Second))
	}

	update(t, s, func(tx osemu.Tx) error {
		must(t, "CompleteStep", tx.CompleteStep(a.ID, "w1"))
		return tx.CompleteStep(b.ID, "w1")
	})
	if _, ok := next(); ok {
		t.Error("NextStepDue after completing every step: got ok")
	}
}

// testRenewLease checks that a lease can be kept past its end by its owner
// only, and released early.
func testRenewLease(t *testing.T, s osemu.Store) {
	st := step(osemu.StepPackageCopy, scopeA, "F1", "", at(0))
	insertSteps(t, s, st)
	_, err := s.ClaimStep(t.Context(), "w1", at(0), time.Minute)
	must(t, "ClaimStep", err)

	// Renewed, the lease outlives its first end.
	update(t, s, func(tx osemu.Tx) error { return tx.RenewLease(st.ID, "w1", at(2*time.Minute)) })
	_, err = s.ClaimStep(t.Context(), "w2", at(90*time.Second), time.Minute)
	wantErr(t, "ClaimStep of a renewed lease", err, osemu.ErrNotFound)
	if got := listSteps(t, s)[0]; !got.LeaseUntil.Equal(at(2*time.Minute)) || got.LeaseOwner != "w1" {
		t.Errorf("renewed step: lease of %s until %v", got.LeaseOwner, got.LeaseUntil)
	}

	// Only the owner renews.
	err = s.Update(t.Context(), func(tx osemu.Tx) error { return tx.RenewLease(st.ID, "w2", at(time.Hour)) })
	wantErr(t, "RenewLease by another owner", err, osemu.ErrLeaseLost)
	err = s.Update(t.Context(), func(tx osemu.Tx) error { return tx.RenewLease(st.ID+1000, "w1", at(time.Hour)) })
	wantErr(t, "RenewLease of a missing step", err, osemu.ErrLeaseLost)

	// Released, the step is claimable at once by another worker.
	update(t, s, func(tx osemu.Tx) error { return tx.RenewLease(st.ID, "w1", at(30*time.Second)) })
	got, err := s.ClaimStep(t.Context(), "w2", at(30*time.Second), time.Minute)
	must(t, "ClaimStep after release", err)
	if got.ID != st.ID || got.LeaseOwner != "w2" || got.Attempts != 2 {
		t.Errorf("after release: step %d of %s attempt %d", got.ID, got.LeaseOwner, got.Attempts)
	}
}
