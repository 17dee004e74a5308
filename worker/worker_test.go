package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/service"
	"github.com/osemu/osemu/source"
	"github.com/osemu/osemu/sqlite"
)

var ctx = context.Background()

const delay = time.Second

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fetcher serves objects from a map; an object whose content is "BROKEN"
// fails halfway through the read.
type fetcher map[string]string

func (f fetcher) Fetch(
	_ context.Context, _ osemu.Scope, loc osemu.S3Location,
) (io.ReadCloser, int64, error) {
	content, ok := f[loc.Bucket+"/"+loc.Key]
	if !ok {
		return nil, 0, fmt.Errorf("fetch: %w", source.ErrNoSuchKey)
	}
	if content == "SHORT" {
		// The object says it is longer than what its stream gives.
		return io.NopCloser(strings.NewReader(content)), int64(len(content) + 50), nil
	}
	if content == "BROKEN" {
		return io.NopCloser(io.MultiReader(strings.NewReader("partial"), errReader{})), -1, nil
	}
	return io.NopCloser(strings.NewReader(content)), int64(len(content)), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

type fixture struct {
	store *sqlite.Store
	clock *clock
	svc   *service.Service
	scope osemu.Scope
	fetch fetcher
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "osemu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c := &clock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	quiet := slog.New(slog.DiscardHandler)
	return &fixture{
		store: store,
		clock: c,
		svc:   service.New(service.Config{Store: store, Clock: c, Delay: delay, Logger: quiet}),
		scope: osemu.Scope{Account: "111111111111", Region: "us-east-1"},
		fetch: fetcher{"dicts/a.txt": "car, automobile\n", "dicts/bad.txt": "caf\xe9\n", "dicts/broken.txt": "BROKEN", "dicts/short.txt": "SHORT"},
	}
}

func (f *fixture) worker(owner string) *Worker {
	return New(Config{
		Store: f.store, Fetcher: f.fetch, Clock: f.clock, Delay: delay,
		Owner: owner, Lease: 10 * time.Second, Logger: slog.New(slog.DiscardHandler),
	})
}

func (f *fixture) pkg(t *testing.T, id string) *osemu.Package {
	t.Helper()
	var p *osemu.Package
	err := f.store.View(ctx, func(tx osemu.Tx) error {
		var err error
		p, err = tx.GetPackage(id)
		return err
	})
	if err != nil {
		t.Fatalf("get package %s: %v", id, err)
	}
	return p
}

func (f *fixture) create(t *testing.T, name, key string) string {
	t.Helper()
	p, err := f.svc.CreatePackage(ctx, f.scope, service.CreatePackageInput{
		Name: name, Type: osemu.PackageTypeTxtDictionary,
		Source: osemu.S3Location{Bucket: "dicts", Key: key},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// runAfter moves the clock and runs due steps with w, returning how many.
func runAfter(t *testing.T, f *fixture, w *Worker, d time.Duration) int {
	t.Helper()
	f.clock.Add(d)
	n, err := w.RunDue(ctx)
	if err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	return n
}

func TestImportSteps(t *testing.T) {
	f := newFixture(t)
	w := f.worker("a")
	id := f.create(t, "synonyms", "a.txt")

	if n := runAfter(t, f, w, delay-time.Millisecond); n != 0 {
		t.Fatalf("ran %d steps before they were due", n)
	}
	if n := runAfter(t, f, w, time.Millisecond); n != 1 {
		t.Fatalf("ran %d steps at the copy's due time, want 1", n)
	}
	p := f.pkg(t, id)
	if p.Status != osemu.PackageValidating || p.Pending == nil || p.Pending.Blob == nil {
		t.Fatalf("after the copy: %s pending %+v, want VALIDATING with the copied blob", p.Status, p.Pending)
	}
	if p.Pending.Blob.Size != int64(len("car, automobile\n")) {
		t.Errorf("copied %d bytes", p.Pending.Blob.Size)
	}

	runAfter(t, f, w, delay)
	p = f.pkg(t, id)
	if p.Status != osemu.PackageAvailable || p.Version != 1 || p.Pending != nil || p.ErrorDetails != nil {
		t.Fatalf("after validation: %+v, want AVAILABLE v1", p)
	}

	var v *osemu.PackageVersion
	err := f.store.View(ctx, func(tx osemu.Tx) error {
		var err error
		v, err = tx.GetPackageVersion(id, 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.store.OpenBlob(ctx, v.Blob.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	content, _ := io.ReadAll(rc)
	if string(content) != "car, automobile\n" {
		t.Errorf("version 1 holds %q, want the S3 object's bytes", content)
	}
}

func TestImportFailures(t *testing.T) {
	tests := []struct {
		key        string
		wantStatus osemu.PackageStatus
		wantType   string
	}{
		{"missing.txt", osemu.PackageCopyFailed, "NoSuchKey"},
		{"broken.txt", osemu.PackageCopyFailed, "CopyFailed"},
		{"short.txt", osemu.PackageCopyFailed, "CopyFailed"},
		{"bad.txt", osemu.PackageValidationFailed, "InvalidEncoding"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			f := newFixture(t)
			w := f.worker("a")
			id := f.create(t, "dict", tt.key)
			runAfter(t, f, w, delay)
			runAfter(t, f, w, delay)

			p := f.pkg(t, id)
			if p.Status != tt.wantStatus || p.ErrorDetails == nil || p.ErrorDetails.ErrorType != tt.wantType {
				t.Fatalf("got %s %+v, want %s with %s", p.Status, p.ErrorDetails, tt.wantStatus, tt.wantType)
			}
			if p.Pending != nil || p.Version != 0 {
				t.Errorf("failed import left pending %+v version %d", p.Pending, p.Version)
			}
			if !strings.Contains(p.ErrorDetails.ErrorMessage, "dicts") && tt.wantStatus == osemu.PackageCopyFailed {
				t.Errorf("message %q does not name the object", p.ErrorDetails.ErrorMessage)
			}
		})
	}
}

// setupAssociation returns a package AVAILABLE and a domain Active, with an
// association of the two ASSOCIATING.
func setupAssociation(t *testing.T, f *fixture, w *Worker) string {
	t.Helper()
	id := f.create(t, "synonyms", "a.txt")
	if _, err := f.svc.CreateDomain(ctx, f.scope, service.CreateDomainInput{Name: "search"}); err != nil {
		t.Fatal(err)
	}
	runAfter(t, f, w, delay)
	runAfter(t, f, w, delay)
	if _, err := f.svc.AssociatePackage(ctx, f.scope, "search", service.AssociateItem{PackageID: id}); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) assoc(t *testing.T, id string) *osemu.Association {
	t.Helper()
	var a *osemu.Association
	err := f.store.View(ctx, func(tx osemu.Tx) error {
		var err error
		a, err = tx.GetAssociation(f.scope, "search", id)
		return err
	})
	if errors.Is(err, osemu.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDeadWorkersStepIsTakenOver(t *testing.T) {
	f := newFixture(t)
	a, b := f.worker("a"), f.worker("b")
	id := setupAssociation(t, f, a)

	// Worker a claims the step and dies before finishing it.
	f.clock.Add(delay)
	step, err := f.store.ClaimStep(ctx, "a", f.clock.Now(), a.lease)
	if err != nil || step.Kind != osemu.StepAssociate {
		t.Fatalf("claim: %+v %v, want the associate step", step, err)
	}

	if n := runAfter(t, f, b, 0); n != 0 {
		t.Fatalf("worker b ran %d steps while a's lease runs", n)
	}
	if n := runAfter(t, f, b, a.lease); n != 1 {
		t.Fatalf("worker b ran %d steps after a's lease expired, want 1", n)
	}
	if got := f.assoc(t, id); got.Status != osemu.AssocActive {
		t.Fatalf("got %s, want ACTIVE", got.Status)
	}

	// a wakes up and tries to finish: nothing of it commits.
	before := f.assoc(t, id).UpdatedAt
	f.clock.Add(time.Minute)
	if err := a.runStep(ctx, step); !errors.Is(err, osemu.ErrLeaseLost) {
		t.Fatalf("late finish: got %v, want ErrLeaseLost", err)
	}
	if got := f.assoc(t, id); !got.UpdatedAt.Equal(before) {
		t.Errorf("the late finish changed the association: %v -> %v", before, got.UpdatedAt)
	}
}

func TestSupersededStepDoesNotApply(t *testing.T) {
	f := newFixture(t)
	w := f.worker("a")
	id := setupAssociation(t, f, w)

	f.clock.Add(delay)
	step, err := f.store.ClaimStep(ctx, "a", f.clock.Now(), w.lease)
	if err != nil {
		t.Fatal(err)
	}
	// While the associate step runs, the client dissociates: the dissociate
	// step replaces it.
	if _, err := f.svc.DissociatePackage(ctx, f.scope, "search", id); err != nil {
		t.Fatal(err)
	}
	if err := w.runStep(ctx, step); !errors.Is(err, osemu.ErrLeaseLost) {
		t.Fatalf("got %v, want ErrLeaseLost", err)
	}
	if got := f.assoc(t, id); got.Status != osemu.AssocDissociating {
		t.Fatalf("got %s, want DISSOCIATING untouched by the superseded step", got.Status)
	}
	runAfter(t, f, w, delay)
	if got := f.assoc(t, id); got != nil {
		t.Fatalf("association still there after dissociation: %+v", got)
	}
}

func TestDeleteStepRemovesContent(t *testing.T) {
	f := newFixture(t)
	w := f.worker("a")
	id := f.create(t, "synonyms", "a.txt")
	runAfter(t, f, w, delay)
	runAfter(t, f, w, delay)
	blob := func() string {
		var v *osemu.PackageVersion
		_ = f.store.View(ctx, func(tx osemu.Tx) error {
			var err error
			v, err = tx.GetPackageVersion(id, 1)
			return err
		})
		return v.Blob.ID
	}()

	if _, err := f.svc.DeletePackage(ctx, f.scope, id); err != nil {
		t.Fatal(err)
	}
	runAfter(t, f, w, delay)

	err := f.store.View(ctx, func(tx osemu.Tx) error {
		_, err := tx.GetPackage(id)
		return err
	})
	if !errors.Is(err, osemu.ErrNotFound) {
		t.Errorf("package after deletion: %v, want ErrNotFound", err)
	}
	if _, err := f.store.OpenBlob(ctx, blob); !errors.Is(err, osemu.ErrNotFound) {
		t.Errorf("content after deletion: %v, want ErrNotFound", err)
	}
}

func TestRunWakesOnNotify(t *testing.T) {
	f := newFixture(t)
	w := New(Config{
		Store: f.store, Fetcher: f.fetch, Delay: 0, Poll: time.Hour,
		Logger: slog.New(slog.DiscardHandler),
	})
	svc := service.New(service.Config{Store: f.store, Delay: 0, Notify: w.Notify, Logger: slog.New(slog.DiscardHandler)})

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()

	p, err := svc.CreatePackage(ctx, f.scope, service.CreatePackageInput{
		Name: "synonyms", Type: osemu.PackageTypeTxtDictionary,
		Source: osemu.S3Location{Bucket: "dicts", Key: "a.txt"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// With an hour-long poll, only the notification can get the steps run.
	for range 200 {
		if f.pkg(t, p.ID).Status == osemu.PackageAvailable {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("package still %s: the worker did not wake", f.pkg(t, p.ID).Status)
}

// slowFetcher serves an object after a pause, like a large plugin from a
// slow S3.
type slowFetcher struct {
	fetcher
	pause time.Duration
}

func (f slowFetcher) Fetch(
	ctx context.Context, scope osemu.Scope, loc osemu.S3Location,
) (io.ReadCloser, int64, error) {
	select {
	case <-time.After(f.pause):
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	return f.fetcher.Fetch(ctx, scope, loc)
}

// TestLongStepKeepsItsLease checks that a step running longer than a lease
// is not taken over by another worker while it runs.
func TestLongStepKeepsItsLease(t *testing.T) {
	f := newFixture(t)
	quiet := slog.New(slog.DiscardHandler)
	const lease = 500 * time.Millisecond
	// The validation the copy schedules is due only in an hour, so the
	// other worker has nothing legitimate to run.
	slow := New(Config{Store: f.store, Fetcher: slowFetcher{f.fetch, 3 * lease}, Owner: "slow",
		Lease: lease, Delay: time.Hour, Logger: quiet})
	other := New(Config{Store: f.store, Fetcher: f.fetch, Owner: "other", Lease: lease, Logger: quiet})
	svc := service.New(service.Config{Store: f.store, Logger: quiet})
	p, err := svc.CreatePackage(ctx, f.scope, service.CreatePackageInput{
		Name: "synonyms", Type: osemu.PackageTypeTxtDictionary,
		Source: osemu.S3Location{Bucket: "dicts", Key: "a.txt"},
	})
	if err != nil {
		t.Fatal(err)
	}

	// The other worker keeps looking for steps while the slow one copies.
	stop, stopped := make(chan struct{}), make(chan struct{})
	stolen := 0
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-time.After(lease / 5):
				n, _ := other.RunDue(ctx)
				stolen += n
			}
		}
	}()
	step, err := f.store.ClaimStep(ctx, "slow", time.Now(), lease)
	if err != nil {
		t.Fatal(err)
	}
	err = slow.runLeased(ctx, step)
	close(stop)
	<-stopped
	if err != nil {
		t.Fatalf("the long step: %v", err)
	}
	if stolen != 0 {
		t.Errorf("another worker ran %d steps while the long one held its lease", stolen)
	}
	if got := f.pkg(t, p.ID); got.Status != osemu.PackageValidating {
		t.Errorf("after the long copy: %s, want VALIDATING", got.Status)
	}
}

// TestStoppingReleasesTheLease checks that a worker that stops mid-step
// hands the step back at once rather than after its lease.
func TestStoppingReleasesTheLease(t *testing.T) {
	f := newFixture(t)
	quiet := slog.New(slog.DiscardHandler)
	slow := New(Config{Store: f.store, Fetcher: slowFetcher{f.fetch, time.Hour}, Owner: "slow",
		Lease: time.Hour, Logger: quiet})
	svc := service.New(service.Config{Store: f.store, Logger: quiet})
	if _, err := svc.CreatePackage(ctx, f.scope, service.CreatePackageInput{
		Name: "synonyms", Type: osemu.PackageTypeTxtDictionary,
		Source: osemu.S3Location{Bucket: "dicts", Key: "a.txt"},
	}); err != nil {
		t.Fatal(err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	step, err := f.store.ClaimStep(ctx, "slow", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_ = slow.runLeased(runCtx, step)

	if _, err := f.store.ClaimStep(ctx, "other", time.Now(), time.Minute); err != nil {
		t.Errorf("the step of a stopped worker: %v, want it claimable at once", err)
	}
}
