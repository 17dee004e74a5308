package sqlite

import (
	"database/sql"
	"fmt"

	"github.com/osemu/osemu"
)

const associationColumns = `account, region, domain_name, package_id, package_name,
	package_type, status, version, prerequisites, configuration, error_details, updated_at`

func scanAssociation(s scanner) (*osemu.Association, error) {
	var (
		a                         osemu.Association
		typ, status               string
		prereqs, config, errDetls []byte
		updated                   sql.NullInt64
	)
	err := s.Scan(&a.Scope.Account, &a.Scope.Region, &a.DomainName, &a.PackageID,
		&a.PackageName, &typ, &status, &a.Version, &prereqs, &config, &errDetls, &updated)
	if err != nil {
		return nil, dbErr(err)
	}
	a.PackageType = osemu.PackageType(typ)
	a.Status = osemu.DomainPackageStatus(status)
	a.UpdatedAt = fromMS(updated)

	var d decoder
	d.JSON(prereqs, &a.Prerequisites)
	d.JSON(config, &a.Configuration)
	d.JSON(errDetls, &a.ErrorDetails)
	if d.Err != nil {
		return nil, fmt.Errorf("association of %s with %s: %w", a.PackageID, a.DomainName, d.Err)
	}
	return &a, nil
}

// PutAssociation inserts a or replaces the association of the same scope,
// domain and package.
func (x *tx) PutAssociation(a *osemu.Association) error {
	var e encoder
	args := []any{
		a.Scope.Account, a.Scope.Region, a.DomainName, a.PackageID, a.PackageName,
		string(a.PackageType), string(a.Status), a.Version, list(&e, a.Prerequisites),
		e.JSON(a.Configuration), e.JSON(a.ErrorDetails), ms(a.UpdatedAt),
	}
	if e.Err != nil {
		return fmt.Errorf("put association of %s with %s: %w", a.PackageID, a.DomainName, e.Err)
	}
	const q = `INSERT INTO associations (` + associationColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account, region, domain_name, package_id) DO UPDATE SET
			package_name = excluded.package_name, package_type = excluded.package_type,
			status = excluded.status, version = excluded.version,
			prerequisites = excluded.prerequisites, configuration = excluded.configuration,
			error_details = excluded.error_details, updated_at = excluded.updated_at`
	if _, err := x.exec(q, args...); err != nil {
		return fmt.Errorf("put association of %s with %s: %w", a.PackageID, a.DomainName, err)
	}
	return nil
}

// GetAssociation returns the association of a package with a domain.
func (x *tx) GetAssociation(scope osemu.Scope, domainName, packageID string,
) (*osemu.Association, error) {
	const q = `SELECT ` + associationColumns + ` FROM associations
		WHERE account = ? AND region = ? AND domain_name = ? AND package_id = ?`
	a, err := scanAssociation(x.queryRow(q, scope.Account, scope.Region, domainName, packageID))
	if err != nil {
		return nil, fmt.Errorf("get association of %s with %s: %w", packageID, domainName, err)
	}
	return a, nil
}

// DeleteAssociation removes the association of a package with a domain.
func (x *tx) DeleteAssociation(scope osemu.Scope, domainName, packageID string) error {
	const q = `DELETE FROM associations
		WHERE account = ? AND region = ? AND domain_name = ? AND package_id = ?`
	res, err := x.exec(q, scope.Account, scope.Region, domainName, packageID)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("delete association of %s with %s: %w", packageID, domainName, err)
	}
	return nil
}

// Both listings walk an index from the key after the last one returned, so
// a page costs what it returns. Without statistics the planner would list
// by package through the primary key, reading every association of the
// scope's domains after the key, hence INDEXED BY.
const (
	listByPackageSQL = `SELECT ` + associationColumns + `
		FROM associations INDEXED BY associations_package
		WHERE package_id = ? AND account = ? AND region = ? AND domain_name > ?
		ORDER BY domain_name LIMIT ?`
	listByDomainSQL = `SELECT ` + associationColumns + ` FROM associations
		WHERE account = ? AND region = ? AND domain_name = ? AND package_id > ?
		ORDER BY package_id LIMIT ?`
)

// ListAssociationsByPackage returns a page of the package's associations
// with the scope's domains, ordered by domain name; limit 0 means no cap.
func (x *tx) ListAssociationsByPackage(scope osemu.Scope, packageID, after string, lim int,
) ([]*osemu.Association, error) {
	rows, err := x.query(listByPackageSQL, packageID, scope.Account, scope.Region, after, limit(lim))
	if err != nil {
		return nil, fmt.Errorf("list associations of package %s: %w", packageID, err)
	}
	as, err := collect(rows, scanAssociation)
	if err != nil {
		return nil, fmt.Errorf("list associations of package %s: %w", packageID, err)
	}
	return as, nil
}

// ListAssociationsByDomain returns a page of the domain's associations,
// ordered by package ID; limit 0 means no cap.
func (x *tx) ListAssociationsByDomain(scope osemu.Scope, domainName, after string, lim int,
) ([]*osemu.Association, error) {
	rows, err := x.query(listByDomainSQL, scope.Account, scope.Region, domainName, after, limit(lim))
	if err != nil {
		return nil, fmt.Errorf("list associations of domain %s: %w", domainName, err)
	}
	as, err := collect(rows, scanAssociation)
	if err != nil {
		return nil, fmt.Errorf("list associations of domain %s: %w", domainName, err)
	}
	return as, nil
}

// countByPackageSQL counts through associations_package, whose first
// column is the package ID.
const countByPackageSQL = `SELECT count(*) FROM associations WHERE package_id = ?`

// CountPackageAssociations returns how many domains, in any scope, the
// package is associated with.
func (x *tx) CountPackageAssociations(packageID string) (int, error) {
	var n int
	if err := x.queryRow(countByPackageSQL, packageID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count associations of package %s: %w", packageID, dbErr(err))
	}
	return n, nil
}

// CountDomainAssociations returns how many packages are associated with
// the domain.
func (x *tx) CountDomainAssociations(scope osemu.Scope, domainName string) (int, error) {
	var n int
	const q = `SELECT count(*) FROM associations
		WHERE account = ? AND region = ? AND domain_name = ?`
	if err := x.queryRow(q, scope.Account, scope.Region, domainName).Scan(&n); err != nil {
		return 0, fmt.Errorf("count associations of domain %s: %w", domainName, dbErr(err))
	}
	return n, nil
}
