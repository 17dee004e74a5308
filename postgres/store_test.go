package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/storetest"
)

// defaultTestDSN is the database the tests use unless OSEMU_TEST_POSTGRES
// names another.
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// testDSN returns the DSN of the test database.
func testDSN() string {
	if dsn := os.Getenv("OSEMU_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

// testPoolSize keeps each test store's pool small, so that tests running
// in parallel stay well under the server's max_connections.
const testPoolSize = 4

// newSchema returns the name of a new, unique, not yet created schema, and
// drops it, with everything in it, when tb ends. The test fails, rather
// than skips, if the database is unreachable: CI starts it.
func newSchema(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "osemu_test_" + hex.EncodeToString(b)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		tb.Fatalf("PostgreSQL is unreachable at %s (set OSEMU_TEST_POSTGRES): %v", testDSN(), err)
	}
	conn.Close(ctx)

	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testDSN())
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		drop := `DROP SCHEMA IF EXISTS ` + pgx.Identifier{schema}.Sanitize() + ` CASCADE`
		if _, err := conn.Exec(ctx, drop); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// withParam returns dsn, a URL or keyword/value string, with one more
// parameter.
func withParam(tb testing.TB, dsn, key, value string) string {
	tb.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			tb.Fatalf("parse DSN: %v", err)
		}
		q := u.Query()
		q.Set(key, value)
		// pgx reads a '+' of the query as itself, not as a space.
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		return u.String()
	}
	return dsn + " " + key + "='" + value + "'"
}

// schemaDSN returns the test DSN with its search_path set to schema.
func schemaDSN(tb testing.TB, schema string) string {
	return withParam(tb, testDSN(), "search_path", schema)
}

// openSchema opens a store on schema, closed when tb ends.
func openSchema(tb testing.TB, schema string, opts ...Option) *Store {
	tb.Helper()
	opts = append([]Option{WithMaxConns(testPoolSize)}, opts...)
	s, err := Open(context.Background(), schemaDSN(tb, schema), opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openTest opens a store on a new schema of its own, which it drops when
// tb ends.
func openTest(tb testing.TB, opts ...Option) *Store {
	tb.Helper()
	return openSchema(tb, newSchema(tb), opts...)
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) osemu.Store {
		s := openTest(t)

		// After each area, before the store closes, the grants are still
		// exactly what the packages call for.
		t.Cleanup(func() { checkGrants(t, s) })
		return s
	})
}

// checkGrants fails the test unless package_grants holds exactly the grants
// that package_grant_rules calls for.
func checkGrants(t testing.TB, s *Store) {
	t.Helper()
	const diff = `
		SELECT 'extra', * FROM (SELECT region, grantee, seq FROM package_grants
			EXCEPT SELECT region, grantee, seq FROM package_grant_rules) AS e
		UNION ALL
		SELECT 'missing', * FROM (SELECT region, grantee, seq FROM package_grant_rules
			EXCEPT SELECT region, grantee, seq FROM package_grants) AS m`
	rows, err := s.pool.Query(context.Background(), diff)
	if err != nil {
		t.Fatalf("check grants: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var what, region, grantee string
		var seq int64
		if err := rows.Scan(&what, &region, &grantee, &seq); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s grant: region %q, grantee %q, seq %d", what, region, grantee, seq)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// storeTables are the tables of the schema.
var storeTables = []string{
	"packages", "package_versions", "package_grants", "domains", "associations", "tags",
	"steps", "meta", "blobs", "s3_buckets", "s3_objects", "s3_uploads", "s3_parts",
}

// vacuum does what autovacuum does on a live database, for the tables of
// s only: it gathers the planner's statistics and marks the pages whose
// rows every transaction sees, which index-only scans rely on.
func vacuum(tb testing.TB, s *Store) {
	tb.Helper()
	q := `VACUUM (ANALYZE) ` + strings.Join(storeTables, ", ")
	if _, err := s.pool.Exec(context.Background(), q); err != nil {
		tb.Fatalf("vacuum: %v", err)
	}
}
