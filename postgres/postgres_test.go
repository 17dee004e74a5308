package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/internal/sqlstore"
)

var scopeT = osemu.Scope{Account: "111111111111", Region: "us-east-1"}

// t0 is the time the tests start from, in milliseconds as AWS keeps them.
var t0 = time.Date(2024, 12, 4, 15, 47, 6, 123_000_000, time.UTC)

func mustUpdate(tb testing.TB, s osemu.Store, fn func(osemu.Tx) error) {
	tb.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

func mustView(tb testing.TB, s osemu.Store, fn func(osemu.Tx) error) {
	tb.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

func dictionary(id string, scope osemu.Scope, name string) *osemu.Package {
	return &osemu.Package{ID: id, Scope: scope, Name: name, Type: osemu.PackageTypeTxtDictionary,
		Status: osemu.PackageAvailable, CreatedAt: t0, UpdatedAt: t0}
}

// openPair opens two stores on one new schema, as two replicas would.
func openPair(t *testing.T, opts ...Option) (*Store, *Store) {
	t.Helper()
	schema := newSchema(t)
	return openSchema(t, schema, opts...), openSchema(t, schema, opts...)
}

// TestOpenConcurrently opens two stores at once on a fresh schema, again
// and again: both open, and each migration is applied exactly once.
func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		schema := newSchema(t)

		// Every other round, the schema exists and is empty.
		if round%2 == 1 {
			conn, err := pgx.Connect(t.Context(), testDSN())
			if err != nil {
				t.Fatal(err)
			}
			_, err = conn.Exec(t.Context(), `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())
			conn.Close(t.Context())
			if err != nil {
				t.Fatal(err)
			}
		}

		var stores [2]*Store
		var errs [2]error
		var wg sync.WaitGroup
		for i := range stores {
			wg.Go(func() {
				stores[i], errs[i] = Open(t.Context(), schemaDSN(t, schema), WithMaxConns(2))
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: Open %d: %v", round, i, err)
			}
		}

		var versions []int
		rows, err := stores[0].pool.Query(t.Context(),
			`SELECT version FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}
		var want []int
		for _, m := range all {
			want = append(want, m.Version)
		}
		if !slices.Equal(versions, want) {
			t.Errorf("round %d: applied migrations %v, want %v", round, versions, want)
		}

		// What one replica writes, the other reads.
		mustUpdate(t, stores[0], func(tx osemu.Tx) error {
			return tx.InsertPackage(dictionary("F1", scopeT, "dict"))
		})
		mustView(t, stores[1], func(tx osemu.Tx) error {
			_, err := tx.GetPackage("F1")
			return err
		})
		for _, s := range stores {
			s.Close()
		}
	}
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 || all[0].Version != 1 {
		t.Fatalf("migrations: got %d, want the first to be version 1", len(all))
	}
	schema := newSchema(t)
	count := func(s *Store) (n int) {
		t.Helper()
		err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Opening again applies nothing twice.
	s := openSchema(t, schema)
	if n := count(s); n != len(all) {
		t.Errorf("applied migrations: got %d, want %d", n, len(all))
	}
	s.Close()
	s = openSchema(t, schema)
	if n := count(s); n != len(all) {
		t.Errorf("after reopening: got %d migrations, want %d", n, len(all))
	}

	// A schema from a newer osemu is refused rather than misread.
	_, err = s.pool.Exec(t.Context(), `INSERT INTO schema_migrations (version, name)
		VALUES (9999, 'future')`)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), schemaDSN(t, schema), WithMaxConns(1))
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: got %v, want an error", err)
	}
}

func TestFirstSchema(t *testing.T) {
	tests := []struct{ searchPath, want string }{
		{"", ""},
		{"osemu", "osemu"},
		{"OSEMU_x, public", "osemu_x"},
		{` "My Schema" ,public`, "My Schema"},
		{`"a""b"`, `a"b`},
		{`"$user", public`, ""},
		{`$user`, ""},
	}
	for _, tc := range tests {
		if got := firstSchema(tc.searchPath); got != tc.want {
			t.Errorf("firstSchema(%q): got %q, want %q", tc.searchPath, got, tc.want)
		}
	}
}

// TestQuotedSchema opens a store on a schema whose name needs quoting.
func TestQuotedSchema(t *testing.T) {
	t.Parallel()
	schema := newSchema(t) + ` "Quoted"`
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), testDSN())
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(context.Background(),
			`DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
		if err != nil {
			t.Error(err)
		}
	})
	s := openSchema(t, `"`+strings.ReplaceAll(schema, `"`, `""`)+`"`)
	var got string
	if err := s.pool.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != schema {
		t.Errorf("current_schema: got %q, want %q", got, schema)
	}
}

// TestSettings checks the transaction modes and connection settings that
// correctness and plans rest on.
func TestSettings(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	show := func(otx osemu.Tx, setting string) string {
		t.Helper()
		var v string
		if err := otx.(*tx).t.QueryRow(t.Context(), "SHOW "+setting).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	mustUpdate(t, s, func(tx osemu.Tx) error {
		if got := show(tx, "transaction_isolation"); got != "serializable" {
			t.Errorf("Update: transaction_isolation %s, want serializable", got)
		}
		if got := show(tx, "plan_cache_mode"); got != "force_custom_plan" {
			t.Errorf("plan_cache_mode %s, want force_custom_plan", got)
		}
		if got := show(tx, "application_name"); got != "osemu" {
			t.Errorf("application_name %s, want osemu", got)
		}
		return nil
	})
	mustView(t, s, func(tx osemu.Tx) error {
		if got := show(tx, "transaction_isolation"); got != "repeatable read" {
			t.Errorf("View: transaction_isolation %s, want repeatable read", got)
		}
		if got := show(tx, "transaction_read_only"); got != "on" {
			t.Errorf("View: transaction_read_only %s, want on", got)
		}
		return nil
	})

	// View cannot write, even by mistake, and that is no outage.
	err := s.View(t.Context(), func(tx osemu.Tx) error {
		return tx.InsertBucket(&osemu.Bucket{Name: "b"})
	})
	if err == nil || errors.Is(err, osemu.ErrUnavailable) {
		t.Errorf("InsertBucket in View: got %v, want an error other than ErrUnavailable", err)
	}
}

// TestTimes checks that times are kept to the millisecond and come back in
// UTC, with the zero time kept as zero.
func TestTimes(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	in := time.Date(2024, 12, 4, 17, 47, 6, 123_456_789, time.FixedZone("CET", 3600))
	mustUpdate(t, s, func(tx osemu.Tx) error {
		return tx.InsertPackage(&osemu.Package{ID: "F1", Scope: scopeT, Name: "d", CreatedAt: in})
	})
	mustView(t, s, func(tx osemu.Tx) error {
		p, err := tx.GetPackage("F1")
		if err != nil {
			return err
		}
		want := time.Date(2024, 12, 4, 16, 47, 6, 123_000_000, time.UTC)
		if p.CreatedAt != want {
			t.Errorf("CreatedAt: got %v, want %v", p.CreatedAt, want)
		}
		if !p.UpdatedAt.IsZero() {
			t.Errorf("UpdatedAt: got %v, want the zero time", p.UpdatedAt)
		}
		return nil
	})
}

// TestFailedStatementsKeepTx checks that the statements behind ErrExists
// and ErrNotFound leave the transaction usable, as on SQLite, although a
// failed statement aborts a PostgreSQL transaction.
func TestFailedStatementsKeepTx(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	plugin := func(id, engine string) *osemu.Package {
		p := dictionary(id, scopeT, "plugin")
		p.Type, p.EngineVersion = osemu.PackageTypeZipPlugin, engine
		return p
	}
	version := &osemu.PackageVersion{PackageID: "F1", Version: 1, Blob: osemu.BlobRef{ID: "b"}}
	mustUpdate(t, s, func(tx osemu.Tx) error {
		return errors.Join(
			tx.InsertPackage(dictionary("F1", scopeT, "dict")),
			tx.InsertPackage(plugin("pkg-1", "OpenSearch_2.11")),
			tx.InsertPackage(plugin("pkg-2", "OpenSearch_2.13")),
			tx.InsertPackageVersion(version),
			tx.InsertDomain(&osemu.Domain{Scope: scopeT, Name: "d"}),
			tx.InsertBucket(&osemu.Bucket{Name: "b"}),
			tx.InsertUpload(&osemu.Upload{ID: "U1", Bucket: "b", Key: "k"}),
		)
	})

	mustUpdate(t, s, func(tx osemu.Tx) error {
		_, partErr := tx.PutPart(&osemu.Part{UploadID: "U404", Number: 1})
		failures := []struct {
			what string
			err  error
			want error
		}{
			{"InsertPackage of a taken ID", tx.InsertPackage(dictionary("F1", scopeT, "x")),
				osemu.ErrExists},
			{"InsertPackage of a taken name", tx.InsertPackage(dictionary("F2", scopeT, "dict")),
				osemu.ErrExists},
			{"UpdatePackage to a taken engine version",
				tx.UpdatePackage(plugin("pkg-2", "OpenSearch_2.11")), osemu.ErrExists},
			{"UpdatePackage of a missing package", tx.UpdatePackage(dictionary("F404", scopeT, "x")),
				osemu.ErrNotFound},
			{"InsertPackageVersion of a taken number", tx.InsertPackageVersion(version), osemu.ErrExists},
			{"InsertPackageVersion of a missing package",
				tx.InsertPackageVersion(&osemu.PackageVersion{PackageID: "F404", Version: 1}),
				osemu.ErrNotFound},
			{"InsertDomain of a taken name", tx.InsertDomain(&osemu.Domain{Scope: scopeT, Name: "d"}),
				osemu.ErrExists},
			{"InsertBucket of a taken name", tx.InsertBucket(&osemu.Bucket{Name: "b"}), osemu.ErrExists},
			{"InsertUpload of a taken ID", tx.InsertUpload(&osemu.Upload{ID: "U1"}), osemu.ErrExists},
			{"PutPart of a missing upload", partErr, osemu.ErrNotFound},
			{"DeletePackage of a missing package", tx.DeletePackage("F404"), osemu.ErrNotFound},
			{"CompleteStep of a missing step", tx.CompleteStep(404, "w"), osemu.ErrLeaseLost},
		}
		for _, f := range failures {
			if !errors.Is(f.err, f.want) {
				t.Errorf("%s: got %v, want %v", f.what, f.err, f.want)
			}
		}
		return tx.InsertBucket(&osemu.Bucket{Name: "after"})
	})

	mustView(t, s, func(tx osemu.Tx) error {
		if _, err := tx.GetBucket("after"); err != nil {
			t.Errorf("bucket written after the failures: %v", err)
		}
		p, err := tx.GetPackage("pkg-2")
		if err != nil {
			return err
		}
		if p.EngineVersion != "OpenSearch_2.13" {
			t.Errorf("engine version after a refused update: got %s", p.EngineVersion)
		}
		return nil
	})
}

// TestClaimAcrossStores claims from two stores, as two replicas would, 50
// times at once over 20 due steps: each step is handed out exactly once,
// and the 30 claims left over find nothing.
func TestClaimAcrossStores(t *testing.T) {
	t.Parallel()
	s1, s2 := openPair(t)
	var steps []*osemu.Step
	mustUpdate(t, s1, func(tx osemu.Tx) error {
		for i := range 20 {
			st := &osemu.Step{Kind: osemu.StepPackageCopy, Scope: scopeT,
				PackageID: fmt.Sprintf("F%d", i), DueAt: t0.Add(time.Duration(i%5) * time.Second)}
			if err := tx.InsertStep(st); err != nil {
				return err
			}
			steps = append(steps, st)
		}
		return nil
	})

	const claims = 50
	var (
		mu       sync.Mutex
		owners   = map[int64][]string{}
		notFound int
		errs     []error
		wg       sync.WaitGroup
	)
	for i := range claims {
		s := []*Store{s1, s2}[i%2]
		owner := fmt.Sprintf("w%d", i)
		wg.Go(func() {
			st, err := s.ClaimStep(t.Context(), owner, t0.Add(time.Minute), time.Hour)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, osemu.ErrNotFound):
				notFound++
			case err != nil:
				errs = append(errs, err)
			default:
				owners[st.ID] = append(owners[st.ID], owner)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("ClaimStep: %v", err)
	}
	if notFound != claims-len(steps) {
		t.Errorf("claims that found nothing: got %d, want %d", notFound, claims-len(steps))
	}

	// The stored leases are those the claims returned.
	var stored []*osemu.Step
	mustView(t, s2, func(tx osemu.Tx) (err error) {
		stored, err = tx.ListSteps()
		return err
	})
	for _, st := range stored {
		if got := owners[st.ID]; len(got) != 1 || st.LeaseOwner != got[0] || st.Attempts != 1 {
			t.Errorf("step %d: claimed by %q, stored lease of %q, attempts %d; want one claim",
				st.ID, got, st.LeaseOwner, st.Attempts)
		}
	}
	if len(stored) != len(steps) {
		t.Errorf("steps: got %d, want %d", len(stored), len(steps))
	}
}

// increment adds one to the version of package F1, read and written back
// in one Update, and counts the runs of fn.
func increment(ctx context.Context, s osemu.Store, runs *atomic.Int32) error {
	return s.Update(ctx, func(tx osemu.Tx) error {
		runs.Add(1)
		p, err := tx.GetPackage("F1")
		if err != nil {
			return err
		}
		p.Version++
		return tx.UpdatePackage(p)
	})
}

// version returns the version of package F1.
func version(t *testing.T, s osemu.Store) int {
	t.Helper()
	var v int
	mustView(t, s, func(tx osemu.Tx) error {
		p, err := tx.GetPackage("F1")
		if err == nil {
			v = p.Version
		}
		return err
	})
	return v
}

// TestUpdateRetry checks that an Update whose read another replica's
// commit made stale runs fn again, on the new state: the second writer's
// update is not lost.
func TestUpdateRetry(t *testing.T) {
	t.Parallel()
	s1, s2 := openPair(t)
	mustUpdate(t, s1, func(tx osemu.Tx) error {
		return tx.InsertPackage(dictionary("F1", scopeT, "counter"))
	})

	// The first run of fn reads, waits for s2 to commit its increment,
	// then writes what it read plus one.
	read, written := make(chan struct{}), make(chan struct{})
	var runs atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- s1.Update(t.Context(), func(tx osemu.Tx) error {
			n := runs.Add(1)
			p, err := tx.GetPackage("F1")
			if err != nil {
				return err
			}
			if n == 1 {
				close(read)
				<-written
			}
			p.Version++
			return tx.UpdatePackage(p)
		})
	}()
	<-read
	var other atomic.Int32
	if err := increment(t.Context(), s2, &other); err != nil {
		t.Fatalf("concurrent increment: %v", err)
	}
	close(written)
	if err := <-done; err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got := runs.Load(); got != 2 {
		t.Errorf("runs of fn: got %d, want 2", got)
	}
	if got := version(t, s1); got != 2 {
		t.Errorf("counter: got %d, want 2", got)
	}
}

// TestUpdateGivesUp checks that an Update that cannot serialize within its
// attempts fails with ErrUnavailable, a retryable error, and the
// serialization failure.
func TestUpdateGivesUp(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	s1, s2 := openSchema(t, schema, WithMaxAttempts(1)), openSchema(t, schema)
	mustUpdate(t, s1, func(tx osemu.Tx) error {
		return tx.InsertPackage(dictionary("F1", scopeT, "counter"))
	})

	read, written := make(chan struct{}), make(chan struct{})
	var runs atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- s1.Update(t.Context(), func(tx osemu.Tx) error {
			runs.Add(1)
			p, err := tx.GetPackage("F1")
			if err != nil {
				return err
			}
			close(read)
			<-written
			p.Version++
			return tx.UpdatePackage(p)
		})
	}()
	<-read
	var other atomic.Int32
	if err := increment(t.Context(), s2, &other); err != nil {
		t.Fatalf("concurrent increment: %v", err)
	}
	close(written)
	err := <-done
	var pe *pgconn.PgError
	if !errors.Is(err, osemu.ErrUnavailable) || !errors.As(err, &pe) || pe.Code != "40001" {
		t.Errorf("Update: got %v, want ErrUnavailable and a serialization failure", err)
	}
	if got := runs.Load(); got != 1 {
		t.Errorf("runs of fn: got %d, want 1", got)
	}
	if got := version(t, s1); got != 1 {
		t.Errorf("counter: got %d, want 1", got)
	}
}

// TestCounterAcrossStores increments one counter from many goroutines of
// two stores, each a read and a write back in one Update: with the retries
// of serializable transactions, no increment is lost.
func TestCounterAcrossStores(t *testing.T) {
	t.Parallel()
	s1, s2 := openPair(t)
	mustUpdate(t, s1, func(tx osemu.Tx) error {
		return tx.InsertPackage(dictionary("F1", scopeT, "counter"))
	})
	const workers, rounds = 4, 10
	var runs atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*rounds)
	for _, s := range []*Store{s1, s2} {
		for range workers {
			wg.Go(func() {
				for range rounds {
					errs <- increment(t.Context(), s, &runs)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("increment: %v", err)
		}
	}
	if got, want := version(t, s1), 2*workers*rounds; got != want {
		t.Errorf("counter: got %d, want %d", got, want)
	}
	t.Logf("%d increments took %d runs of fn", 2*workers*rounds, runs.Load())
}

// TestUniqueNameAcrossStores races two stores to create a package of one
// name, each checking first that the name is free, as the service does:
// both checks pass before either writes, exactly one create wins, and the
// other fails with ErrExists. Without the check, the insert itself finds
// the name taken.
func TestUniqueNameAcrossStores(t *testing.T) {
	t.Parallel()
	s1, s2 := openPair(t)
	for round := range 10 {
		name := fmt.Sprintf("dict-%d", round)
		check := round%2 == 0

		// Both first runs pass the barrier together, after their check.
		var barrier sync.WaitGroup
		barrier.Add(2)
		var errs [2]error
		var wg sync.WaitGroup
		for i, s := range []*Store{s1, s2} {
			wg.Go(func() {
				var runs int
				errs[i] = s.Update(t.Context(), func(tx osemu.Tx) error {
					runs++
					ps, err := tx.FindPackages(osemu.PackageQuery{Scope: scopeT, Names: []string{name}})
					if err != nil {
						return err
					}
					if runs == 1 {
						barrier.Done()
						barrier.Wait()
					}
					if check && len(ps) > 0 {
						return fmt.Errorf("name %s: %w", name, osemu.ErrExists)
					}
					return tx.InsertPackage(dictionary(fmt.Sprintf("F%d-%d", round, i), scopeT, name))
				})
			})
		}
		wg.Wait()

		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, osemu.ErrExists):
				t.Errorf("round %d: store %d: got %v, want nil or ErrExists", round, i, err)
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d creates won (errors %v), want 1", round, wins, errs)
		}
		mustView(t, s1, func(tx osemu.Tx) error {
			ps, err := tx.FindPackages(osemu.PackageQuery{Names: []string{name}})
			if len(ps) != 1 {
				t.Errorf("round %d: %d packages named %s, want 1", round, len(ps), name)
			}
			return err
		})
	}
}

// TestSeqCommitOrder checks that a package insert waits for another
// transaction that inserted a package to end, so that seqs follow commit
// order across replicas and a walk of pages by seq misses no package
// created during the walk.
func TestSeqCommitOrder(t *testing.T) {
	t.Parallel()
	s1, s2 := openPair(t)
	a, b := dictionary("F1", scopeT, "a"), dictionary("F2", scopeT, "b")

	inserted, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s1.Update(t.Context(), func(tx osemu.Tx) error {
			if err := tx.InsertPackage(a); err != nil {
				return err
			}
			close(inserted)
			<-release
			return nil
		})
	}()
	<-inserted
	second := make(chan error, 1)
	go func() {
		second <- s2.Update(t.Context(), func(tx osemu.Tx) error { return tx.InsertPackage(b) })
	}()

	// The second insert waits for the first transaction's lock.
	const waiting = `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
		AND classid = $1 AND objid = 'packages'::regclass::oid`
	for {
		select {
		case err := <-second:
			t.Fatalf("package inserted while another insert was uncommitted (error %v)", err)
		default:
		}
		var n int
		if err := s1.pool.QueryRow(t.Context(), waiting, uint32(seqLockClass)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if a.Seq >= b.Seq {
		t.Errorf("seqs: first committed %d, second %d; want increasing", a.Seq, b.Seq)
	}
}

// TestUnavailable checks that a database that cannot be reached fails
// calls with ErrUnavailable, and that the store recovers by itself when
// the database is back.
func TestUnavailable(t *testing.T) {
	t.Parallel()

	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	_, err = Open(t.Context(), hostDSN(t, testDSN(), closed))
	if !errors.Is(err, osemu.ErrUnavailable) {
		t.Errorf("Open on a closed port: got %v, want ErrUnavailable", err)
	}

	s, p := openProxied(t)
	mustUpdate(t, s, func(tx osemu.Tx) error {
		return tx.InsertPackage(dictionary("F1", scopeT, "dict"))
	})
	ref, err := s.WriteBlob(t.Context(), strings.NewReader("content"))
	if err != nil {
		t.Fatal(err)
	}

	ops := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"View", func(ctx context.Context) error {
			return s.View(ctx, func(tx osemu.Tx) error {
				_, err := tx.GetPackage("F1")
				return err
			})
		}},
		{"Update", func(ctx context.Context) error {
			return s.Update(ctx, func(tx osemu.Tx) error {
				_, err := tx.PutMetaIfAbsent("k", []byte("v"))
				return err
			})
		}},
		{"ClaimStep", func(ctx context.Context) error {
			_, err := s.ClaimStep(ctx, "w", t0, time.Minute)
			if errors.Is(err, osemu.ErrNotFound) {
				err = nil
			}
			return err
		}},
		{"NextStepDue", func(ctx context.Context) error {
			_, _, err := s.NextStepDue(ctx)
			return err
		}},
		{"WriteBlob", func(ctx context.Context) error {
			_, err := s.WriteBlob(ctx, strings.NewReader("more"))
			return err
		}},
		{"OpenBlob", func(ctx context.Context) error {
			rc, err := s.OpenBlob(ctx, ref.ID)
			if err != nil {
				return err
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err == nil && string(b) != "content" {
				err = fmt.Errorf("read %q", b)
			}
			return err
		}},
	}
	works := func(when string) {
		t.Helper()
		for _, op := range ops {
			if err := op.run(t.Context()); err != nil {
				t.Errorf("%s %s: %v", op.name, when, err)
			}
		}
	}
	fails := func(when string, timeout time.Duration, also error) {
		t.Helper()
		for _, op := range ops {
			ctx, cancel := t.Context(), context.CancelFunc(func() {})
			if timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, timeout)
			}
			err := op.run(ctx)
			cancel()
			if !errors.Is(err, osemu.ErrUnavailable) || also != nil && !errors.Is(err, also) {
				t.Errorf("%s %s: got %v, want ErrUnavailable", op.name, when, err)
			}
		}
	}

	// The server restarts: the pooled connections die, and the store
	// reconnects without failing a transaction.
	p.kill()
	if err := ops[0].run(t.Context()); err != nil {
		t.Errorf("View after a restart: %v", err)
	}
	p.kill()
	if err := ops[1].run(t.Context()); err != nil {
		t.Errorf("Update after a restart: %v", err)
	}
	works("after restarts")

	// The server is gone, then back.
	p.stop()
	fails("with the database down", 0, nil)
	p.start()
	works("with the database back")

	// The server accepts connections and never answers: the caller's
	// deadline ends the wait, and the failure is still an outage.
	p.hang()
	fails("with the database hung, before a deadline", 100*time.Millisecond,
		context.DeadlineExceeded)
	p.stop()
	p.start()
	works("with the database back after hanging")
}

// TestConnectTimeout checks that a database that accepts connections and
// never answers fails a call with ErrUnavailable once the connect timeout
// passes, when the caller set no deadline.
func TestConnectTimeout(t *testing.T) {
	t.Parallel()
	p := newProxy(t)
	schema := newSchema(t)
	dsn := withParam(t, p.dsn(schema), "connect_timeout", "1")
	s, err := Open(t.Context(), dsn, WithMaxConns(2))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p.hang()
	err = s.View(context.Background(), func(osemu.Tx) error { return nil })
	if !errors.Is(err, osemu.ErrUnavailable) {
		t.Errorf("View with the database hung: got %v, want ErrUnavailable", err)
	}

	// A connection that died tries, in the background, to cancel its
	// query over a new connection, which would hang as well: the pool's
	// Close waits for it.
	p.stop()
}

// TestErrorMapping checks how driver errors translate into the store's
// sentinels.
func TestErrorMapping(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code}) }
	opErr := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	tests := []struct {
		name     string
		err      error
		readOnly bool
		want     error // nil: none of the sentinels
		broken   bool
	}{
		{"no rows", pgx.ErrNoRows, false, osemu.ErrNotFound, false},
		{"unique violation", pg("23505"), false, osemu.ErrExists, false},
		{"foreign key violation", pg("23503"), false, osemu.ErrNotFound, false},
		{"admin shutdown", pg("57P01"), false, osemu.ErrUnavailable, true},
		{"crash shutdown", pg("57P02"), false, osemu.ErrUnavailable, true},
		{"cannot connect now", pg("57P03"), false, osemu.ErrUnavailable, false},
		{"connection failure", pg("08006"), false, osemu.ErrUnavailable, true},
		{"too many connections", pg("53300"), false, osemu.ErrUnavailable, false},
		{"standby refuses a write", pg("25006"), false, osemu.ErrUnavailable, false},
		{"write in a read-only transaction", pg("25006"), true, nil, false},
		{"serialization failure", pg("40001"), false, nil, false},
		{"deadlock", pg("40P01"), false, nil, false},
		{"undefined table", pg("42P01"), false, nil, false},
		{"reset connection", fmt.Errorf("receive: %w", opErr), false, osemu.ErrUnavailable, true},
		{"cut read", fmt.Errorf("receive: %w", io.ErrUnexpectedEOF), false, osemu.ErrUnavailable, true},
		{"closed connection", pgconn.ErrConnClosed, false, osemu.ErrUnavailable, true},
		{"canceled", fmt.Errorf("query: %w", context.Canceled), false, nil, false},
	}
	sentinels := []error{osemu.ErrNotFound, osemu.ErrExists, osemu.ErrUnavailable}
	for _, tc := range tests {
		got := dbErr(tc.err, tc.readOnly)
		for _, s := range sentinels {
			if want := s == tc.want; errors.Is(got, s) != want {
				t.Errorf("%s: dbErr gives %v; errors.Is(%v) = %v, want %v", tc.name, got, s, !want, want)
			}
		}
		if tc.want != osemu.ErrNotFound && !errors.Is(got, tc.err) {
			t.Errorf("%s: dbErr gives %v, which does not wrap %v", tc.name, got, tc.err)
		}
		if b := brokenConn(got); b != tc.broken {
			t.Errorf("%s: brokenConn = %v, want %v", tc.name, b, tc.broken)
		}
	}
	if got := retryable(dbErr(pg("40001"), false)); !got {
		t.Error("a serialization failure is not retryable")
	}
	if got := retryable(dbErr(pg("40P01"), false)); !got {
		t.Error("a deadlock is not retryable")
	}

	// A deadline that passes while connecting is an outage too.
	err := connectErr(fmt.Errorf("connect: %w", context.DeadlineExceeded))
	if !errors.Is(err, osemu.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("connectErr of a deadline: got %v, want ErrUnavailable and the deadline", err)
	}
}

func TestSuccessor(t *testing.T) {
	tests := []struct {
		prefix, want string
		ok           bool
	}{
		{"", "", false},
		{"a", "b", true},
		{"a/", "a0", true},
		{"é", "ê", true},
		{"a\U0010FFFF", "b", true},
		{"\U0010FFFF\U0010FFFF", "", false},
		{"\uD7FF", "\uE000", true},
		{"a\u007F", "a\u0080", true},
	}
	for _, tc := range tests {
		got, ok := successor(tc.prefix)
		if got != tc.want || ok != tc.ok {
			t.Errorf("successor(%q): got %q %v, want %q %v", tc.prefix, got, ok, tc.want, tc.ok)
		}
	}
}

// TestKeyEdges lists objects and uploads with prefixes and keys that
// PostgreSQL text cannot hold or that have no successor.
func TestKeyEdges(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	keys := []string{"a", "a\U0010FFFF", "a\U0010FFFFb", "b", "\U0010FFFF", "\U0010FFFFz"}
	mustUpdate(t, s, func(tx osemu.Tx) error {
		for _, k := range keys {
			o := &osemu.Object{Bucket: "b", Key: k, Blob: osemu.BlobRef{ID: "x"}}
			if _, err := tx.PutObject(o); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		prefix, after string
		want          []string
	}{
		{"a\U0010FFFF", "", []string{"a\U0010FFFF", "a\U0010FFFFb"}},
		{"\U0010FFFF", "", []string{"\U0010FFFF", "\U0010FFFFz"}},
		{"a\xff", "", nil}, // not UTF-8: no key starts with it
	}
	mustView(t, s, func(tx osemu.Tx) error {
		for _, tc := range tests {
			objs, err := tx.ListObjects("b", tc.prefix, tc.after, 0)
			if err != nil {
				return err
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.Key)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ListObjects(prefix %q, after %q): got %q, want %q",
					tc.prefix, tc.after, got, tc.want)
			}
		}
		if _, err := tx.ListObjects("b", "", "a\xff", 0); err == nil {
			t.Error("ListObjects after a key that is not UTF-8: got no error")
		}
		return nil
	})
}

// TestBlobChunks checks that a blob is stored in 1 MiB chunks, and that
// deleting a blob under a reader fails the read rather than truncating the
// content silently.
func TestBlobChunks(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	content := strings.Repeat("x", 2*sqlstore.ChunkSize+1)
	ref, err := s.WriteBlob(t.Context(), strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.pool.Query(t.Context(),
		`SELECT seq, length(data) FROM blobs WHERE blob_id = $1 ORDER BY seq`, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	type chunk struct{ Seq, Size int }
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[chunk])
	if err != nil {
		t.Fatal(err)
	}
	if want := []chunk{{0, sqlstore.ChunkSize}, {1, sqlstore.ChunkSize}, {2, 1}}; !slices.Equal(got, want) {
		t.Errorf("chunks: got %v, want %v", got, want)
	}

	rc, err := s.OpenBlob(t.Context(), ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, func(tx osemu.Tx) error { return tx.DeleteBlob(ref.ID) })
	if _, err := io.ReadAll(rc); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read of a deleted blob: got %v, want io.ErrUnexpectedEOF", err)
	}
}

// TestFrozenDatabase checks that a database that keeps its connections but
// stops answering fails operations with ErrUnavailable once the operation
// timeout passes, rather than leaving them waiting, and that the store
// works again once it answers.
func TestFrozenDatabase(t *testing.T) {
	t.Parallel()
	s, p := openProxied(t, WithOpTimeout(300*time.Millisecond))
	view := func() error { return s.View(context.Background(), func(osemu.Tx) error { return nil }) }
	if err := view(); err != nil {
		t.Fatal(err)
	}

	p.freeze()
	err := view()
	if !errors.Is(err, osemu.ErrUnavailable) {
		t.Errorf("View with the database frozen: got %v, want ErrUnavailable", err)
	}
	_, _, err = s.NextStepDue(context.Background())
	if !errors.Is(err, osemu.ErrUnavailable) {
		t.Errorf("NextStepDue with the database frozen: got %v, want ErrUnavailable", err)
	}

	p.thaw()
	var last error
	for range 50 {
		if last = view(); last == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("View after the database answers again: %v", last)
}
