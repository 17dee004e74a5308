// Package sqlite is the embedded storage engine of osemu: an osemu.Store in
// one SQLite database file, through the pure-Go driver modernc.org/sqlite.
//
// The database runs in WAL mode with synchronous=FULL, so that nothing a
// commit acknowledged is lost, even on power loss. Writes go through a
// single connection whose transactions begin IMMEDIATE: writers queue in
// the connection pool instead of meeting SQLITE_BUSY halfway through a
// transaction. Reads use a separate pool of query-only connections, which
// WAL lets run beside the writer.
//
// Values round-trip exactly, with these normalizations: times come back in
// UTC truncated to milliseconds (the zero time stays zero); empty slices,
// maps and json.RawMessage come back nil.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/internal/sqlstore"
)

var _ osemu.Store = (*Store)(nil)

// Store is an osemu.Store in a SQLite database file.
type Store struct {
	w *sql.DB // the single writer connection
	r *sql.DB // query-only readers
}

// Option configures Open.
type Option func(*options)

type options struct {
	readers     int
	busyTimeout time.Duration
}

// WithReaders sets how many read connections View may use at once. The
// default is twice the number of CPUs, at least 4.
func WithReaders(n int) Option { return func(o *options) { o.readers = n } }

// WithBusyTimeout sets how long a statement waits for a lock held by
// another process on the same file before it fails with ErrUnavailable.
// The default is 5 seconds.
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// Open opens or creates the database at path, a file name (not ":memory:",
// since readers and the writer need to share it), and migrates its schema
// to the newest version.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{readers: max(4, 2*runtime.NumCPU()), busyTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}

	// The writer sets the journal mode, which is persistent, before any
	// reader opens the file.
	common := []string{
		"busy_timeout(" + strconv.FormatInt(o.busyTimeout.Milliseconds(), 10) + ")",
		"foreign_keys(1)",
		"synchronous(FULL)",
	}
	w, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_txlock": {"immediate"},
		"_pragma": append(common, "journal_mode(WAL)", "journal_size_limit(67108864)"),
	}))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	r, err := sql.Open("sqlite", dsn(abs, url.Values{
		"_pragma": append(common, "query_only(1)"),
	}))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	r.SetMaxOpenConns(o.readers)
	r.SetMaxIdleConns(o.readers)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{w: w, r: r}, nil
}

// dsn returns a file: URI, so that a path holding '?' or '#' stays a path.
func dsn(path string, q url.Values) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// View runs fn in a read-only transaction on a snapshot of the database.
func (s *Store) View(ctx context.Context, fn func(osemu.Tx) error) error {
	return run(ctx, s.r, fn)
}

// Update runs fn in a read-write transaction. Transactions run one at a
// time, on the single writer connection, so fn sees the latest committed
// state and never needs a retry. fn must not call Update itself: it would
// wait for the connection it holds.
func (s *Store) Update(ctx context.Context, fn func(osemu.Tx) error) error {
	return run(ctx, s.w, fn)
}

// run runs fn in a transaction on db, committing if fn returns nil. The
// error of fn comes back unwrapped, so an *osemu.Error reaches the API as
// the service made it.
func run(ctx context.Context, db *sql.DB, fn func(osemu.Tx) error) (err error) {
	t, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", dbErr(err))
	}

	// Roll back unless committed, also when fn panics or calls
	// runtime.Goexit (t.Fatal in a test), which would otherwise keep the
	// writer connection in a transaction forever.
	committed := false
	defer func() {
		if !committed {
			t.Rollback()
		}
	}()

	if err := fn(&tx{ctx: ctx, t: t}); err != nil {
		return err
	}

	committed = true
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", dbErr(err))
	}
	return nil
}

// tx implements osemu.Tx on a database/sql transaction; the Tx methods take
// no context, so it keeps the one its transaction was started with.
type tx struct {
	ctx context.Context
	t   *sql.Tx
}

func (x *tx) exec(query string, args ...any) (sql.Result, error) {
	res, err := x.t.ExecContext(x.ctx, query, args...)
	return res, dbErr(err)
}

func (x *tx) query(query string, args ...any) (*sql.Rows, error) {
	rows, err := x.t.QueryContext(x.ctx, query, args...)
	return rows, dbErr(err)
}

func (x *tx) queryRow(query string, args ...any) *sql.Row {
	return x.t.QueryRowContext(x.ctx, query, args...)
}

// mustAffect returns ErrNotFound unless res changed a row.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return osemu.ErrNotFound
	}
	return nil
}

// dbErr translates the driver's errors into the store's sentinels: unique
// violations are ErrExists, a missing parent row is ErrNotFound, and a
// lock that another process held too long is ErrUnavailable.
func dbErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return osemu.ErrNotFound
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %v", osemu.ErrExists, err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("%w: %v", osemu.ErrNotFound, err)
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: %v", osemu.ErrUnavailable, err)
	}
	return err
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect scans every row of rows with scan.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, dbErr(rows.Err())
}

// limit turns "0 means no cap" into SQLite's LIMIT -1.
func limit(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// ms stores a time as milliseconds since the epoch, and the zero time as
// NULL.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS is the inverse of ms.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// encoder encodes JSON as text: the STRICT tables' TEXT columns refuse a
// BLOB, which SQLite's JSON functions would take for JSONB anyway.
type encoder = sqlstore.Encoder[string]

// decoder decodes JSON columns, scanned as []byte.
type decoder = sqlstore.Decoder

// list returns v as JSON text, or NULL when it is empty: empty lists come
// back nil.
func list(e *encoder, v []string) any {
	if len(v) == 0 {
		return nil
	}
	return e.JSON(v)
}

// jsonList is a list of values bound as one JSON array parameter, for IN
// clauses: a list of any length takes one SQL variable, so a request with
// thousands of filter values cannot exceed SQLite's variable limit.
const jsonList = `(SELECT value FROM json_each(?))`

// jsonArray encodes values for jsonList.
func jsonArray(values []string) string {
	b, _ := json.Marshal(values)
	return string(b)
}
