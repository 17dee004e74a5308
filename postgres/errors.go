package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/osemu/osemu"
)

// dbErr translates pgx's errors into the store's sentinels: a missing row
// is ErrNotFound, a unique violation ErrExists, a missing parent row
// ErrNotFound, and a database that cannot be reached, or that is shutting
// down, starting up or read-only (a standby, during a failover) is
// ErrUnavailable. readOnly says whether the statement ran in a READ ONLY
// transaction, where a write is a mistake rather than a standby's refusal.
// The original error stays in the chain.
func dbErr(err error, readOnly bool) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return osemu.ErrNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The caller gave up; the database may be fine.
		return err
	}

	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			return fmt.Errorf("%w: %w", osemu.ErrExists, err)
		case pe.Code == "23503": // foreign_key_violation
			return fmt.Errorf("%w: %w", osemu.ErrNotFound, err)
		case pe.Code == "25006" && !readOnly: // read_only_sql_transaction
			return fmt.Errorf("%w: %w", osemu.ErrUnavailable, err)
		case unavailableCode(pe.Code):
			return fmt.Errorf("%w: %w", osemu.ErrUnavailable, err)
		}
		return err
	}
	if lostConnection(err) {
		return fmt.Errorf("%w: %w", osemu.ErrUnavailable, err)
	}
	return err
}

// unavailableCode reports whether a SQLSTATE says the database cannot
// serve now but may later: connection exceptions (class 08), insufficient
// resources (class 53, too many connections among them), and a server
// shutting down or starting up.
func unavailableCode(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"):
		return true
	}
	switch code {
	case "57P01", // admin_shutdown
		"57P02", // crash_shutdown
		"57P03": // cannot_connect_now
		return true
	}
	return false
}

// lostConnection reports whether err comes from the connection rather than
// the statement: a failed connection attempt, a closed or reset socket, or
// a read cut short.
func lostConnection(err error) bool {
	var (
		ce *pgconn.ConnectError
		ne net.Error
	)
	return errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.SafeToRetry(err)
}

// brokenConn reports whether err says that the connection it came from is
// gone because the server went away, rather than because it refused one
// request or the caller gave up.
func brokenConn(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02"
	}
	return lostConnection(err)
}

// connectErr translates a failure to get a connection and begin: besides
// what dbErr translates, a deadline that passes while the pool connects, or
// waits for a free connection, is ErrUnavailable too, so that a database
// that does not answer gives the client a retryable error. The deadline
// stays in the chain.
func connectErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", osemu.ErrUnavailable, err)
	}
	return dbErr(err, false)
}

// retryable reports whether err is a serialization failure or a deadlock,
// after which the transaction may run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}
