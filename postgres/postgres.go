// Package postgres is the shared storage engine of osemu: an osemu.Store in
// a PostgreSQL database, through pgx's connection pool, so that several
// osemu replicas can serve one set of resources.
//
// Update runs fn in a SERIALIZABLE transaction and runs it again when
// PostgreSQL reports a serialization failure or a deadlock, so that the
// service's check-then-write rules (unique names, quotas, "already in the
// desired state") hold across replicas as they do on SQLite's single
// writer. View runs fn in a READ ONLY, REPEATABLE READ transaction: one
// snapshot, which never waits for writers and never fails to serialize.
// ClaimStep leases a step with FOR UPDATE SKIP LOCKED, so replicas never
// take the same step while its lease runs.
//
// The statements behind ErrExists and ErrNotFound leave the transaction
// usable, as on SQLite. Any other failed statement aborts the transaction
// (PostgreSQL's rule): fn's later statements fail, and so does the commit.
//
// A database that cannot be reached, or that is shutting down or starting
// up, fails calls with errors that wrap osemu.ErrUnavailable, which the API
// answers with a retryable error; the pool reconnects by itself when the
// database is back.
//
// Values round-trip exactly, with these normalizations: times come back in
// UTC truncated to milliseconds (the zero time stays zero); empty slices,
// maps and json.RawMessage come back nil. Text cannot hold a NUL byte or
// invalid UTF-8, which PostgreSQL refuses.
//
// The schema needs PostgreSQL 12 or later.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/osemu/osemu"
)

var _ osemu.Store = (*Store)(nil)

// Store is an osemu.Store in a PostgreSQL database.
type Store struct {
	pool        *pgxpool.Pool
	maxAttempts int
	opTimeout   time.Duration
}

// Option configures Open.
type Option func(*options)

type options struct {
	maxConns    int32
	maxAttempts int
	opTimeout   time.Duration
}

// DefaultOpTimeout bounds one transaction or query when the database stops
// answering without closing its connections (a frozen host, a network
// partition): the operation then fails with ErrUnavailable, and the API
// answers a retryable error, well before clients give up on their own.
const DefaultOpTimeout = 15 * time.Second

// WithOpTimeout sets how long one transaction attempt or query may take
// before the store reports the database unavailable; DefaultOpTimeout by
// default.
func WithOpTimeout(d time.Duration) Option { return func(o *options) { o.opTimeout = d } }

// WithMaxConns sets the size of the connection pool. The default is the
// DSN's pool_max_conns, or pgxpool's default (4, or the number of CPUs if
// greater).
func WithMaxConns(n int32) Option { return func(o *options) { o.maxConns = n } }

// WithMaxAttempts sets how many times Update runs fn before it gives up on
// serialization failures and deadlocks and returns ErrUnavailable. The
// default is 10.
func WithMaxAttempts(n int) Option { return func(o *options) { o.maxAttempts = n } }

// defaultConnectTimeout bounds a connection attempt when the DSN sets no
// connect_timeout, so that a database that does not answer fails requests
// with ErrUnavailable instead of holding them.
const defaultConnectTimeout = 5 * time.Second

// runtimeParams are the settings of the store's connections, unless the
// DSN sets them. Custom plans: pgx prepares every statement, and after five
// executions PostgreSQL may switch to a generic plan, made without the
// values, which for a page ("seq > $1 ... LIMIT $2") may walk an index in
// seq order and filter, reading rows out of the page's range; a custom
// plan costs a little planning per execution and fits the values.
var runtimeParams = map[string]string{
	"application_name": "osemu",
	"plan_cache_mode":  "force_custom_plan",
}

// Open connects to the database of dsn, a PostgreSQL URL or keyword/value
// string, and migrates its schema to the newest version. The DSN may set
// the search_path (e.g. "...?search_path=osemu"); Open creates its first
// schema if it does not exist, and the tables go there.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{maxAttempts: 10, opTimeout: DefaultOpTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	for k, v := range runtimeParams {
		if _, ok := cfg.ConnConfig.RuntimeParams[k]; !ok {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	schema := firstSchema(cfg.ConnConfig.RuntimeParams["search_path"])
	if err := migrate(ctx, pool, schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return &Store{pool: pool, maxAttempts: max(1, o.maxAttempts), opTimeout: o.opTimeout}, nil
}

// firstSchema returns the first schema of a search_path setting, the one
// PostgreSQL creates tables in, or "" if there is none or it is the
// "$user" placeholder. Unquoted names fold to lower case, as PostgreSQL
// folds them.
func firstSchema(searchPath string) string {
	first, _, _ := strings.Cut(searchPath, ",")
	first = strings.TrimSpace(first)
	if len(first) >= 2 && first[0] == '"' && first[len(first)-1] == '"' {
		first = strings.ReplaceAll(first[1:len(first)-1], `""`, `"`)
	} else {
		first = strings.ToLower(first)
	}
	if first == "$user" {
		return ""
	}
	return first
}

// Close closes the pool's connections. It waits for connections that are
// being closed, which, if the database stopped answering, may take the
// pgx driver's 15 seconds to give up on telling it.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// View runs fn in a read-only transaction on one snapshot of the database.
func (s *Store) View(ctx context.Context, fn func(osemu.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	return s.run(ctx, opts, fn)
}

// Update runs fn in a SERIALIZABLE transaction, and again, after a short
// random pause, when PostgreSQL reports a serialization failure or a
// deadlock, up to the store's maximum number of attempts. fn thus sees a
// state that no concurrent transaction, on any replica, invalidates before
// the commit.
func (s *Store) Update(ctx context.Context, fn func(osemu.Tx) error) error {
	return s.run(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable}, fn)
}

// run runs fn in transactions of opts until one commits, fn fails, or a
// failure is not worth another attempt. Serialization failures and
// deadlocks are retried up to s.maxAttempts; a lost connection is retried
// once, which covers a pooled connection that a database restart broke.
func (s *Store) run(ctx context.Context, opts pgx.TxOptions, fn func(osemu.Tx) error) error {
	reconnected := false
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, opts, fn)
		var retry *retryError
		if !errors.As(err, &retry) {
			return err
		}
		err = retry.err
		switch {
		case ctx.Err() != nil:
			return err
		case errors.Is(err, osemu.ErrUnavailable):
			if reconnected {
				return err
			}
			reconnected = true
		case attempt >= s.maxAttempts:
			return fmt.Errorf("%w: no serializable order after %d attempts: %w",
				osemu.ErrUnavailable, attempt, err)
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return err
		}
	}
}

// retryError marks a failed attempt that left nothing behind, so that fn
// may run again.
type retryError struct{ err error }

func (e *retryError) Error() string { return e.err.Error() }

// attempt runs fn in one transaction. It returns fn's error unchanged,
// unless the store failed underneath fn (a serialization failure, a lost
// connection), in which case it returns the store's error: fn's is then
// only a consequence.
func (s *Store) attempt(parent context.Context, opts pgx.TxOptions, fn func(osemu.Tx) error) (err error) {
	if err := parent.Err(); err != nil {
		return err
	}
	ctx, cancel := s.bound(parent)
	defer cancel()
	committing := false
	defer func() {
		// An attempt that ran out of time is worth another, unless it ran
		// out while committing: the outcome is then unknown.
		if timed := s.timedOut(parent, ctx, err); timed != err {
			err = timed
			if !committing {
				err = &retryError{timed}
			}
		}
	}()

	t, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		err = fmt.Errorf("begin: %w", s.lost(connectErr(err)))
		if errors.Is(err, osemu.ErrUnavailable) {
			return &retryError{err}
		}
		return err
	}

	// Roll back unless committed, also when fn panics or calls
	// runtime.Goexit (t.Fatal in a test). Rollback after Commit does
	// nothing.
	defer rollback(ctx, t)

	x := &tx{ctx: ctx, t: t, readOnly: opts.AccessMode == pgx.ReadOnly}
	ferr := fn(x)
	switch {
	case ctx.Err() != nil:
		// A canceled query breaks the connection: what follows is noise.
		if ferr == nil {
			ferr = ctx.Err()
		}
		return ferr
	case x.broken != nil:
		return &retryError{s.lost(x.broken)}
	case ferr != nil:
		return ferr
	}

	committing = true
	if err := t.Commit(ctx); err != nil {
		err = s.lost(dbErr(err, x.readOnly))
		if retryable(err) {
			return &retryError{fmt.Errorf("commit: %w", err)}
		}
		// A connection lost during the commit leaves its outcome unknown:
		// no second attempt.
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// withConn runs fn on a connection of the pool, outside any transaction,
// translating errors as a transaction's are.
func (s *Store) withConn(parent context.Context, fn func(*pgxpool.Conn) error) (err error) {
	if err := parent.Err(); err != nil {
		return err
	}
	ctx, cancel := s.bound(parent)
	defer cancel()
	defer func() { err = s.timedOut(parent, ctx, err) }()

	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.lost(connectErr(err))
	}
	defer c.Release()
	return s.lost(dbErr(fn(c), false))
}

// bound returns a context that ends after the store's operation timeout.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.opTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.opTimeout)
}

// timedOut turns the failure of an operation that ran out of its own time,
// the caller's context still being live, into ErrUnavailable, and leaves
// other errors as they are. A retry of it is then worth it.
func (s *Store) timedOut(parent, ctx context.Context, err error) error {
	var retry *retryError
	if err == nil || parent.Err() != nil || ctx.Err() == nil || errors.As(err, &retry) {
		return err
	}
	return fmt.Errorf("%w: the database did not answer within %s: %w",
		osemu.ErrUnavailable, s.opTimeout, err)
}

// lost returns err, after closing the pool's connections if err says that
// the server went away (a restart, a failover): the idle connections are
// then as dead as the one that failed, and the next requests would each
// meet one. The pool dials anew.
func (s *Store) lost(err error) error {
	if brokenConn(err) {
		s.pool.Reset()
	}
	return err
}

// rollback ends t if it is still open. It ignores the caller's context,
// which may be why fn stopped: a rollback that fails closes the connection
// rather than return it to the pool in a transaction.
func rollback(ctx context.Context, t pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	t.Rollback(ctx)
}

// backoff returns the pause before attempt+1: exponential from 2 ms up to
// 100 ms, half of it random, so that transactions that collided do not
// collide again.
func backoff(attempt int) time.Duration {
	d := min(time.Millisecond<<min(attempt, 10), 100*time.Millisecond)
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tx implements osemu.Tx on a pgx transaction; the Tx methods take no
// context, so it keeps the one its transaction was started with.
type tx struct {
	ctx      context.Context
	t        pgx.Tx
	readOnly bool

	// broken is the first failure that dooms the whole transaction, a
	// serialization failure or a lost connection. fn may swallow or
	// rewrite the error it gets; Update still sees this one.
	broken error

	// seqLocked says whether the transaction holds the lock that orders
	// package inserts (see InsertPackage).
	seqLocked bool
}

// fail translates err and remembers it if it dooms the transaction.
func (x *tx) fail(err error) error {
	if err == nil {
		return nil
	}
	err = dbErr(err, x.readOnly)
	if x.broken == nil && (retryable(err) || errors.Is(err, osemu.ErrUnavailable)) {
		x.broken = err
	}
	return err
}

func (x *tx) exec(query string, args ...any) (pgconn.CommandTag, error) {
	tag, err := x.t.Exec(x.ctx, query, args...)
	return tag, x.fail(err)
}

func (x *tx) query(query string, args ...any) (pgx.Rows, error) {
	rows, err := x.t.Query(x.ctx, query, args...)
	return rows, x.fail(err)
}

func (x *tx) queryRow(query string, args ...any) row {
	return row{x: x, r: x.t.QueryRow(x.ctx, query, args...)}
}

// row is a pgx.Row whose errors go through its transaction's fail.
type row struct {
	x *tx
	r pgx.Row
}

func (r row) Scan(dest ...any) error { return r.x.fail(r.r.Scan(dest...)) }

// mustAffect returns ErrNotFound unless tag counts a changed row.
func mustAffect(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return osemu.ErrNotFound
	}
	return nil
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect scans every row of rows with scan.
func collect[T any](x *tx, rows pgx.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, x.fail(err)
		}
		out = append(out, v)
	}
	return out, x.fail(rows.Err())
}

// params numbers the parameters of a query built piece by piece.
type params []any

// add appends v and returns its placeholder.
func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// limit turns "0 means no cap" into LIMIT NULL, which PostgreSQL reads as
// no limit.
func limit(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

// ts stores a time to the millisecond, and the zero time as NULL.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return msTime(t)
}

// msTime truncates t to the millisecond, in UTC.
func msTime(t time.Time) time.Time {
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// fromTS is the inverse of ts.
func fromTS(v pgtype.Timestamptz) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return msTime(v.Time)
}
