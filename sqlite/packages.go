package sqlite

import (
	"database/sql"
	"fmt"
	"strings"

	"github.com/osemu/osemu"
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
		e.JSON(p.VendingOptions), e.JSON(p.EncryptionOptions), list(&e, p.AllowList),
		e.JSON(p.Pending), ms(p.UpdatedAt),
	}
	if e.Err != nil {
		return nil, fmt.Errorf("package %s: %w", p.ID, e.Err)
	}
	return args, nil
}

func scanPackage(s scanner) (*osemu.Package, error) {
	var (
		p                                         osemu.Package
		typ, status                               string
		errDetails, config, props, vend, enc, lst []byte
		pending                                   []byte
		created, updated                          sql.NullInt64
	)
	err := s.Scan(&p.Seq, &p.ID, &p.Scope.Account, &p.Scope.Region, &p.Name, &typ,
		&p.Description, &status, &errDetails, &p.EngineVersion, &p.Version, &config,
		&props, &vend, &enc, &lst, &pending, &created, &updated)
	if err != nil {
		return nil, dbErr(err)
	}
	p.Type = osemu.PackageType(typ)
	p.Status = osemu.PackageStatus(status)
	p.CreatedAt = fromMS(created)
	p.UpdatedAt = fromMS(updated)

	var d decoder
	d.JSON(errDetails, &p.ErrorDetails)
	d.JSON(config, &p.Configuration)
	d.JSON(props, &p.PluginProperties)
	d.JSON(vend, &p.VendingOptions)
	d.JSON(enc, &p.EncryptionOptions)
	d.JSON(lst, &p.AllowList)
	d.JSON(pending, &p.Pending)
	if d.Err != nil {
		return nil, fmt.Errorf("package %s: %w", p.ID, d.Err)
	}
	return &p, nil
}

// InsertPackage adds p and sets p.Seq.
func (x *tx) InsertPackage(p *osemu.Package) error {
	args, err := packageArgs(p)
	if err != nil {
		return err
	}
	const q = `INSERT INTO packages (id, account, region, name, created_at,
		type, description, status, error_details, engine_version, version, configuration,
		plugin_properties, vending_options, encryption_options, allow_list, pending, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING seq`
	args = append([]any{p.ID, p.Scope.Account, p.Scope.Region, p.Name, ms(p.CreatedAt)}, args...)
	if err := dbErr(x.queryRow(q, args...).Scan(&p.Seq)); err != nil {
		return fmt.Errorf("insert package %s: %w", p.ID, err)
	}
	return nil
}

// GetPackage returns the package with the ID.
func (x *tx) GetPackage(id string) (*osemu.Package, error) {
	p, err := scanPackage(x.queryRow(`SELECT `+packageColumns+` FROM packages WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("get package %s: %w", id, err)
	}
	return p, nil
}

// UpdatePackage replaces the package's mutable fields.
func (x *tx) UpdatePackage(p *osemu.Package) error {
	args, err := packageArgs(p)
	if err != nil {
		return err
	}
	const q = `UPDATE packages SET type = ?, description = ?, status = ?,
		error_details = ?, engine_version = ?, version = ?, configuration = ?,
		plugin_properties = ?, vending_options = ?, encryption_options = ?,
		allow_list = ?, pending = ?, updated_at = ?
		WHERE id = ?`
	res, err := x.exec(q, append(args, p.ID)...)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("update package %s: %w", p.ID, err)
	}
	return nil
}

// DeletePackage removes the package; its versions go with it (ON DELETE
// CASCADE).
func (x *tx) DeletePackage(id string) error {
	res, err := x.exec(`DELETE FROM packages WHERE id = ?`, id)
	if err == nil {
		err = mustAffect(res)
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
	ps, err := collect(rows, scanPackage)
	if err != nil {
		return nil, fmt.Errorf("find packages: %w", err)
	}
	return ps, nil
}

// findPackagesSQL builds the query of FindPackages. Its pages follow seq,
// through the scope index when there is a scope, and the table itself
// otherwise, so a page costs what it returns (plus what filters skip).
func findPackagesSQL(q osemu.PackageQuery) (string, []any) {
	if q.Viewer != nil {
		return findVisibleSQL(q)
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + packageColumns + ` FROM packages WHERE seq > ?`)
	args := []any{q.AfterSeq}
	if q.Scope.Account != "" {
		b.WriteString(" AND account = ?")
		args = append(args, q.Scope.Account)
	}
	if q.Scope.Region != "" {
		b.WriteString(" AND region = ?")
		args = append(args, q.Scope.Region)
	}
	filters, fargs := packageFilters("", q)
	b.WriteString(filters + " ORDER BY seq LIMIT ?")
	return b.String(), append(append(args, fargs...), limit(q.Limit))
}

// packageFilters returns the conditions of q's value filters on the
// packages table, with prefix before each column name, each condition
// starting with " AND ".
func packageFilters(prefix string, q osemu.PackageQuery) (string, []any) {
	var (
		b    strings.Builder
		args []any
	)
	in := func(col string, vs []string) {
		if len(vs) == 0 {
			return
		}
		b.WriteString(" AND " + prefix + col + " IN " + jsonList)
		args = append(args, jsonArray(vs))
	}
	in("id", q.IDs)
	in("name", q.Names)
	in("status", strs(q.Statuses))
	in("type", strs(q.Types))
	in("engine_version", q.EngineVersions)
	in("account", q.Owners)
	return b.String(), args
}

// findVisibleSQL builds the query of FindPackages with a Viewer: the union
// of the viewer's own packages and of three ranges of grants, to its
// account in its region, to GLOBAL in its region, and to GLOBAL in every
// region (AWS-owned packages). Each part reads at most a page, through the
// scope index or the grants' primary key, with the filters applied inside
// it so that no part's page is spent on rows a filter drops; the union
// drops a package seen twice (owned and shared, or shared twice) and keeps
// the first page of what is left. A page thus costs at most four pages of
// index entries (plus what filters skip), however many packages are out of
// the viewer's sight.
func findVisibleSQL(q osemu.PackageQuery) (string, []any) {
	v, lim := q.Viewer, limit(q.Limit)
	var b strings.Builder
	b.WriteString(`SELECT ` + packageColumns + ` FROM packages WHERE seq IN (`)

	filters, fargs := packageFilters("", q)
	b.WriteString(`SELECT seq FROM (SELECT seq FROM packages
		WHERE account = ? AND region = ? AND seq > ?` + filters + ` ORDER BY seq LIMIT ?)`)
	args := append([]any{v.Account, v.Region, q.AfterSeq}, fargs...)
	args = append(args, lim)

	// Without filters, a grant is all a part needs to read.
	filters, fargs = packageFilters("p.", q)
	from := `package_grants AS g`
	if filters != "" {
		from += ` JOIN packages AS p ON p.seq = g.seq`
	}
	for _, g := range [][2]string{
		{v.Region, v.Account},
		{v.Region, osemu.GlobalUser},
		{everyRegion, osemu.GlobalUser},
	} {
		b.WriteString(` UNION SELECT seq FROM (SELECT g.seq AS seq FROM ` + from + `
			WHERE g.region = ? AND g.grantee = ? AND g.seq > ?` + filters +
			` ORDER BY g.seq LIMIT ?)`)
		args = append(append(args, g[0], g[1], q.AfterSeq), fargs...)
		args = append(args, lim)
	}

	b.WriteString(` ORDER BY seq LIMIT ?) ORDER BY seq`)
	return b.String(), append(args, lim)
}

// everyRegion is the region of the grant that shows AWS-owned packages in
// every region; migration 0002 spells it '*'.
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
	q := `SELECT count(*) FROM packages WHERE account = ? AND region = ?`
	args := []any{scope.Account, scope.Region}
	if len(types) > 0 {
		q += ` AND type IN ` + jsonList
		args = append(args, jsonArray(strs(types)))
	}
	if err := x.queryRow(q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count packages: %w", dbErr(err))
	}
	return n, nil
}

const versionColumns = `package_id, version, commit_message, created_at, blob_id,
	blob_size, blob_sha256, blob_md5, plugin_properties, configuration`

func scanVersion(s scanner) (*osemu.PackageVersion, error) {
	var (
		v             osemu.PackageVersion
		created       sql.NullInt64
		props, config []byte
	)
	err := s.Scan(&v.PackageID, &v.Version, &v.CommitMessage, &created, &v.Blob.ID,
		&v.Blob.Size, &v.Blob.SHA256, &v.Blob.MD5, &props, &config)
	if err != nil {
		return nil, dbErr(err)
	}
	v.CreatedAt = fromMS(created)

	var d decoder
	d.JSON(props, &v.PluginProperties)
	d.JSON(config, &v.Configuration)
	return &v, d.Err
}

// InsertPackageVersion adds a version. It returns ErrNotFound if the
// package does not exist.
func (x *tx) InsertPackageVersion(v *osemu.PackageVersion) error {
	var e encoder
	props, config := e.JSON(v.PluginProperties), e.JSON(v.Configuration)
	if e.Err != nil {
		return fmt.Errorf("insert version %d of package %s: %w", v.Version, v.PackageID, e.Err)
	}
	const q = `INSERT INTO package_versions (` + versionColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	_, err := x.exec(q, v.PackageID, v.Version, v.CommitMessage, ms(v.CreatedAt), v.Blob.ID,
		v.Blob.Size, v.Blob.SHA256, v.Blob.MD5, props, config)
	if err != nil {
		return fmt.Errorf("insert version %d of package %s: %w", v.Version, v.PackageID, err)
	}
	return nil
}

// GetPackageVersion returns one version of a package.
func (x *tx) GetPackageVersion(packageID string, version int) (*osemu.PackageVersion, error) {
	const q = `SELECT ` + versionColumns + ` FROM package_versions
		WHERE package_id = ? AND version = ?`
	v, err := scanVersion(x.queryRow(q, packageID, version))
	if err != nil {
		return nil, fmt.Errorf("get version %d of package %s: %w", version, packageID, err)
	}
	return v, nil
}

const listVersionsSQL = `SELECT ` + versionColumns + ` FROM package_versions
	WHERE package_id = ? AND version < ?
	ORDER BY version DESC LIMIT ?`

// ListPackageVersions returns up to limit versions, newest first, below
// before; limit 0 means no cap.
func (x *tx) ListPackageVersions(packageID string, before, lim int) ([]*osemu.PackageVersion, error) {
	if before <= 0 {
		before = int(^uint(0) >> 1)
	}
	rows, err := x.query(listVersionsSQL, packageID, before, limit(lim))
	if err != nil {
		return nil, fmt.Errorf("list versions of package %s: %w", packageID, err)
	}
	vs, err := collect(rows, scanVersion)
	if err != nil {
		return nil, fmt.Errorf("list versions of package %s: %w", packageID, err)
	}
	return vs, nil
}
