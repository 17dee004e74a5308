package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationFS holds the schema migrations, named NNNN_what.sql. A released
// migration is never edited: a change to the schema is a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", base)
		}
		b, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a version", out[i-1].name, out[i].name)
		}
	}
	return out, nil
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
func applyMigrations(ctx context.Context, db *sql.DB, all []migration) error {
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

	// A database migrated by a newer osemu may hold data this one would
	// misread.
	if n := len(all); n > 0 && current > all[n-1].version {
		return fmt.Errorf("migrate: schema version %d is newer than this osemu knows (%d)",
			current, all[n-1].version)
	}

	for _, m := range all {
		if m.version <= current {
			continue
		}
		if _, err := t.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
		const record = `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
		_, err := t.ExecContext(ctx, record, m.version, m.name, time.Now().UnixMilli())
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", dbErr(err))
	}
	return nil
}
