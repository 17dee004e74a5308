package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/internal/sqlstore"
)

var scopeT = osemu.Scope{Account: "111111111111", Region: "us-east-1"}

func mustUpdate(t testing.TB, s *Store, fn func(osemu.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// TestQueryPlans checks that every listing is served by an index: no query
// reads a whole table, so a page costs what it returns, however many rows
// there are.
func TestQueryPlans(t *testing.T) {
	s := openTest(t)
	type query struct {
		name  string
		sql   string
		args  []any
		index string // the index the plan must use
	}
	queries := []query{
		{"list by package", listByPackageSQL, []any{"F1", "a", "r", "", 100}, "associations_package"},
		{"list by domain", listByDomainSQL, []any{"a", "r", "d", "", 100}, "PRIMARY KEY"},
		{"count by package", countByPackageSQL, []any{"F1"}, "associations_package"},
		{"list versions", listVersionsSQL, []any{"F1", 5, 100}, "PRIMARY KEY"},
		{"list domains", listDomainsSQL, []any{"a", "r"}, "PRIMARY KEY"},
		{"list tags", listTagsSQL, []any{"arn"}, "PRIMARY KEY"},
		{"claim step", claimSQL, []any{"o", 2, 1, 1}, "steps_due"},
		{"next step due", nextDueSQL, nil, "steps_ready"},
		{"blob chunk", blobChunkSQL, []any{"b", 0}, "sqlite_autoindex_blobs_1"},
	}
	packageQueries := []struct {
		name  string
		q     osemu.PackageQuery
		index string
	}{
		{"all packages", osemu.PackageQuery{}, "INTEGER PRIMARY KEY"},
		{"scope", osemu.PackageQuery{Scope: scopeT}, "packages_scope"},
		{"scope and filters", osemu.PackageQuery{Scope: scopeT, Names: []string{"a", "b"},
			Statuses: []osemu.PackageStatus{osemu.PackageAvailable}}, "packages_scope"},
		{"names", osemu.PackageQuery{Names: []string{"a"}}, "packages_name"},
		{"IDs", osemu.PackageQuery{IDs: []string{"F1", "F2"}}, "sqlite_autoindex_packages_1"},
		{"owners", osemu.PackageQuery{Owners: []string{"1", "2"}}, "packages_scope"},
		{"statuses", osemu.PackageQuery{Statuses: []osemu.PackageStatus{osemu.PackageAvailable}},
			"INTEGER PRIMARY KEY"},
	}
	for _, pq := range packageQueries {
		pq.q.Limit = 100
		sql, args := findPackagesSQL(pq.q)
		queries = append(queries, query{"find packages by " + pq.name, sql, args, pq.index})
	}
	for _, prefix := range []string{"", "a/", "\xff"} {
		for _, after := range []string{"", "a/b"} {
			sql, args := listObjectsSQL("b", prefix, after, 100)
			queries = append(queries, query{"list objects " + prefix + " " + after, sql, args, "PRIMARY KEY"})
		}
	}

	for _, q := range queries {
		checkPlan(t, s, q.name, q.sql, q.args, q.index)
	}

	// Uploads and parts come in index order: a sort in a temporary b-tree
	// would read every match before returning the first.
	pages := []query{{"list parts", listPartsSQL, []any{"U1", 5, 100}, "PRIMARY KEY"}}
	for _, prefix := range []string{"", "a/", "\xff"} {
		for _, after := range [][2]string{{"", ""}, {"a/b", ""}, {"a/b", "U1"}, {"", "U1"}} {
			sql, args := listUploadsSQL("b", prefix, after[0], after[1], 100)
			name := fmt.Sprintf("list uploads %q after %q", prefix, after)
			pages = append(pages, query{name, sql, args, "s3_uploads_key"})
		}
	}
	for _, q := range pages {
		plan := checkPlan(t, s, q.name, q.sql, q.args, q.index)
		if strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan sorts what it reads: %s", q.name, plan)
		}
	}

	// Deleting an upload finds its parts by the primary key, the cascade
	// included.
	checkPlan(t, s, "delete parts", `DELETE FROM s3_parts WHERE upload_id = ?`, []any{"U1"},
		"PRIMARY KEY (upload_id=?)")
	checkPlan(t, s, "delete upload", `DELETE FROM s3_uploads WHERE id = ?`, []any{"U1"},
		"PRIMARY KEY (id=?)")

	// A viewer's page reads the viewer's scope and three ranges of grants,
	// with filters or without.
	grantRange := "SEARCH g USING PRIMARY KEY (region=? AND grantee=? AND seq>?)"
	for _, vq := range []struct {
		name string
		q    osemu.PackageQuery
	}{
		{"no cap", osemu.PackageQuery{Viewer: &scopeT}},
		{"a page", osemu.PackageQuery{Viewer: &scopeT, AfterSeq: 5, Limit: 100}},
		{"types and owners", osemu.PackageQuery{Viewer: &scopeT, Limit: 100,
			Types:  []osemu.PackageType{osemu.PackageTypeZipPlugin},
			Owners: []string{osemu.AWSOwner}}},
		{"names and IDs", osemu.PackageQuery{Viewer: &scopeT, Limit: 100,
			Names: []string{"a"}, IDs: []string{"F1"}}},
	} {
		sql, args := findPackagesSQL(vq.q)
		name := "find packages for a viewer, " + vq.name
		scope := "packages_scope (account=? AND region=? AND seq>?)"
		plan := checkPlan(t, s, name, sql, args, scope)
		if n := strings.Count(plan, grantRange); n != 3 {
			t.Errorf("%s: plan reads %d ranges of grants, want 3: %s", name, n, plan)
		}
	}

	// The triggers that keep grants find a package's rules by its seq, and
	// deleting a package finds its grants by seq.
	rules := `SELECT region, grantee, seq FROM package_grant_rules WHERE seq = ?`
	checkPlan(t, s, "grant rules of a package", rules, []any{1}, "INTEGER PRIMARY KEY")
	checkPlan(t, s, "delete package", `DELETE FROM packages WHERE id = ?`, []any{"F1"},
		"package_grants_seq (seq=?)")
}

// checkPlan fails the test unless the plan of query uses every one of
// uses and reads no table or index whole, and returns the plan.
func checkPlan(t *testing.T, s *Store, name, query string, args []any, uses ...string) string {
	t.Helper()
	rows, err := s.w.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rows.Close()

	// Scanning json_each reads a list of values, a filter's or a package's
	// allow list, and scanning a co-routine reads the rows its own plan
	// searched: neither reads a table.
	text := strings.Join(plan, "; ")
	for _, line := range plan {
		scanned, ok := strings.CutPrefix(line, "SCAN ")
		if ok && !strings.HasPrefix(scanned, "json_each") &&
			!slices.Contains(plan, "CO-ROUTINE "+scanned) {
			t.Errorf("%s: plan reads a whole table or index: %s", name, text)
		}
	}
	for _, index := range uses {
		if !strings.Contains(text, index) {
			t.Errorf("%s: plan does not use %s: %s", name, index, text)
		}
	}
	return text
}

// TestGrantsMigration checks that migration 0002 gives the packages of an
// older database the grants their allow lists and owners call for.
func TestGrantsMigration(t *testing.T) {
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "osemu.db")
	db, err := sql.Open("sqlite", dsn(path, url.Values{"_pragma": {"foreign_keys(1)"}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := applyMigrations(t.Context(), db, all[:1]); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO packages (id, account, region, name, type, description,
		status, engine_version, version, allow_list)
		VALUES (?, ?, ?, ?, 'TXT-DICTIONARY', '', 'AVAILABLE', '', 1, ?)`
	for _, row := range [][]any{
		{"F1", "111111111111", "us-east-1", "shared", `["222222222222","GLOBAL"]`},
		{"F2", "222222222222", "us-east-1", "own", nil},
		{"F3", "111111111111", "eu-west-1", "global", `["GLOBAL"]`},
		{"G1", osemu.AWSOwner, "", "analysis-nori", nil},
		{"F4", "333333333333", "us-east-1", "listed", `["222222222222"]`},
		{"F5", "333333333333", "us-east-1", "hidden", nil},
	} {
		if _, err := db.Exec(insert, row...); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	tests := []struct {
		viewer osemu.Scope
		want   []string
	}{
		{osemu.Scope{Account: "222222222222", Region: "us-east-1"}, []string{"F1", "F2", "G1", "F4"}},
		{osemu.Scope{Account: "444444444444", Region: "us-east-1"}, []string{"F1", "G1"}},
		{osemu.Scope{Account: "222222222222", Region: "eu-west-1"}, []string{"F3", "G1"}},
	}
	err = s.View(t.Context(), func(tx osemu.Tx) error {
		for _, tc := range tests {
			ps, err := tx.FindPackages(osemu.PackageQuery{Viewer: &tc.viewer})
			if err != nil {
				return err
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("viewer %s after migrating: got %q, want %q", tc.viewer, got, tc.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkGrants(t, s)
}

// checkGrants fails the test unless package_grants holds exactly the grants
// that package_grant_rules calls for.
func checkGrants(t testing.TB, s *Store) {
	t.Helper()
	const diff = `
		SELECT 'extra', * FROM (SELECT region, grantee, seq FROM package_grants
			EXCEPT SELECT region, grantee, seq FROM package_grant_rules)
		UNION ALL
		SELECT 'missing', * FROM (SELECT region, grantee, seq FROM package_grant_rules
			EXCEPT SELECT region, grantee, seq FROM package_grants)`
	rows, err := s.r.Query(diff)
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

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "osemu.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	p := &osemu.Package{ID: "F1", Scope: scopeT, Name: "d", Type: osemu.PackageTypeTxtDictionary,
		Status: osemu.PackageAvailable, AllowList: []string{"GLOBAL"}}
	mustUpdate(t, s, func(tx osemu.Tx) error { return tx.InsertPackage(p) })
	content := bytes.Repeat([]byte("osemu"), 300_000)
	ref, err := s.WriteBlob(t.Context(), bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	err = s.View(t.Context(), func(tx osemu.Tx) error {
		got, err := tx.GetPackage("F1")
		if err != nil {
			return err
		}
		if got.Seq != p.Seq || got.AllowList[0] != "GLOBAL" {
			t.Errorf("package after reopen: got %+v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := s.OpenBlob(t.Context(), ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("blob after reopen: %d bytes, error %v; want %d bytes", len(got), err, len(content))
	}
}

func TestMigrations(t *testing.T) {
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 || all[0].Version != 1 {
		t.Fatalf("migrations: got %d, want the first to be version 1", len(all))
	}

	path := filepath.Join(t.TempDir(), "osemu.db")
	applied := func() (versions []int) {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		rows, err := s.r.Query(`SELECT version FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			rows.Scan(&v)
			versions = append(versions, v)
		}
		return versions
	}

	// Opening again applies nothing twice.
	first := applied()
	if len(first) != len(all) || first[len(first)-1] != all[len(all)-1].Version {
		t.Errorf("applied migrations: got %v, want %d of them", first, len(all))
	}
	if again := applied(); len(again) != len(first) {
		t.Errorf("after reopening: got %v, want %v", again, first)
	}

	// A schema from a newer osemu is refused rather than misread.
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at)
		VALUES (9999, 'future', 0)`)
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Open(t.Context(), path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: got %v, want an error", err)
		if s != nil {
			s.Close()
		}
	}
}

// TestSettings checks the connection settings that durability and
// concurrency rest on.
func TestSettings(t *testing.T) {
	s := openTest(t)
	tests := []struct {
		db     string
		pragma string
		want   string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "2"}, // FULL
		{"writer", "foreign_keys", "1"},
		{"writer", "busy_timeout", "5000"},
		{"writer", "query_only", "0"},
		{"reader", "journal_mode", "wal"},
		{"reader", "query_only", "1"},
	}
	for _, tc := range tests {
		db := s.w
		if tc.db == "reader" {
			db = s.r
		}
		var got string
		if err := db.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s PRAGMA %s: got %s, want %s", tc.db, tc.pragma, got, tc.want)
		}
	}

	// View cannot write, even by mistake.
	err := s.View(t.Context(), func(tx osemu.Tx) error {
		return tx.InsertBucket(&osemu.Bucket{Name: "b"})
	})
	if err == nil {
		t.Error("InsertBucket in View: got no error")
	}
}

// TestTimes checks that times are kept to the millisecond and come back in
// UTC, with the zero time kept as zero.
func TestTimes(t *testing.T) {
	s := openTest(t)
	in := time.Date(2024, 12, 4, 17, 47, 6, 123_456_789, time.FixedZone("CET", 3600))
	mustUpdate(t, s, func(tx osemu.Tx) error {
		return tx.InsertPackage(&osemu.Package{ID: "F1", Scope: scopeT, Name: "d", CreatedAt: in})
	})
	s.View(t.Context(), func(tx osemu.Tx) error {
		p, err := tx.GetPackage("F1")
		if err != nil {
			t.Fatal(err)
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

func TestVersionOfMissingPackage(t *testing.T) {
	s := openTest(t)
	err := s.Update(t.Context(), func(tx osemu.Tx) error {
		return tx.InsertPackageVersion(&osemu.PackageVersion{PackageID: "F404", Version: 1})
	})
	if !errors.Is(err, osemu.ErrNotFound) {
		t.Errorf("InsertPackageVersion of a missing package: got %v, want ErrNotFound", err)
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
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
		{"é", "\xc3\xaa", true},
	}
	for _, tc := range tests {
		got, ok := successor(tc.prefix)
		if got != tc.want || ok != tc.ok {
			t.Errorf("successor(%q): got %q %v, want %q %v", tc.prefix, got, ok, tc.want, tc.ok)
		}
	}
}

// TestBlobChunks checks that a blob is stored in 1 MiB chunks, written in
// transactions of their own: while the writer waits for more content,
// other writes go through.
func TestBlobChunks(t *testing.T) {
	s := openTest(t)
	pr, pw := io.Pipe()
	type result struct {
		ref osemu.BlobRef
		err error
	}
	done := make(chan result, 1)
	go func() {
		ref, err := s.WriteBlob(t.Context(), pr)
		done <- result{ref, err}
	}()

	// The pipe's Write returns once WriteBlob has read all of it, so the
	// first chunk is stored and WriteBlob waits for the rest.
	first := bytes.Repeat([]byte{1}, sqlstore.ChunkSize+1)
	if _, err := pw.Write(first); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := s.Update(ctx, func(tx osemu.Tx) error { return tx.InsertBucket(&osemu.Bucket{Name: "b"}) })
	if err != nil {
		t.Fatalf("Update during WriteBlob: %v", err)
	}

	pw.Write(bytes.Repeat([]byte{2}, sqlstore.ChunkSize))
	pw.Close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.ref.Size != 2*sqlstore.ChunkSize+1 {
		t.Errorf("Size: got %d, want %d", r.ref.Size, 2*sqlstore.ChunkSize+1)
	}

	rows, err := s.r.Query(`SELECT seq, length(data) FROM blobs WHERE blob_id = ? ORDER BY seq`, r.ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for rows.Next() {
		var seq, n int
		rows.Scan(&seq, &n)
		if seq != len(sizes) {
			t.Errorf("chunk %d numbered %d", len(sizes), seq)
		}
		sizes = append(sizes, n)
	}
	rows.Close()
	if want := []int{sqlstore.ChunkSize, sqlstore.ChunkSize, 1}; !slices.Equal(sizes, want) {
		t.Errorf("chunk sizes: got %v, want %v", sizes, want)
	}

	// Deleting a blob under a reader fails the read rather than
	// truncating the content silently.
	rc, err := s.OpenBlob(t.Context(), r.ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, s, func(tx osemu.Tx) error { return tx.DeleteBlob(r.ref.ID) })
	if _, err := io.ReadAll(rc); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read of a deleted blob: got %v, want io.ErrUnexpectedEOF", err)
	}
}
