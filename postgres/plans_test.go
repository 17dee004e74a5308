package postgres

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/osemu/osemu"
)

// planData fills the tables that listings read with enough rows, spread
// over enough accounts, regions, packages and buckets, that the planner
// prefers an index wherever one serves.
const planData = `
INSERT INTO packages (id, account, region, name, type, description, status, engine_version,
	version, allow_list)
SELECT 'F' || i, CASE WHEN i % 200 = 0 THEN '000000000007' ELSE lpad((i % 500)::text, 12, '0') END,
	(ARRAY['us-east-1', 'eu-west-1'])[i % 2 + 1],
	'd' || i, (ARRAY['TXT-DICTIONARY', 'ZIP-PLUGIN', 'PACKAGE-LICENSE'])[i % 3 + 1], '',
	(ARRAY['AVAILABLE', 'AVAILABLE', 'AVAILABLE', 'COPYING'])[i % 4 + 1], '', 1,
	CASE WHEN i % 50 = 0 THEN ARRAY['GLOBAL']
		WHEN i % 5 = 1 THEN ARRAY[lpad((i % 7)::text, 12, '0')] END
FROM generate_series(1, 20000) AS i;

INSERT INTO packages (id, account, region, name, type, description, status, engine_version,
	version)
SELECT 'G' || i, 'AWS', '', 'aws-plugin', 'ZIP-PLUGIN', '', 'AVAILABLE', 'OpenSearch_' || i, 1
FROM generate_series(1, 200) AS i;

INSERT INTO package_versions (package_id, version, commit_message, blob_id, blob_size,
	blob_sha256, blob_md5)
SELECT 'F' || (i % 20000 + 1), i / 20000 + 1, '', 'b', 0, '', ''
FROM generate_series(0, 39999) AS i;

INSERT INTO domains (account, region, name, engine_version, state, endpoint, change_id)
SELECT lpad((i % 500)::text, 12, '0'), 'us-east-1', 'd' || i, '', 'Active', '', ''
FROM generate_series(1, 10000) AS i;

INSERT INTO associations (account, region, domain_name, package_id, package_name,
	package_type, status, version)
SELECT lpad((i % 500)::text, 12, '0'), 'us-east-1', 'd' || (i % 10000), 'F' || (i / 10),
	'n', 'TXT-DICTIONARY', 'ACTIVE', 1
FROM generate_series(1, 40000) AS i;

INSERT INTO tags (arn, key, value)
SELECT 'arn:' || (i % 5000), 'k' || i, 'v' FROM generate_series(1, 20000) AS i;

INSERT INTO steps (kind, account, region, package_id, domain_name, due_at, attempts,
	lease_owner, lease_until)
SELECT 'package.copy', lpad((i % 500)::text, 12, '0'), 'us-east-1', 'F' || i, '',
	timestamptz '2024-01-01' + i * interval '1 second', 0, '',
	CASE WHEN i % 3 = 0 THEN timestamptz '2024-06-01' END
FROM generate_series(1, 20000) AS i;

INSERT INTO blobs (blob_id, seq, data)
SELECT 'blob' || (i % 5000), i / 5000, '' FROM generate_series(0, 19999) AS i;

INSERT INTO s3_objects (bucket, key, blob_id, blob_size, blob_sha256, blob_md5)
SELECT 'bucket' || (i % 20), 'a/' || i, 'b', 0, '', '' FROM generate_series(1, 20000) AS i;

INSERT INTO s3_uploads (id, bucket, key)
SELECT 'U' || i, 'bucket' || (i % 20), 'a/' || (i % 5000) FROM generate_series(1, 20000) AS i;

INSERT INTO s3_parts (upload_id, number, blob_id, blob_size, blob_sha256, blob_md5)
SELECT 'U' || (i % 5000 + 1), i / 5000 + 1, 'b', 0, '', '' FROM generate_series(0, 19999) AS i;
`

// planQuery is a query whose plan a test checks.
type planQuery struct {
	name string
	sql  string
	args []any
	uses []string // indexes the plan must use: each a prefix of a name, or prefixes joined by |
}

// TestQueryPlans checks that no listing reads a whole table: every query
// finds its rows through an index, so a page costs what it returns, however
// many rows there are. The plans are those made for the values, the custom
// plans that the store's connections always use (see runtimeParams).
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := t.Context()
	if _, err := s.pool.Exec(ctx, planData); err != nil {
		t.Fatalf("fill tables: %v", err)
	}
	vacuum(t, s)

	scope := osemu.Scope{Account: "000000000007", Region: "us-east-1"}
	queries := []planQuery{
		{"list by package", listByPackageSQL, []any{"F1", scope.Account, scope.Region, "", 100},
			[]string{"associations_package"}},
		{"list by domain", listByDomainSQL, []any{scope.Account, scope.Region, "d7", "", 100},
			[]string{"associations_pkey"}},
		{"count by package", countByPackageSQL, []any{"F1"}, []string{"associations_package"}},
		{"list versions", listVersionsSQL, []any{"F1", 5, 100}, []string{"package_versions_pkey"}},
		{"list domains", listDomainsSQL, []any{scope.Account, scope.Region}, []string{"domains_pkey"}},
		{"list tags", listTagsSQL, []any{"arn:1"}, []string{"tags_pkey"}},
		{"claim step", claimSQL, []any{"o", pgTime(2), pgTime(1)}, []string{"steps_due"}},
		{"next step due", nextDueSQL, nil, []string{"steps_ready"}},
		{"blob chunk", blobChunkSQL, []any{"blob1", 1}, []string{"blobs_pkey"}},
		{"list parts", listPartsSQL, []any{"U1", 1, 100}, []string{"s3_parts_pkey"}},
		{"update package", updatePackageSQL, updateArgs(), []string{"packages_id_key"}},
		{"count packages", `SELECT count(*) FROM packages WHERE account = $1 AND region = $2
			AND type = ANY($3)`, []any{scope.Account, scope.Region, []string{"ZIP-PLUGIN"}},
			[]string{"packages_scope"}},

		// The trigger that keeps grants finds a package's rules by its
		// seq, and deleting a package deletes its grants by seq (the
		// foreign key's cascade runs this statement).
		{"grant rules of a package", `SELECT region, grantee, seq FROM package_grant_rules
			WHERE seq = $1`, []any{int64(5)}, []string{"packages_pkey"}},
		{"grants of a package", `DELETE FROM package_grants WHERE seq = $1`, []any{int64(5)},
			[]string{"package_grants_seq"}},
	}

	packageQueries := []struct {
		name  string
		q     osemu.PackageQuery
		index string
	}{
		{"all packages", osemu.PackageQuery{}, "packages_pkey"},
		// Whether the pages of packages_scope are all-visible, which
		// VACUUM may not be sure of while other transactions run, decides
		// between the scope index alone and any index on the scope.
		{"scope", osemu.PackageQuery{Scope: scope}, "packages_scope|packages_account_region"},
		{"scope and filters", osemu.PackageQuery{Scope: scope, Names: []string{"d7", "d507"},
			Statuses: []osemu.PackageStatus{osemu.PackageAvailable}}, "packages_"},
		{"names", osemu.PackageQuery{Names: []string{"d7"}}, "packages_name"},
		{"IDs", osemu.PackageQuery{IDs: []string{"F1", "F2"}}, "packages_id_key"},
		{"owners", osemu.PackageQuery{Owners: []string{"000000000001", "000000000002"}},
			"packages_"},
		{"statuses", osemu.PackageQuery{Statuses: []osemu.PackageStatus{osemu.PackageAvailable}},
			"packages_pkey"},
		{"viewer", osemu.PackageQuery{Viewer: &scope}, "package_grants_pkey"},
		{"viewer after", osemu.PackageQuery{Viewer: &scope, AfterSeq: 5000}, "package_grants_pkey"},
		{"viewer with filters", osemu.PackageQuery{Viewer: &scope,
			Types:  []osemu.PackageType{osemu.PackageTypeZipPlugin},
			Owners: []string{osemu.AWSOwner, scope.Account}}, "package_grants_pkey"},
		{"viewer with names", osemu.PackageQuery{Viewer: &scope, Names: []string{"d7"},
			IDs: []string{"F7"}}, "packages_"},
	}
	for _, pq := range packageQueries {
		pq.q.Limit = 100
		sql, args := findPackagesSQL(pq.q)
		queries = append(queries, planQuery{"find packages by " + pq.name, sql, args, []string{pq.index}})
	}
	for _, prefix := range []string{"", "a/", "a/1", "\U0010FFFF"} {
		for _, after := range []string{"", "a/12"} {
			sql, args, err := listObjectsSQL("bucket1", prefix, after, 100)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("list objects %q after %q", prefix, after)
			queries = append(queries, planQuery{name, sql, args, []string{"s3_objects_pkey"}})
		}
		for _, after := range [][2]string{{"", ""}, {"a/12", ""}, {"a/12", "U7"}, {"", "U7"}} {
			sql, args, err := listUploadsSQL("bucket1", prefix, after[0], after[1], 100)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("list uploads %q after %q", prefix, after)
			queries = append(queries, planQuery{name, sql, args, []string{"s3_uploads_key"}})
		}
	}

	for _, q := range queries {
		checkPlan(t, s.pool, q)
	}
}

// pgTime returns the time n days after the steps of planData start.
func pgTime(days int) any {
	return msTime(t0plan.AddDate(0, 0, days))
}

// updateArgs returns arguments of updatePackageSQL.
func updateArgs() []any {
	args, err := packageArgs(&osemu.Package{ID: "F1", Type: osemu.PackageTypeTxtDictionary})
	if err != nil {
		panic(err)
	}
	return append(args, "F1")
}

// checkPlan fails the test if the plan of q reads a table whole, with a
// sequential scan, or does not use every index of q.uses.
func checkPlan(t *testing.T, pool *pgxpool.Pool, q planQuery) {
	t.Helper()

	// EXPLAIN without ANALYZE runs nothing, so the plans of statements
	// that write are shown too.
	var plan []byte
	err := pool.QueryRow(t.Context(), "EXPLAIN (FORMAT JSON) "+q.sql, q.args...).Scan(&plan)
	if err != nil {
		t.Fatalf("%s: explain: %v", q.name, err)
	}

	var nodes []map[string]any
	var doc []struct{ Plan map[string]any }
	if err := json.Unmarshal(plan, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		nodes = append(nodes, n)
		children, _ := n["Plans"].([]any)
		for _, c := range children {
			walk(c.(map[string]any))
		}
	}
	walk(doc[0].Plan)

	var indexes, summary []string
	for _, n := range nodes {
		line := fmt.Sprint(n["Node Type"])
		for _, k := range []string{"Relation Name", "Index Name", "Index Cond", "Filter"} {
			if v, ok := n[k]; ok {
				line += fmt.Sprintf(" %s=%v", k, v)
			}
		}
		summary = append(summary, line)
		if name, ok := n["Index Name"].(string); ok {
			indexes = append(indexes, name)
		}
	}
	text := strings.Join(summary, "; ")
	for _, n := range nodes {
		if n["Node Type"] == "Seq Scan" {
			t.Errorf("%s: plan reads %v whole: %s", q.name, n["Relation Name"], text)
		}
	}
	for _, want := range q.uses {
		uses := func(index string) bool {
			for _, prefix := range strings.Split(want, "|") {
				if strings.HasPrefix(index, prefix) {
					return true
				}
			}
			return false
		}
		if !slices.ContainsFunc(indexes, uses) {
			t.Errorf("%s: plan does not use %s: %s", q.name, want, text)
		}
	}
}

// t0plan is when the steps of planData start to be due.
var t0plan = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
