package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/osemu/osemu/internal/sqlstore"
)

// migrationFS holds the schema migrations, named NNNN_what.sql. A released
// migration is never edited: a change to the schema is a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations returns the embedded migrations in version order.
func migrations() ([]sqlstore.Migration, error) {
	return sqlstore.LoadMigrations(migrationFS, "migrations")
}

// migrateLock is the key of the advisory lock that migrations hold, so that
// replicas starting at once migrate one after the other: the first applies
// what is missing, the others find nothing left to do. It is the same key
// for every schema of the database.
const migrateLock int64 = 0x6f73656d755f6d67 // "osemu_mg"

// migrate creates schema if it is not empty and does not exist, and applies
// the migrations that the database lacks, all in one transaction, so that
// a failure leaves the schema as it was.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	return applyMigrations(ctx, pool, schema, all)
}

// applyMigrations applies those of all, in version order, that the
// database lacks. Tests call it with the first migrations only, to build
// an older database.
func applyMigrations(ctx context.Context, pool *pgxpool.Pool, schema string,
	all []sqlstore.Migration,
) error {
	// READ COMMITTED: each statement after the lock sees what the replica
	// that held it before committed.
	t, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("migrate: %w", connectErr(err))
	}
	defer rollback(ctx, t)

	exec := func(what, query string, args ...any) error {
		if _, err := t.Exec(ctx, query, args...); err != nil {
			return fmt.Errorf("migrate: %s: %w", what, dbErr(err, false))
		}
		return nil
	}
	if err := exec("lock", `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return err
	}

	// Creating a schema needs a privilege that using one does not, so an
	// existing schema is left alone.
	if schema != "" {
		var exists bool
		const q = `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`
		if err := t.QueryRow(ctx, q, schema).Scan(&exists); err != nil {
			return fmt.Errorf("migrate: %w", dbErr(err, false))
		}
		if !exists {
			create := `CREATE SCHEMA ` + pgx.Identifier{schema}.Sanitize()
			if err := exec("create schema", create); err != nil {
				return err
			}
		}
	}

	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if err := exec("create schema_migrations", create); err != nil {
		return err
	}
	var current int
	row := t.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`)
	if err := row.Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", dbErr(err, false))
	}

	pending, err := sqlstore.Pending(all, current)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range pending {
		// Without arguments, Exec runs the file's statements as one
		// simple query.
		if err := exec(m.Name, m.SQL); err != nil {
			return err
		}
		const record = `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`
		if err := exec(m.Name, record, m.Version, m.Name); err != nil {
			return err
		}
	}
	if err := t.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", dbErr(err, false))
	}
	return nil
}
