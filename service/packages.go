package service

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/osemu/osemu"
)

// CreatePackageInput is what CreatePackage takes.
type CreatePackageInput struct {
	Name              string
	Type              osemu.PackageType
	Description       string
	Source            osemu.S3Location
	Configuration     *osemu.PackageConfiguration
	EngineVersion     string
	VendingOptions    *osemu.PackageVendingOptions
	EncryptionOptions *osemu.PackageEncryptionOptions
}

// CreatePackage registers a package and schedules the copy of its content
// from S3. The package is COPYING when this returns.
func (s *Service) CreatePackage(
	ctx context.Context, scope osemu.Scope, in CreatePackageInput,
) (*osemu.Package, error) {
	if err := checkSource(in.Source); err != nil {
		return nil, err
	}
	if err := checkEngineVersion(in.Type, in.EngineVersion); err != nil {
		return nil, err
	}
	if err := checkConfiguration(in.Type, in.Configuration); err != nil {
		return nil, err
	}

	now := s.now()
	p := &osemu.Package{
		Scope:             scope,
		Name:              in.Name,
		Type:              in.Type,
		Description:       in.Description,
		Status:            osemu.PackageCopying,
		EngineVersion:     in.EngineVersion,
		VendingOptions:    in.VendingOptions,
		EncryptionOptions: in.EncryptionOptions,
		Pending: &osemu.PendingImport{
			Source:        in.Source,
			Configuration: in.Configuration,
		},
		CreatedAt: now,
		UpdatedAt: now,
	}

	// A fresh random ID collides with an existing one about never; when it
	// does, the store says so and the next attempt draws another.
	for attempt := 0; ; attempt++ {
		p.ID = s.ids.PackageID(in.Type)
		err := s.update(ctx, func(tx osemu.Tx, sched *scheduler) error {
			if err := checkNameFree(tx, scope, in.Name, in.Type, in.EngineVersion); err != nil {
				return err
			}
			if err := s.checkPackageQuota(tx, scope, in.Type); err != nil {
				return err
			}
			if err := tx.InsertPackage(p); err != nil {
				return err
			}
			return sched.schedule(osemu.StepPackageCopy, scope, p.ID, "")
		})
		if errors.Is(err, osemu.ErrExists) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.log.Info("package created", "package_id", p.ID, "scope", scope.String(), "type", p.Type)
		return p, nil
	}
}

// checkNameFree refuses a package name that the scope already uses. Names
// are unique per account and region, except that plugins of different
// engine versions may share one.
func checkNameFree(
	tx osemu.Tx, scope osemu.Scope, name string, typ osemu.PackageType, engineVersion string,
) error {
	found, err := tx.FindPackages(osemu.PackageQuery{Scope: scope, Names: []string{name}})
	if err != nil {
		return err
	}
	for _, p := range found {
		bothPlugins := p.Type == osemu.PackageTypeZipPlugin && typ == osemu.PackageTypeZipPlugin
		if !bothPlugins || p.EngineVersion == engineVersion {
			return osemu.Errorf(osemu.CodeResourceAlreadyExists,
				"A package with the name %s already exists.", name)
		}
	}
	return nil
}

// checkPackageQuota refuses a package past the account's quota for its
// kind: plugins count against one quota, every other type against another.
//
// AWS: the quotas are documented as 25 custom packages and 25 custom
// plugins per account and region; whether plugins also count against the
// first is not said, and here they do not (unverified).
func (s *Service) checkPackageQuota(tx osemu.Tx, scope osemu.Scope, typ osemu.PackageType) error {
	var n, max int
	var err error
	if typ == osemu.PackageTypeZipPlugin {
		max = s.quotas.Plugins
		n, err = tx.CountPackages(scope, osemu.PackageTypeZipPlugin)
	} else {
		max = s.quotas.Packages
		n, err = tx.CountPackages(scope, osemu.PackageTypeTxtDictionary,
			osemu.PackageTypeLicense, osemu.PackageTypeConfig)
	}
	if err != nil {
		return err
	}
	if n >= max {
		kind := "custom packages"
		if typ == osemu.PackageTypeZipPlugin {
			kind = "custom plugins"
		}
		return osemu.Errorf(osemu.CodeLimitExceeded,
			"You have reached the limit of %d %s for this account in %s.", max, kind, scope.Region)
	}
	return nil
}

// checkSource refuses an incomplete S3 location; the model leaves both of
// its members optional, AWS does not.
func checkSource(src osemu.S3Location) error {
	var missing []string
	if src.Bucket == "" {
		missing = append(missing, "packageSource.s3BucketName")
	}
	if src.Key == "" {
		missing = append(missing, "packageSource.s3Key")
	}
	if len(missing) == 0 {
		return nil
	}
	msgs := make([]string, len(missing))
	for i, m := range missing {
		msgs[i] = "Value null at '" + m + "' failed to satisfy constraint: Member must not be null"
	}
	return osemu.ValidationError(msgs...)
}

// checkEngineVersion enforces that plugins name an engine version that
// domains can run, and that no other type names one.
func checkEngineVersion(typ osemu.PackageType, engineVersion string) error {
	if typ == osemu.PackageTypeZipPlugin && engineVersion == "" {
		return osemu.Errorf(osemu.CodeValidation,
			"Operation not allowed. EngineVersion is a required parameter for this operation.")
	}
	if typ != osemu.PackageTypeZipPlugin && engineVersion != "" {
		return osemu.Errorf(osemu.CodeValidation,
			"Operation not allowed. EngineVersion is only allowed for packages of type ZIP-PLUGIN.")
	}
	if engineVersion != "" && !osemu.ValidEngineVersion(engineVersion) {
		// AWS: (unverified) wording.
		return osemu.Errorf(osemu.CodeValidation,
			"Invalid EngineVersion: %s is not a version OpenSearch Service runs.", engineVersion)
	}
	return nil
}

// checkConfiguration enforces that only plugins declare a configuration,
// and that a licence file path goes with a licence requirement.
//
// AWS: (unverified) wording of the three messages.
func checkConfiguration(typ osemu.PackageType, c *osemu.PackageConfiguration) error {
	if c == nil {
		return nil
	}
	if typ != osemu.PackageTypeZipPlugin {
		return osemu.Errorf(osemu.CodeValidation,
			"Operation not allowed. PackageConfiguration is only allowed for packages of type ZIP-PLUGIN.")
	}
	needsLicense := c.LicenseRequirement != "NONE"
	switch {
	case needsLicense && c.LicenseFilepath == "":
		return osemu.Errorf(osemu.CodeValidation,
			"LicenseFilepath is required when LicenseRequirement is %s.", c.LicenseRequirement)
	case !needsLicense && c.LicenseFilepath != "":
		return osemu.Errorf(osemu.CodeValidation,
			"LicenseFilepath is not allowed when LicenseRequirement is NONE.")
	}

	// The path is where the licence goes inside the plugin's folder: no
	// "." components, none too long to be a file name, and not over the
	// plugin's descriptor.
	for _, part := range strings.Split(c.LicenseFilepath, "/") {
		if needsLicense && (part == "." || len(part) > 200) {
			return osemu.Errorf(osemu.CodeValidation,
				"LicenseFilepath %q is not a relative file path inside the plugin.", c.LicenseFilepath)
		}
	}
	if c.LicenseFilepath == "plugin-descriptor.properties" {
		return osemu.Errorf(osemu.CodeValidation,
			"LicenseFilepath must not be the plugin's plugin-descriptor.properties.")
	}
	return nil
}

// UpdatePackageInput is what UpdatePackage takes.
type UpdatePackageInput struct {
	ID                string
	Source            osemu.S3Location
	Description       *string
	CommitMessage     string
	Configuration     *osemu.PackageConfiguration
	EncryptionOptions *osemu.PackageEncryptionOptions
}

// UpdatePackage schedules the import of a new version of a package's
// content. The package goes back through COPYING and VALIDATING; its
// available version stays what it was until the new one is AVAILABLE.
func (s *Service) UpdatePackage(
	ctx context.Context, scope osemu.Scope, in UpdatePackageInput,
) (*osemu.Package, error) {
	if err := checkSource(in.Source); err != nil {
		return nil, err
	}

	var p *osemu.Package
	err := s.update(ctx, func(tx osemu.Tx, sched *scheduler) error {
		var err error
		p, err = ownedPackage(tx, scope, in.ID, "updated")
		if err != nil {
			return err
		}
		if err := checkConfiguration(p.Type, in.Configuration); err != nil {
			return err
		}
		if p.Status.InProgress() {
			// AWS: the model lists no ConflictException for UpdatePackage;
			// an update of a package that is still importing is refused
			// with a ValidationException (unverified).
			return osemu.Errorf(osemu.CodeValidation,
				"Package %s is %s. Wait until it is no longer being processed, then update it.",
				p.ID, p.Status)
		}

		p.Status = osemu.PackageCopying
		p.ErrorDetails = nil
		p.UpdatedAt = s.now()
		if in.Description != nil {
			p.Description = *in.Description
		}
		if in.EncryptionOptions != nil {
			p.EncryptionOptions = in.EncryptionOptions
		}
		p.Pending = &osemu.PendingImport{
			Source:        in.Source,
			CommitMessage: in.CommitMessage,
			Configuration: in.Configuration,
		}
		if err := tx.UpdatePackage(p); err != nil {
			return err
		}
		return sched.schedule(osemu.StepPackageCopy, scope, p.ID, "")
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("package update started", "package_id", p.ID, "scope", scope.String())
	return p, nil
}

// DeletePackage schedules the removal of a package that no domain uses. The
// package is DELETING when this returns.
func (s *Service) DeletePackage(
	ctx context.Context, scope osemu.Scope, id string,
) (*osemu.Package, error) {
	var p *osemu.Package
	err := s.update(ctx, func(tx osemu.Tx, sched *scheduler) error {
		var err error
		p, err = ownedPackage(tx, scope, id, "deleted")
		if err != nil {
			return err
		}

		n, err := tx.CountPackageAssociations(id)
		if err != nil {
			return err
		}
		if n > 0 {
			return osemu.Errorf(osemu.CodeConflict,
				"Package %s is associated with %d domain(s). Dissociate it from every domain before deleting it.",
				id, n)
		}

		// A pending import is abandoned: its steps are replaced below and
		// the delete step removes what it copied.
		p.Status = osemu.PackageDeleting
		p.ErrorDetails = nil
		p.UpdatedAt = s.now()
		if err := tx.UpdatePackage(p); err != nil {
			return err
		}
		return sched.schedule(osemu.StepPackageDelete, p.Scope, p.ID, "")
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("package deletion started", "package_id", p.ID, "scope", scope.String())
	return p, nil
}

// visiblePackage returns a package the scope may see and associate. A
// package being deleted is already gone for every purpose but listing.
//
// AWS: so a second DeletePackage while the first is still DELETING answers
// ResourceNotFoundException, as it does once the package is gone
// (unverified).
func visiblePackage(tx osemu.Tx, scope osemu.Scope, id string) (*osemu.Package, error) {
	p, err := tx.GetPackage(id)
	if errors.Is(err, osemu.ErrNotFound) || (err == nil && !canSee(p, scope)) {
		return nil, errPackageNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	if p.Status == osemu.PackageDeleting {
		return nil, errPackageNotFound(id)
	}
	return p, nil
}

// ownedPackage returns a package the scope owns and so may change in the
// way verb ("updated", "deleted") says.
func ownedPackage(tx osemu.Tx, scope osemu.Scope, id, verb string) (*osemu.Package, error) {
	p, err := visiblePackage(tx, scope, id)
	if err != nil {
		return nil, err
	}
	if p.Scope.Account == osemu.AWSOwner {
		return nil, osemu.Errorf(osemu.CodeValidation,
			"Operation not allowed. This package cannot be %s.", verb)
	}
	if p.Scope != scope {
		// AWS: (unverified) the code AWS answers another account that
		// the package is shared with.
		return nil, osemu.Errorf(osemu.CodeAccessDenied,
			"Package %s is owned by account %s; only its owner can change it.", id, p.Scope.Account)
	}
	return p, nil
}

// canSee reports whether the scope may see the package: it owns it, the
// owner shares it with the scope's account (or every account) in the
// package's region, or AWS owns it.
func canSee(p *osemu.Package, scope osemu.Scope) bool {
	switch {
	case p.Scope == scope, p.Scope.Account == osemu.AWSOwner:
		return true
	case p.Scope.Region != scope.Region:
		return false
	}
	return slices.Contains(p.AllowList, scope.Account) || slices.Contains(p.AllowList, osemu.GlobalUser)
}

func errPackageNotFound(id string) error {
	return osemu.Errorf(osemu.CodeResourceNotFound, "Package not found: %s", id)
}

// PackageFilters are DescribePackages' filters by name: PackageID,
// PackageName, PackageStatus, PackageType, EngineVersion, PackageOwner.
type PackageFilters map[string][]string

// DescribePackages returns a page of the packages the scope may see (its
// own, those shared with it, AWS's) that match every filter, in creation
// order.
func (s *Service) DescribePackages(
	ctx context.Context, scope osemu.Scope, filters PackageFilters, page Page,
) ([]*osemu.Package, string, error) {
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}

	q := osemu.PackageQuery{
		Viewer:         &scope,
		IDs:            filters["PackageID"],
		Names:          filters["PackageName"],
		EngineVersions: filters["EngineVersion"],
		Owners:         filters["PackageOwner"],
		Limit:          limit + 1,
	}
	for _, v := range filters["PackageStatus"] {
		q.Statuses = append(q.Statuses, osemu.PackageStatus(v))
	}
	for _, v := range filters["PackageType"] {
		q.Types = append(q.Types, osemu.PackageType(v))
	}

	// A filter left without values (two filters on one name with none in
	// common) matches nothing, whereas an empty list means "no filter" to
	// the store.
	for _, values := range filters {
		if len(values) == 0 {
			return nil, "", nil
		}
	}

	want := cursor{Op: "DescribePackages", Scope: scope.String(), Filter: filters.key()}
	if page.NextToken != "" {
		c, err := s.tokens.decode(ctx, page.NextToken, want)
		if err != nil {
			return nil, "", err
		}
		q.AfterSeq = c.Seq
	}

	var found []*osemu.Package
	err = s.view(ctx, func(tx osemu.Tx) error {
		found, err = tx.FindPackages(q)
		return err
	})
	if err != nil {
		return nil, "", err
	}

	if len(found) <= limit {
		return found, "", nil
	}
	found = found[:limit]
	want.Seq = found[limit-1].Seq
	next, err := s.tokens.encode(ctx, want)
	return found, next, err
}

// Restrict adds a filter on name. A package must match every filter, so
// when name already has one, only the values both have in common remain.
func (f PackageFilters) Restrict(name string, values ...string) {
	have, ok := f[name]
	if !ok {
		f[name] = values
		return
	}
	f[name] = slices.DeleteFunc(slices.Clone(have), func(v string) bool {
		return !slices.Contains(values, v)
	})
}

// key returns a canonical form of the filters, so that a token is only
// accepted with the filters it was issued for.
func (f PackageFilters) key() string {
	if len(f) == 0 {
		return ""
	}
	names := make([]string, 0, len(f))
	for name := range f {
		names = append(names, name)
	}
	slices.Sort(names)

	var b strings.Builder
	for _, name := range names {
		values := slices.Clone(f[name])
		slices.Sort(values)
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(strings.Join(values, ","))
		b.WriteByte(';')
	}
	return b.String()
}

// GetPackageVersionHistory returns a page of a package's versions, newest
// first.
//
// AWS: the order of the history is not documented; newest first is what the
// console shows (unverified for the API).
func (s *Service) GetPackageVersionHistory(
	ctx context.Context, scope osemu.Scope, id string, page Page,
) ([]*osemu.PackageVersion, string, error) {
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}

	want := cursor{Op: "GetPackageVersionHistory", Scope: scope.String(), Parent: id}
	before := 0
	if page.NextToken != "" {
		c, err := s.tokens.decode(ctx, page.NextToken, want)
		if err != nil {
			return nil, "", err
		}
		before = int(c.Seq)
	}

	var versions []*osemu.PackageVersion
	err = s.view(ctx, func(tx osemu.Tx) error {
		if _, err := visiblePackage(tx, scope, id); err != nil {
			return err
		}
		versions, err = tx.ListPackageVersions(id, before, limit+1)
		return err
	})
	if err != nil {
		return nil, "", err
	}

	if len(versions) <= limit {
		return versions, "", nil
	}
	versions = versions[:limit]
	want.Seq = int64(versions[limit-1].Version)
	next, err := s.tokens.encode(ctx, want)
	return versions, next, err
}
