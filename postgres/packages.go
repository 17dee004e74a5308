package postgres

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/osemu/osemu"
	"github.com/osemu/osemu/internal/sqlstore"
)

const packageColumns = `seq, id, account, region, name, type, description, status,
	error_details, engine_version, version, configuration, plugin_properties,
	vending_options, encryption_options, allow_list, pending, created_at, updated_at`

// packageArgs returns the values of the columns that UpdatePackage
// replaces, in the order of its SET clause.
func packageArgs(p *osemu.Package) ([]any, error) {
	var e encoder
	args := []any{
		string(p.Type), p.Description, string(p.Status), e.JSON(p.ErrorDetails),
		p.EngineVersion, p.Version, e.JSON(p.Configuration), e.JSON(p.PluginProperties),
		e.JSON(p.VendingOptions), e.JSON(p.EncryptionOptions), list(p.AllowList),
		e.JSON(p.Pending), ts(p.UpdatedAt),
	}
	if e.Err != nil {
		return nil, fmt.Errorf("package %s: %w", p.ID, e.Err)
	}
	return args, nil
}

func scanPackage(s scanner) (*osemu.Package, error) {
	var (
		p                                    osemu.Package
		typ, status                          string
		errDetails, config, props, vend, enc []byte
		pending                              []byte
		created, updated                     pgtype.Timestamptz
	)
	err := s.Scan(&p.Seq, &p.ID, &p.Scope.Account, &p.Scope.Region, &p.Name, &typ,
		&p.Description, &status, &errDetails, &p.EngineVersion, &p.Version, &config,
		&props, &vend, &enc, &p.AllowList, &pending, &created, &updated)
	if err != nil {
		return nil, err
	}
	p.Type = osemu.PackageType(typ)
	p.Status = osemu.PackageStatus(status)
	p.CreatedAt = fromTS(created)
	p.UpdatedAt = fromTS(updated)

	var d decoder
	d.JSON(errDetails, &p.ErrorDetails)
	d.JSON(config, &p.Configuration)
	d.JSON(props, &p.PluginProperties)
	d.JSON(vend, &p.VendingOptions)
	d.JSON(enc, &p.EncryptionOptions)
	d.JSON(pending, &p.Pending)
	if d.Err != nil {
		return nil, fmt.Errorf("package %s: %w", p.ID, d.Err)
	}
	return &p, nil
}

// seqLockClass is the first key of the lock that orders package inserts;
// the second is the OID of the schema's packages table, so that schemas do
// not wait for each other.
const seqLockClass int32 = 0x6f736571 // "oseq"

// InsertPackage adds p and sets p.Seq. It returns ErrExists, and leaves the
// transaction usable, if the ID or the (scope, name, engine version) is
// taken.
//
// Sequences hand out numbers at insert time, not in commit order: a
// package could commit after one of a higher seq that a listing has
// already returned, and be missed by a walk of pages that is past it. So
// the transaction first takes a lock, held until it ends, that makes
// transactions that insert packages take seqs in commit order.
func (x *tx) InsertPackage(p *osemu.Package) error {
	args, err := packageArgs(p)
	if err != nil {
		return err
	}
	if !x.seqLocked {
		const lock = `SELECT pg_advisory_xact_lock($1, 'packages'::regclass::oid::integer)`
		if _, err := x.exec(lock, seqLockClass); err != nil {
			return fmt.Errorf("insert package %s: %w", p.ID, err)
		}
		x.seqLocked = true
	}

	const q = `INSERT INTO packages (id, account, region, name, created_at,
		type, description, status, error_details, engine_version, version, configuration,
		plugin_properties, vending_options, encryption_options, allow_list, pending, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT DO NOTHING
		RETURNING seq`
	args = append([]any{p.ID, p.Scope.Account, p.Scope.Region, p.Name, ts(p.CreatedAt)}, args...)
	err = x.queryRow(q, args...).Scan(&p.Seq)
	if errors.Is(err, osemu.ErrNotFound) {
		err = osemu.ErrExists // nothing inserted: a unique key is taken
	}
	if err != nil {
		return fmt.Errorf("insert package %s: %w", p.ID, err)
	}
	return nil
}

// GetPackage returns the package with the ID.
func (x *tx) GetPackage(id string) (*osemu.Package, error) {
	p, err := scanPackage(x.queryRow(`SELECT `+packageColumns+` FROM packages WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("get package %s: %w", id, err)
	}
	return p, nil
}

// updatePackageSQL replaces a package's mutable fields unless another
// package of its scope and name has the new engine version, so that a
// taken engine version is ErrExists without a unique violation, which
// would abort the transaction.
const updatePackageSQL = `UPDATE packages SET type = $1, description = $2, status = $3,
	error_details = $4, engine_version = $5, version = $6, configuration = $7,
	plugin_properties = $8, vending_options = $9, encryption_options = $10,
	allow_list = $11, pending = $12, updated_at = $13
	WHERE id = $14 AND NOT EXISTS (
		SELECT 1 FROM packages AS o
		WHERE o.account = packages.account AND o.region = packages.region
			AND o.name = packages.name AND o.engine_version = $5 AND o.id <> $14
	)`

// UpdatePackage replaces the package's mutable fields.
func (x *tx) UpdatePackage(p *osemu.Package) error {
	args, err := packageArgs(p)
	if err != nil {
		return err
	}
	tag, err := x.exec(updatePackageSQL, append(args, p.ID)...)
	if err == nil && tag.RowsAffected() == 0 {
		// Missing, or its new engine version taken?
		var exists bool
		err = x.queryRow(`SELECT EXISTS (SELECT 1 FROM packages WHERE id = $1)`, p.ID).Scan(&exists)
		if err == nil {
			err = osemu.ErrNotFound
			if exists {
				err = osemu.ErrExists
			}
		}
	}
	if err != nil {
		return fmt.Errorf("update package %s: %w", p.ID, err)
	}
	return nil
}

// DeletePackage removes the package; its versions and grants go with it
// (ON DELETE CASCADE).
func (x *tx) DeletePackage(id string) error {
	tag, err := x.exec(`DELETE FROM packages WHERE id = $1`, id)
	if err == nil {
		err = mustAffect(tag)
	}
	if err != nil {
		return fmt.Errorf("delete package %s: %w", id, err)
	}
	return nil
}

// FindPackages returns a page of the packages that match q. An empty
// Scope.Account or Scope.Region does not filter; Owners match the owning
// account. With a Viewer, the page holds what the viewer may see.
func (x *tx) FindPackages(q osemu.PackageQuery) ([]*osemu.Package, error) {
	query, args := findPackagesSQL(q)
	rows, err := x.query(query, args...)
	if err != nil {
		return nil, fmt.Errorf("find packages: %w", err)
	}
	ps, err := collect(x, rows, scanPackage)
	if err != nil {
		return nil, fmt.Errorf("find packages: %w", err)
	}
	return ps, nil
}

// findPackagesSQL builds the query of FindPackages. It first finds a page
// of seqs, through the scope index when there is a scope, and the primary
// key otherwise, then fetches their rows by primary key. Without filters,
// the scope index alone gives the page's seqs (an index-only scan, once
// vacuum has marked the table's pages all-visible), which leaves walking
// packages in seq order, filtering out other scopes, the costlier plan
// even for a small scope. A page costs what it returns (plus what filters
// skip).
func findPackagesSQL(q osemu.PackageQuery) (string, []any) {
	if q.Viewer != nil {
		return findVisibleSQL(q)
	}
	var p params
	var b strings.Builder
	b.WriteString(`SELECT ` + packageColumns + ` FROM packages WHERE seq = ANY(ARRAY(
		SELECT seq FROM packages WHERE seq > ` + p.add(q.AfterSeq))
	if q.Scope.Account != "" {
		b.WriteString(` AND account = ` + p.add(q.Scope.Account))
	}
	if q.Scope.Region != "" {
		b.WriteString(` AND region = ` + p.add(q.Scope.Region))
	}
	b.WriteString(where("", packageFilters(&p, q)))
	b.WriteString(` ORDER BY seq LIMIT ` + p.add(limit(q.Limit)) + `)) ORDER BY seq`)
	return b.String(), p
}

// filter is a condition of a PackageQuery on one column: its value is one
// of the array bound as param.
type filter struct{ col, param string }

// packageFilters binds the values of q's filters, each filter's as one
// array, so that a filter may hold any number of them.
func packageFilters(p *params, q osemu.PackageQuery) []filter {
	var fs []filter
	in := func(col string, vs []string) {
		if len(vs) > 0 {
			fs = append(fs, filter{col, p.add(vs)})
		}
	}
	in("id", q.IDs)
	in("name", q.Names)
	in("status", strs(q.Statuses))
	in("type", strs(q.Types))
	in("engine_version", q.EngineVersions)
	in("account", q.Owners)
	return fs
}

// where returns the conditions of fs on the columns of the packages table
// named with prefix, each condition starting with " AND ".
func where(prefix string, fs []filter) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(` AND ` + prefix + f.col + ` = ANY(` + f.param + `)`)
	}
	return b.String()
}

// findVisibleSQL builds the query of FindPackages with a Viewer: the union
// of three ranges of grants (see migration 0001), to the viewer's account
// in its region (which holds what it owns), to GLOBAL in its region, and to
// GLOBAL in every region (AWS-owned packages). Each range reads at most a
// page of the grants' primary key, in seq order, with the filters applied
// inside it so that no range's page is spent on rows a filter drops; the
// union drops a package seen twice (shared twice) and keeps the first page
// of what is left, whose rows the outer query fetches by primary key (an
// array of seqs, which the planner cannot turn into a scan of the table).
// A page thus costs at most three pages of index entries (plus what
// filters skip), however many packages are out of the viewer's sight. No
// OR: an OR of the three would read packages by seq until it found a page
// the viewer may see.
func findVisibleSQL(q osemu.PackageQuery) (string, []any) {
	v := q.Viewer
	var p params
	after, lim := p.add(q.AfterSeq), p.add(limit(q.Limit))

	// Without filters, a grant is all a range needs to read. The filters'
	// values are bound once, and each range names them again. The planner
	// does not carry g.seq > after over to p.seq by itself.
	fs := packageFilters(&p, q)
	from, filters := `package_grants AS g`, ""
	if len(fs) > 0 {
		from += ` JOIN packages AS p ON p.seq = g.seq`
		filters = ` AND p.seq > ` + after + where("p.", fs)
	}

	var b strings.Builder
	b.WriteString(`SELECT ` + packageColumns + ` FROM packages WHERE seq = ANY(ARRAY(
		SELECT seq FROM (`)
	for i, g := range [][2]string{
		{v.Region, v.Account},
		{v.Region, osemu.GlobalUser},
		{everyRegion, osemu.GlobalUser},
	} {
		if i > 0 {
			b.WriteString(` UNION `)
		}
		b.WriteString(`(SELECT g.seq FROM ` + from + `
			WHERE g.region = ` + p.add(g[0]) + ` AND g.grantee = ` + p.add(g[1]) +
			` AND g.seq > ` + after + filters + ` ORDER BY g.seq LIMIT ` + lim + `)`)
	}
	b.WriteString(`) AS visible ORDER BY seq LIMIT ` + lim + `)) ORDER BY seq`)
	return b.String(), p
}

// everyRegion is the region of the grant that shows AWS-owned packages in
// every region; migration 0001 spells it '*'.
const everyRegion = "*"

// strs converts a slice of a string type.
func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// CountPackages returns how many packages the scope owns, of the given
// types if any.
func (x *tx) CountPackages(scope osemu.Scope, types ...osemu.PackageType) (int, error) {
	var n int
	q := `SELECT count(*) FROM packages WHERE account = $1 AND region = $2`
	args := []any{scope.Account, scope.Region}
	if len(types) > 0 {
		q += ` AND type = ANY($3)`
		args = append(args, strs(types))
	}
	if err := x.queryRow(q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count packages: %w", err)
	}
	return n, nil
}

const versionColumns = `package_id, version, commit_message, created_at, blob_id,
	blob_size, blob_sha256, blob_md5, plugin_properties, configuration`

func scanVersion(s scanner) (*osemu.PackageVersion, error) {
	var (
		v             osemu.PackageVersion
		created       pgtype.Timestamptz
		props, config []byte
	)
	err := s.Scan(&v.PackageID, &v.Version, &v.CommitMessage, &created, &v.Blob.ID,
		&v.Blob.Size, &v.Blob.SHA256, &v.Blob.MD5, &props, &config)
	if err != nil {
		return nil, err
	}
	v.CreatedAt = fromTS(created)

	var d decoder
	d.JSON(props, &v.PluginProperties)
	d.JSON(config, &v.Configuration)
	return &v, d.Err
}

// insertVersionSQL adds a version if its package exists and has no version
// of that number, so that neither case aborts the transaction.
const insertVersionSQL = `INSERT INTO package_versions (` + versionColumns + `)
	SELECT $1::text, $2::integer, $3::text, $4::timestamptz, $5::text, $6::bigint,
		$7::text, $8::text, $9::json, $10::json
	WHERE EXISTS (SELECT 1 FROM packages WHERE id = $1)
	ON CONFLICT DO NOTHING`

// InsertPackageVersion adds a version. It returns ErrNotFound if the
// package does not exist, and ErrExists if it has that version number.
func (x *tx) InsertPackageVersion(v *osemu.PackageVersion) error {
	var e encoder
	props, config := e.JSON(v.PluginProperties), e.JSON(v.Configuration)
	if e.Err != nil {
		return fmt.Errorf("insert version %d of package %s: %w", v.Version, v.PackageID, e.Err)
	}
	tag, err := x.exec(insertVersionSQL, v.PackageID, v.Version, v.CommitMessage,
		ts(v.CreatedAt), v.Blob.ID, v.Blob.Size, v.Blob.SHA256, v.Blob.MD5, props, config)
	if err == nil && tag.RowsAffected() == 0 {
		var exists bool
		const q = `SELECT EXISTS (SELECT 1 FROM packages WHERE id = $1)`
		err = x.queryRow(q, v.PackageID).Scan(&exists)
		if err == nil {
			err = osemu.ErrNotFound
			if exists {
				err = osemu.ErrExists
			}
		}
	}
	if err != nil {
		return fmt.Errorf("insert version %d of package %s: %w", v.Version, v.PackageID, err)
	}
	return nil
}

// GetPackageVersion returns one version of a package.
func (x *tx) GetPackageVersion(packageID string, version int) (*osemu.PackageVersion, error) {
	const q = `SELECT ` + versionColumns + ` FROM package_versions
		WHERE package_id = $1 AND version = $2`
	v, err := scanVersion(x.queryRow(q, packageID, version))
	if err != nil {
		return nil, fmt.Errorf("get version %d of package %s: %w", version, packageID, err)
	}
	return v, nil
}

const listVersionsSQL = `SELECT ` + versionColumns + ` FROM package_versions
	WHERE package_id = $1 AND version < $2
	ORDER BY version DESC LIMIT $3`

// ListPackageVersions returns up to limit versions, newest first, below
// before; limit 0 means no cap.
func (x *tx) ListPackageVersions(packageID string, before, lim int,
) ([]*osemu.PackageVersion, error) {
	if before <= 0 || before > math.MaxInt32 {
		before = math.MaxInt32
	}
	rows, err := x.query(listVersionsSQL, packageID, before, limit(lim))
	if err != nil {
		return nil, fmt.Errorf("list versions of package %s: %w", packageID, err)
	}
	vs, err := collect(x, rows, scanVersion)
	if err != nil {
		return nil, fmt.Errorf("list versions of package %s: %w", packageID, err)
	}
	return vs, nil
}

// encoder encodes JSON as bytes, which pgx sends to a json column as
// they are.
type encoder = sqlstore.Encoder[[]byte]

// decoder decodes json columns, scanned as []byte.
type decoder = sqlstore.Decoder

// list returns v as a text[] value, or NULL when it is empty: empty lists
// come back nil.
func list(v []string) any {
	if len(v) == 0 {
		return nil
	}
	return v
}
