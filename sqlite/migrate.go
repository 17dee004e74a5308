package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

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

// migrate applies the migrations that db lacks, all in one transaction, so
// that a failure leaves the schema as it was. Reopening an up-to-date
// database changes nothing.
func migrate(ctx context.Context, db *sql.DB) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	return applyMigrations(ctx, db, all)
}

// applyMigrations applies those of all, in version order, that db lacks.
// Tests call it with the first migrations only, to build an older
// database.
func applyMigrations(ctx context.Context, db *sql.DB, all []sqlstore.Migration) error {
	t, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", dbErr(err))
	}
	defer t.Rollback()

	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`
	if _, err := t.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	var current int
	row := t.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`)
	if err := row.Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	pending, err := sqlstore.Pending(all, current)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range pending {
		if _, err := t.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
		const record = `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
		_, err := t.ExecContext(ctx, record, m.Version, m.Name, time.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", dbErr(err))
	}
	return nil
}
